//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use std::time::Duration;

use dialtone_sim::{Webhook, WebhookKind};
use dialtone_types::{Sid, SidKind};

/// Seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The n-th call SID minted by the world's sequential generator.
pub fn ca(n: u128) -> Sid {
    Sid::new(SidKind::Call, n)
}

/// `CA` + 32 hex of the n-th call.
pub fn ca_str(n: u128) -> String {
    ca(n).to_string()
}

/// The n-th recording SID minted by the world's sequential generator.
pub fn re(n: u128) -> Sid {
    Sid::new(SidKind::Recording, n)
}

/// The `RecordingUrl` of the n-th recording (the world's public URL, no extension).
pub fn rec_url(n: u128) -> String {
    format!(
        "https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{}",
        re(n)
    )
}

/// The world's account SID.
pub const ACCOUNT: &str = "AC00000000000000000000000000000acc";

/// RFC 2822 of EPOCH + `s` seconds (2026-01-01 00:00:00 UTC).
pub fn ts(s: u64) -> String {
    let (m, s) = (s / 60, s % 60);
    format!("Thu, 01 Jan 2026 00:{m:02}:{s:02} +0000")
}

/// Owned pairs from a literal list.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// A compact, comparable view of a webhook: kind, "METHOD url", params.
pub type View = (String, String, Vec<(String, String)>);

/// A compact, comparable view of a webhook: kind, "METHOD url", params.
pub fn view(w: &Webhook) -> View {
    let kind = match w.kind {
        WebhookKind::Fetch(p) => format!("fetch:{p:?}"),
        WebhookKind::StatusCallback => "status".to_owned(),
    };
    (kind, w.line(), w.params.clone())
}

/// Expected webhook.
pub fn hook(kind: &str, line: &str, params: &[(&str, &str)]) -> View {
    (kind.to_owned(), line.to_owned(), pairs(params))
}

/// Who a call is, for building its standard parameters.
#[derive(Debug, Clone)]
pub struct Party {
    pub sid: String,
    pub direction: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub parent: Option<String>,
}

impl Party {
    /// An inbound parent.
    pub fn inbound(n: u128, from: &'static str, to: &'static str) -> Self {
        Self {
            sid: ca_str(n),
            direction: "inbound",
            from,
            to,
            parent: None,
        }
    }

    /// The first call, created by REST from `+15005550006` to `client:alice`.
    pub fn outbound_api() -> Self {
        Self {
            sid: ca_str(1),
            direction: "outbound-api",
            from: "+15005550006",
            to: "client:alice",
            parent: None,
        }
    }

    /// A `<Dial>` child of call `parent`.
    pub fn child(n: u128, parent: u128, from: &'static str, to: &'static str) -> Self {
        Self {
            sid: ca_str(n),
            direction: "outbound-dial",
            from,
            to,
            parent: Some(ca_str(parent)),
        }
    }

    /// Standard voice parameters with `CallStatus=status`, then `extra`.
    pub fn params(&self, status: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut p = pairs(&[
            ("AccountSid", ACCOUNT),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", &self.sid),
            ("CallStatus", status),
            ("Direction", self.direction),
            ("From", self.from),
        ]);
        if let Some(parent) = &self.parent {
            p.push(("ParentCallSid".to_owned(), parent.clone()));
        }
        p.push(("To".to_owned(), self.to.to_owned()));
        p.extend(pairs(extra));
        p
    }

    /// A status callback's parameters.
    pub fn callback(
        &self,
        status: &str,
        seq: u32,
        at_secs: u64,
        duration: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut p = self.params(status, &[]);
        if let Some(d) = duration {
            p.push(("CallDuration".to_owned(), d.to_owned()));
        }
        p.extend(pairs(&[
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", &seq.to_string()),
            ("Timestamp", &ts(at_secs)),
        ]));
        p
    }
}

/// An expected webhook from already-built parameters.
pub fn hook_p(kind: &str, line: &str, params: Vec<(String, String)>) -> View {
    (kind.to_owned(), line.to_owned(), params)
}

/// All webhooks of a world, as views.
pub fn views(w: &dialtone_sim::World) -> Vec<View> {
    w.webhooks().iter().map(view).collect()
}

/// Notifications as `(call, code, level)`.
pub fn notes(w: &dialtone_sim::World) -> Vec<(String, u32, dialtone_types::Level)> {
    w.notifications()
        .iter()
        .map(|n| (n.call.to_string(), n.code.0, n.level))
        .collect()
}
