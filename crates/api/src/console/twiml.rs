//! A TwiML document shown with its diagnostics under the lines they point at, and the TwiML
//! checker page (paste a document, see what `dialtone twiml check` would say). Both run the
//! engine's own parser ([`dialtone_twiml::parse`]), so the console reports exactly what a
//! call would meet.

use axum::extract::State;
use axum::response::Response;
use dialtone_twiml::{Context, Diagnostic, Level, parse};
use maud::{Markup, html};

use crate::console::layout::{self, Nav, csrf_field, error_link};
use crate::console::session::Session;
use crate::params::Form;
use crate::state::ApiState;

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
    }
}

fn diagnostic(d: &Diagnostic) -> Markup {
    html! {
        div class={"diag " (level(d.level))} data-line=(d.line) data-code=(d.code.0) {
            span.where { (level(d.level)) " " (error_link(d.code.0)) " at line " (d.line) ", column " (d.column) ": " }
            span.msg { (d.message) }
        }
    }
}

/// `source` line by line, numbered, each line followed by its diagnostics; those past the
/// last line (an unclosed element at the end) come after it.
pub(crate) fn document(source: &str, diagnostics: &[Diagnostic]) -> Markup {
    let lines: Vec<&str> = source.lines().collect();
    let last = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    html! {
        div.twiml {
            @if diagnostics.is_empty() {
                p.clean { "No diagnostics: the document is valid." }
            } @else {
                p.summary {
                    (diagnostics.iter().filter(|d| d.level == Level::Error).count()) " error(s), "
                    (diagnostics.iter().filter(|d| d.level == Level::Warning).count()) " warning(s)"
                }
            }
            ol.source {
                @for (i, text) in lines.iter().enumerate() {
                    @let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    @let here: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.line == n || (n == last && d.line > last)).collect();
                    li id={"L" (n)} class=[(!here.is_empty()).then_some("flagged")] data-line=(n) {
                        code { (text) }
                        @for d in here { (diagnostic(d)) }
                    }
                }
                @if lines.is_empty() {
                    li data-line="1" {
                        code { "" }
                        @for d in diagnostics { (diagnostic(d)) }
                    }
                }
            }
        }
    }
}

/// `source` parsed for `context` and shown.
pub(crate) fn checked(source: &str, context: Context) -> Markup {
    let parsed = parse(source.as_bytes(), context);
    document(source, &parsed.diagnostics)
}

const CONTEXTS: [(&str, &str, Context); 3] = [
    (
        "call",
        "A call's document (voice URL, action, <Redirect>)",
        Context::Call,
    ),
    (
        "whisper",
        "A whisper document (<Number url>, <WhatsApp url>)",
        Context::Whisper,
    ),
    ("rest", "The REST Twiml parameter", Context::Rest),
];

fn page(session: &Session, source: &str, context: &str, result: Option<Markup>) -> Response {
    let body = html! {
        h1 { "TwiML checker" }
        p { "Paste a document to see the diagnostics a call would meet, at their lines (the same checks as " code { "dialtone twiml check" } ")." }
        form.checker method="post" action="/console/twiml" {
            (csrf_field(session))
            label { "Rules"
                select name="Context" {
                    @for (value, label, _) in CONTEXTS {
                        option value=(value) selected[context == value] { (label) }
                    }
                }
            }
            textarea name="Twiml" rows="14" spellcheck="false" { (source) }
            button type="submit" { "Check" }
        }
        @if let Some(result) = result {
            section #result { h2 { "Result" } (result) }
        }
    };
    layout::page(session, Nav::Twiml, "TwiML checker", &body)
}

/// `GET /console/twiml`.
pub(crate) async fn checker(session: Session) -> Response {
    page(
        &session,
        "<Response>\n  <Say>Hello</Say>\n</Response>\n",
        "call",
        None,
    )
}

/// `POST /console/twiml`.
pub(crate) async fn check(
    State(_state): State<ApiState>,
    session: Session,
    Form(params): Form,
) -> Response {
    let source = params.raw("Twiml").unwrap_or("").replace("\r\n", "\n");
    let name = params.get("Context").unwrap_or("call");
    let context = CONTEXTS
        .iter()
        .find(|(v, _, _)| *v == name)
        .map_or(Context::Call, |(_, _, c)| *c);
    let result = checked(&source, context);
    page(&session, &source, name, Some(result))
}
