//! Status callbacks of `<Dial>` children: all four events in order with every parameter
//! (`Timestamp`, `CallbackSource`, `SequenceNumber`, `CallDuration` on `completed` only), the
//! callback URL resolved against the document and sent with its own method, the
//! `completed`-only default when a `statusCallback` has no events, and subsets.

mod common;

use common::*;
use dialtone_core::{AppConfig, Method, StatusCallbackConfig, StatusCallbackEvents};
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;
use dialtone_types::WebUrl;

fn app(callback: bool) -> AppConfig {
    let mut app = AppConfig::url(WebUrl::parse("https://app.test/ivr/voice").unwrap());
    if callback {
        app.status_callback = Some(StatusCallbackConfig {
            url: WebUrl::parse("https://app.test/call-status").unwrap(),
            method: Method::Post,
            events: StatusCallbackEvents::NONE,
        });
    }
    app
}

#[test]
fn all_four_events_on_a_client_child_with_get_and_a_relative_url() {
    let mut w = World::new();
    w.serve(
        "https://app.test/ivr/voice",
        r#"<Response><Dial><Client statusCallback="events?leg=agent" statusCallbackMethod="GET" statusCallbackEvent="initiated ringing answered completed">agent</Client></Dial></Response>"#,
    );
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(5)).hangs_up_after(secs(20)),
    );
    w.inbound_with("client:alice", "client:support", app(false))
        .unwrap();
    w.run_until_idle();

    let p = Party::inbound(1, "client:alice", "client:support");
    let c = Party::child(2, 1, "client:alice", "client:agent");
    let cb = "GET https://app.test/ivr/events?leg=agent";
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/ivr/voice",
                p.params("ringing", &[])
            ),
            hook_p("status", cb, c.callback("initiated", 0, 0, None)),
            hook_p("status", cb, c.callback("ringing", 1, 1, None)),
            hook_p("status", cb, c.callback("in-progress", 2, 5, None)),
            hook_p("status", cb, c.callback("completed", 3, 25, Some("20"))),
        ]
    );
    // No action: the document ends after the Dial and the parent hangs up with the child.
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
    assert_eq!(w.calls()[&ca(1)].duration, Some(25));
}

#[test]
fn a_status_callback_without_events_gets_only_completed() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/ivr/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" timeout="10"><WhatsApp statusCallback="/wa-status">+15557770000</WhatsApp></Dial></Response>"#,
    );
    w.leg("whatsapp:+15557770000", LegScript::no_answer());
    // The call's own statusCallback without events: only `completed` too.
    w.inbound_with("client:alice", "client:support", app(true))
        .unwrap();
    w.run_until_idle();

    let p = Party::inbound(1, "client:alice", "client:support");
    let c = Party::child(2, 1, "whatsapp:+15550001111", "whatsapp:+15557770000");
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/ivr/voice",
                p.params("ringing", &[])
            ),
            hook_p(
                "status",
                "POST https://app.test/wa-status",
                c.callback("no-answer", 0, 10, Some("0"))
            ),
            hook_p(
                "status",
                "POST https://app.test/call-status",
                p.callback("completed", 0, 10, Some("10"))
            ),
        ]
    );
}

#[test]
fn a_subset_sends_only_its_events_numbered_from_zero() {
    let mut w = World::new();
    w.serve(
        "https://app.test/ivr/voice",
        r#"<Response><Dial><Client statusCallback="/s" statusCallbackEvent="ringing answered">agent</Client></Dial></Response>"#,
    );
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(3))
            .rings_after(secs(2))
            .hangs_up_after(secs(4)),
    );
    w.inbound_with("client:alice", "client:support", app(false))
        .unwrap();
    w.run_until_idle();
    let c = Party::child(2, 1, "client:alice", "client:agent");
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/s",
                c.callback("ringing", 0, 2, None)
            ),
            hook_p(
                "status",
                "POST https://app.test/s",
                c.callback("in-progress", 1, 3, None)
            ),
        ]
    );
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
}

#[test]
fn each_leg_of_a_parallel_dial_counts_its_own_sequence() {
    let mut w = World::new();
    w.serve(
        "https://app.test/ivr/voice",
        r#"<Response><Dial><Client statusCallback="/a" statusCallbackEvent="initiated ringing answered completed">a</Client><Client statusCallback="/b" statusCallbackEvent="initiated ringing answered completed">b</Client></Dial></Response>"#,
    );
    w.leg(
        "client:a",
        LegScript::answers_after(secs(4)).hangs_up_after(secs(6)),
    );
    w.leg("client:b", LegScript::no_answer().rings_after(secs(2)));
    w.inbound_with("client:alice", "client:support", app(false))
        .unwrap();
    w.run_until_idle();
    let a = Party::child(2, 1, "client:alice", "client:a");
    let b = Party::child(3, 1, "client:alice", "client:b");
    let (ua, ub) = ("POST https://app.test/a", "POST https://app.test/b");
    assert_eq!(
        views(&w)[1..],
        [
            hook_p("status", ua, a.callback("initiated", 0, 0, None)),
            hook_p("status", ub, b.callback("initiated", 0, 0, None)),
            hook_p("status", ua, a.callback("ringing", 1, 1, None)),
            hook_p("status", ub, b.callback("ringing", 1, 2, None)),
            hook_p("status", ua, a.callback("in-progress", 2, 4, None)),
            // The loser is canceled when the winner answers.
            hook_p("status", ub, b.callback("canceled", 2, 4, Some("0"))),
            hook_p("status", ua, a.callback("completed", 3, 10, Some("6"))),
        ]
    );
}
