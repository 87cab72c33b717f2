//! The page shell every console page shares (navigation, the CSRF token for scripts, the
//! logout form) and the response headers that go with it.
//!
//! Pages are maud templates: every `(value)` is HTML-escaped, so user-supplied text (From,
//! To, TwiML, webhook bodies, friendly names) can only ever show as text. The
//! Content-Security-Policy allows scripts and styles from the console itself only, so even a
//! mistake in escaping would not run an injected script.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use dialtone_types::{CallStatus, UnixMillis};
use maud::{DOCTYPE, Markup, html};

use crate::console::guard::CSRF_FIELD;
use crate::console::session::Session;

/// The sections in the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Calls,
    Applications,
    Keys,
    Twiml,
    WhatsApp,
    None,
}

const SECTIONS: [(Nav, &str, &str); 5] = [
    (Nav::Calls, "/console/calls", "Calls"),
    (Nav::Applications, "/console/applications", "Applications"),
    (Nav::Keys, "/console/keys", "API keys"),
    (Nav::Twiml, "/console/twiml", "TwiML checker"),
    (Nav::WhatsApp, "/console/whatsapp", "WhatsApp"),
];

/// Headers on every console response: no caching of account data, no framing, no sniffing,
/// and scripts only from the console.
pub(crate) fn secure_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             media-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; \
             base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A whole page for a signed-in user.
pub(crate) fn page(session: &Session, nav: Nav, title: &str, body: &Markup) -> Response {
    page_with_status(StatusCode::OK, session, nav, title, body)
}

/// [`page`] with another status (422 for a form with errors, 404...).
pub(crate) fn page_with_status(
    status: StatusCode,
    session: &Session,
    nav: Nav,
    title: &str,
    body: &Markup,
) -> Response {
    let who = match session.caller.key {
        Some(key) => format!("{} (API key {key})", session.caller.account),
        None => session.caller.account.to_string(),
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(session.csrf);
                title { (title) " · Dialtone" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/console/calls" { "Dialtone" }
                    nav {
                        @for (section, href, label) in SECTIONS {
                            a href=(href) class=[(section == nav).then_some("active")] { (label) }
                        }
                    }
                    span.who title="Signed in as" { (who) }
                    form.logout method="post" action="/console/logout" {
                        input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                        button type="submit" { "Log out" }
                    }
                }
                main { (body) }
            }
        }
    };
    secure_headers((status, Html(markup.into_string())).into_response())
}

/// A page without the navigation (sign-in, errors before a session exists).
pub(crate) fn bare(status: StatusCode, title: &str, body: &Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Dialtone" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body.bare { main { (body) } }
        }
    };
    secure_headers((status, Html(markup.into_string())).into_response())
}

/// A short error page.
pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    bare(
        status,
        title,
        &html! {
            h1 { (title) }
            p.error { (message) }
            p { a href="/console/calls" { "Back to the console" } }
        },
    )
}

/// A hidden CSRF field for a form.
pub(crate) fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf); }
}

/// A date as `2010-08-31 20:36:28 UTC`.
pub(crate) fn when(at: UnixMillis) -> String {
    let secs = at.0 / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// A time of day with milliseconds, for timelines: `20:36:28.125`.
pub(crate) fn clock(at: UnixMillis) -> String {
    let secs = at.0 / 1000 % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        at.0 % 1000
    )
}

/// Howard Hinnant's days-to-civil: (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A status as a coloured badge.
pub(crate) fn status_badge(status: CallStatus) -> Markup {
    let class = match status {
        CallStatus::Completed => "ok",
        CallStatus::InProgress | CallStatus::Ringing => "live",
        CallStatus::Queued | CallStatus::Initiated => "pending",
        _ => "bad",
    };
    html! { span class={"badge " (class)} data-status=(status.as_str()) { (status.as_str()) } }
}

/// Twilio's reference page for error `code`.
pub(crate) fn error_link(code: u32) -> Markup {
    html! {
        a.code href={"https://www.twilio.com/docs/errors/" (code)} rel="noreferrer" target="_blank" {
            (code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            when(UnixMillis(1_283_286_988_000)),
            "2010-08-31 20:36:28 UTC"
        );
        assert_eq!(when(UnixMillis(0)), "1970-01-01 00:00:00 UTC");
        assert_eq!(clock(UnixMillis(1_283_286_988_125)), "20:36:28.125");
    }
}
