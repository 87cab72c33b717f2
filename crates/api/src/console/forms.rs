//! Small pieces the console's forms share: a labelled text field, and a REST refusal turned
//! into a status and a message for the page (with the Twilio code, as the API reports it).

use axum::http::StatusCode;
use maud::{Markup, html};

use crate::error::ApiError;

/// A labelled text input.
pub(crate) fn field(label: &str, name: &str, value: &str) -> Markup {
    html! { label { (label) input name=(name) value=(value); } }
}

/// The status to answer a refused form with (422 for what the user can fix), and the message.
pub(crate) fn failure(e: &ApiError) -> (StatusCode, String) {
    let (status, code) = e.status_and_code();
    let message = match code {
        Some(code) => format!("Error {}: {e}", code.0),
        None => e.to_string(),
    };
    let status = if status == StatusCode::BAD_REQUEST {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    (status, message)
}
