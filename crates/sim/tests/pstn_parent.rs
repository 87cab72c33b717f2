//! A `<Dial><WhatsApp>` from a phone-network (PSTN) parent is refused: WhatsApp calls may not
//! be bridged to the phone network. The noun is not dialed (no child, no leg), a 13225 error
//! notification says why, and the dial ends `failed` (`action` without `DialCallSid`), or the
//! next verb runs. Other nouns of the same `<Dial>` still ring. A REST call to a phone number
//! is refused outright.

mod common;

use common::*;
use dialtone_core::{AppConfig, EngineError, Output};
use dialtone_sim::{LegScript, World};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Level, TwilioCode};

const PSTN_CALLER: &str = "+14155550100";

fn world(voice: &str) -> World {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve("https://app.test/voice", voice);
    w.serve(
        "https://app.test/done",
        "<Response><Say>Sorry</Say></Response>",
    );
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(2)).hangs_up_after(secs(5)),
    );
    w.inbound(PSTN_CALLER, "+15550001111", "https://app.test/voice");
    w.run_until_idle();
    w
}

fn starts(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::StartLeg(l) => Some(l.to.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_whatsapp_noun_is_refused_with_13225_and_action_gets_failed() {
    let w = world(
        r#"<Response><Dial callerId="whatsapp:+15550001111" action="/done"><WhatsApp statusCallback="/cb">+15557770000</WhatsApp></Dial></Response>"#,
    );
    let p = Party::inbound(1, PSTN_CALLER, "+15550001111");
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "in-progress",
                    &[("DialCallStatus", "failed"), ("DialBridged", "false")]
                )
            ),
        ]
    );
    assert!(starts(&w).is_empty());
    let n = w.notifications();
    assert_eq!(n.len(), 1);
    assert_eq!(
        (n[0].call, n[0].code, n[0].level),
        (ca(1), TwilioCode::DIAL_CALL_BLOCKED, Level::Error)
    );
    assert_eq!(
        n[0].message,
        "<WhatsApp> cannot be dialed from a phone-network call: WhatsApp calls may not be bridged to the PSTN"
    );
    assert_eq!(w.calls().len(), 1, "no child call was created");
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn a_client_noun_in_the_same_dial_still_rings() {
    let w = world(
        r#"<Response><Dial callerId="whatsapp:+15550001111" action="/done"><WhatsApp>+15557770000</WhatsApp><Client>agent</Client></Dial></Response>"#,
    );
    assert_eq!(starts(&w), vec!["client:agent"]);
    assert_eq!(notes(&w), vec![(ca_str(1), 13225, Level::Error)]);
    let action = &w.webhooks()[1];
    assert_eq!(action.param("DialCallStatus"), Some("completed"));
    assert_eq!(action.param("DialCallSid"), Some(ca_str(2).as_str()));
    assert_eq!(action.param("DialBridged"), Some("true"));
}

#[test]
fn a_softphone_parent_may_dial_the_same_noun() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111"><WhatsApp>+15557770000</WhatsApp></Dial></Response>"#,
    );
    w.leg("whatsapp:+15557770000", LegScript::busy());
    w.inbound("client:alice", "client:support", "https://app.test/voice");
    w.run_until_idle();
    assert_eq!(starts(&w), vec!["whatsapp:+15557770000"]);
    assert!(w.notifications().is_empty());
}

#[test]
fn a_rest_call_to_a_phone_number_is_refused() {
    let mut w = World::new();
    let app = AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap());
    let err = w
        .outbound_api("client:alice", "+14155550100", app)
        .unwrap_err();
    assert_eq!(err, EngineError::PstnNotSupported);
    assert_eq!(err.code(), TwilioCode::DIAL_NUMBER_NOT_SUPPORTED);
    assert!(w.outputs().is_empty());
    assert_eq!(w.engine().live_calls(), 0);
}
