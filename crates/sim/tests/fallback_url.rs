//! Voice URL failures: the fallback URL gets `ErrorCode`/`ErrorUrl`; without one the caller
//! hears the application error and the call ends. Every failure is a notification.

mod common;

use common::*;
use dialtone_core::{AppConfig, MediaCommand, Method, Output, TwimlSource};
use dialtone_sim::{AppResponse, World};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Level, TwilioCode};

fn app(fallback: bool) -> AppConfig {
    AppConfig {
        twiml: TwimlSource::Url {
            url: WebUrl::parse("https://app.test/voice").unwrap(),
            method: Method::Post,
        },
        fallback: fallback.then(|| {
            (
                WebUrl::parse("https://backup.test/fallback").unwrap(),
                Method::Post,
            )
        }),
        status_callback: None,
    }
}

fn media(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) => Some(match &m.command {
                MediaCommand::Say { text, .. } => format!("say {text}"),
                other => format!("{other:?}"),
            }),
            _ => None,
        })
        .collect()
}

#[test]
fn invalid_xml_goes_to_the_fallback_with_error_code_and_url() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Say>unclosed</Response>",
    );
    w.serve(
        "https://backup.test/fallback",
        "<Response><Say>We are on it</Say></Response>",
    );
    let call = w
        .inbound_with("client:alice", "client:support", app(true))
        .unwrap();
    w.run_until_idle();

    let p = Party::inbound(1, "client:alice", "client:support");
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            hook_p(
                "fetch:Fallback",
                "POST https://backup.test/fallback",
                p.params(
                    "ringing",
                    &[
                        ("ErrorCode", "12100"),
                        ("ErrorUrl", "https://app.test/voice")
                    ]
                )
            ),
        ]
    );
    assert_eq!(notes(&w), vec![(ca_str(1), 12100, Level::Error)]);
    let n = &w.notifications()[0];
    assert_eq!(
        n.url.as_ref().map(WebUrl::as_str),
        Some("https://app.test/voice")
    );
    assert_eq!(n.method, Some(Method::Post));
    assert_eq!(media(&w), vec!["say We are on it"]);
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn http_500_without_fallback_plays_the_application_error_and_hangs_up() {
    let mut w = World::new();
    w.respond(
        "https://app.test/voice",
        AppResponse::Http {
            status: 500,
            content_type: Some("text/html".to_owned()),
            body: b"oops".to_vec(),
        },
    );
    let call = w
        .inbound_with("client:alice", "client:support", app(false))
        .unwrap();
    w.run_until_idle();
    assert_eq!(notes(&w), vec![(ca_str(1), 11200, Level::Error)]);
    assert_eq!(media(&w), vec!["ApplicationError"]);
    let legs: Vec<String> = w
        .outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::AnswerLeg { call } => Some(format!("answer {call}")),
            Output::HangupLeg { call } => Some(format!("hangup {call}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        legs,
        vec![format!("answer {call}"), format!("hangup {call}")]
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn a_failing_fallback_ends_in_the_application_error() {
    let mut w = World::new();
    w.respond(
        "https://app.test/voice",
        AppResponse::Failure {
            code: TwilioCode::HTTP_CONNECTION_FAILURE,
            message: "connect timeout".to_owned(),
        },
    );
    // The fallback answers without a Content-Type: 12300.
    w.respond(
        "https://backup.test/fallback",
        AppResponse::Http {
            status: 200,
            content_type: None,
            body: b"<Response/>".to_vec(),
        },
    );
    let call = w
        .inbound_with("client:alice", "client:support", app(true))
        .unwrap();
    w.run_until_idle();
    assert_eq!(
        notes(&w),
        vec![
            (ca_str(1), 11205, Level::Error),
            (ca_str(1), 12300, Level::Error)
        ]
    );
    assert_eq!(w.webhooks()[1].param("ErrorCode"), Some("11205"));
    assert_eq!(media(&w), vec!["ApplicationError"]);
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn plain_text_that_is_not_twiml_is_read_aloud_then_hung_up() {
    let mut w = World::new();
    w.respond(
        "https://app.test/voice",
        AppResponse::Http {
            status: 200,
            content_type: Some("text/plain; charset=utf-8".to_owned()),
            body: b"Hello there".to_vec(),
        },
    );
    let call = w
        .inbound_with("client:alice", "client:support", app(true))
        .unwrap();
    w.run_until_idle();
    assert_eq!(media(&w), vec!["say Hello there"]);
    assert_eq!(
        w.webhooks().len(),
        1,
        "no fallback for a readable text body"
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}
