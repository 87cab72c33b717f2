//! Scripted application responses, by URL.

use dialtone_core::FetchResult;
use dialtone_types::TwilioCode;

/// What a scripted application answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppResponse {
    /// An HTTP response.
    Http {
        /// Status code.
        status: u16,
        /// `Content-Type`, if any.
        content_type: Option<String>,
        /// Body.
        body: Vec<u8>,
    },
    /// A transport failure, already mapped to a Twilio code (11200, 11205...).
    Failure {
        /// The code.
        code: TwilioCode,
        /// What went wrong.
        message: String,
    },
}

impl AppResponse {
    /// `200 text/xml` with `twiml`.
    pub fn twiml(twiml: &str) -> Self {
        Self::Http {
            status: 200,
            content_type: Some("text/xml".to_owned()),
            body: twiml.as_bytes().to_vec(),
        }
    }

    /// An empty `404 text/html`: what an unscripted URL answers.
    pub fn not_found() -> Self {
        Self::Http {
            status: 404,
            content_type: Some("text/html".to_owned()),
            body: b"not found".to_vec(),
        }
    }

    pub(crate) fn to_result(&self) -> FetchResult {
        match self {
            Self::Http {
                status,
                content_type,
                body,
            } => FetchResult::Response {
                status: *status,
                content_type: content_type.clone(),
                body: body.clone(),
            },
            Self::Failure { code, message } => FetchResult::Failed {
                code: *code,
                message: message.clone(),
            },
        }
    }
}
