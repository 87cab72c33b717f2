//! `<Dial><WhatsApp>` needs `callerId="whatsapp:+S"` with `+S` a voice-enabled sender of the
//! account: otherwise 37008, no child is created, and the dial fails at once.

mod common;

use common::*;
use dialtone_sim::World;
use dialtone_types::{CallStatus, Level};

fn dial_with(caller_id_attr: &str) -> World {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        &format!(
            r#"<Response><Dial {caller_id_attr} action="/done"><WhatsApp>+15557770000</WhatsApp></Dial></Response>"#
        ),
    );
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.inbound("client:agent", "client:dialtone", "https://app.test/voice");
    w.run_until_idle();
    w
}

/// `parser_13214`: the parser already flags a callerId that is not `whatsapp:+E164` (13214);
/// the engine then refuses the noun with 37008.
fn expect_37008(w: &World, parser_13214: bool) {
    let p = Party::inbound(1, "client:agent", "client:dialtone");
    assert_eq!(
        views(w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            // No child: no DialCallSid, no DialCallDuration.
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
    let mut expected = Vec::new();
    if parser_13214 {
        expected.push((ca_str(1), 13214, Level::Error));
    }
    expected.push((ca_str(1), 37008, Level::Error));
    assert_eq!(notes(w), expected);
    assert!(w.children_of(ca(1)).is_empty());
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn a_sender_of_another_account_is_37008() {
    expect_37008(&dial_with(r#"callerId="whatsapp:+15559999999""#), false);
}

#[test]
fn a_plain_number_caller_id_is_37008() {
    expect_37008(&dial_with(r#"callerId="+15550001111""#), true);
}

#[test]
fn a_missing_caller_id_defaults_to_the_parent_from_and_is_37008() {
    expect_37008(&dial_with(""), true);
}

#[test]
fn a_phone_network_parent_cannot_dial_whatsapp() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111"><WhatsApp>+15557770000</WhatsApp></Dial><Say>fallthrough</Say></Response>"#,
    );
    w.inbound("+14155550100", "+15550001111", "https://app.test/voice");
    w.run_until_idle();
    assert_eq!(notes(&w), vec![(ca_str(1), 13225, Level::Error)]);
    assert!(w.children_of(ca(1)).is_empty());
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}
