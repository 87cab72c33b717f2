//! Snapshots carry what a restart needs to send the callbacks a call still owes: its status
//! callback subscription (a `<Dial>` child's comes from its noun, with relative URLs resolved
//! and Twilio's `completed`-only default applied) and its next `SequenceNumber`.

mod common;

use common::*;
use dialtone_core::{
    AppConfig, CallbackSubscription, Method, Output, StatusCallbackConfig, StatusCallbackEvents,
};
use dialtone_sim::{LegScript, World};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Sid};

/// `(status, sequence, subscription)` of every snapshot of `call`, in order.
fn snapshots(w: &World, call: Sid) -> Vec<(CallStatus, u32, Option<CallbackSubscription>)> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::CallUpdated(s) if s.sid == call => {
                Some((s.status, s.sequence, s.status_callback.clone()))
            }
            _ => None,
        })
        .collect()
}

fn sub(url: &str, method: Method, events: StatusCallbackEvents) -> CallbackSubscription {
    CallbackSubscription {
        url: WebUrl::parse(url).unwrap(),
        method,
        events,
    }
}

#[test]
fn a_dial_child_snapshot_carries_its_noun_subscription_and_sequence() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial><Client statusCallback="/child" statusCallbackMethod="GET" statusCallbackEvent="ringing completed">agent</Client></Dial></Response>"#,
    );
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(2)).hangs_up_after(secs(5)),
    );
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.run_until_idle();
    let events = StatusCallbackEvents {
        ringing: true,
        completed: true,
        ..StatusCallbackEvents::NONE
    };
    let child = Some(sub("https://app.test/child", Method::Get, events));
    assert_eq!(
        snapshots(&w, ca(2)),
        [
            (CallStatus::Initiated, 0, child.clone()),
            (CallStatus::Ringing, 1, child.clone()),
            (CallStatus::InProgress, 1, child.clone()),
            (CallStatus::Completed, 2, child),
        ]
    );
    // The parent has no subscription: nothing is counted.
    assert_eq!(
        snapshots(&w, ca(1)),
        [
            (CallStatus::Ringing, 0, None),
            (CallStatus::InProgress, 0, None),
            (CallStatus::Completed, 0, None),
        ]
    );
}

#[test]
fn a_subscription_without_events_is_completed_only() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial><Client statusCallback="https://cb.test/child">agent</Client></Dial></Response>"#,
    );
    w.leg("client:agent", LegScript::busy());
    let app = AppConfig {
        status_callback: Some(StatusCallbackConfig {
            url: WebUrl::parse("https://cb.test/parent").unwrap(),
            method: Method::Post,
            events: StatusCallbackEvents::NONE,
        }),
        ..AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap())
    };
    w.inbound_with("client:caller", "client:sales", app)
        .unwrap();
    w.run_until_idle();
    let completed = StatusCallbackEvents::COMPLETED;
    let child = Some(sub("https://cb.test/child", Method::Post, completed));
    assert_eq!(
        snapshots(&w, ca(2)),
        [
            (CallStatus::Initiated, 0, child.clone()),
            (CallStatus::Busy, 1, child),
        ]
    );
    let parent = Some(sub("https://cb.test/parent", Method::Post, completed));
    assert_eq!(
        snapshots(&w, ca(1)).last(),
        Some(&(CallStatus::Completed, 1, parent))
    );
}
