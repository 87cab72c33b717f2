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
pub fn view(w: &Webhook) -> (String, String, Vec<(String, String)>) {
    let kind = match w.kind {
        WebhookKind::Fetch(p) => format!("fetch:{p:?}"),
        WebhookKind::StatusCallback => "status".to_owned(),
    };
    (kind, w.line(), w.params.clone())
}

/// Expected webhook.
pub fn hook(kind: &str, line: &str, params: &[(&str, &str)]) -> (String, String, Vec<(String, String)>) {
    (kind.to_owned(), line.to_owned(), pairs(params))
}
