//! REST updates that land while a `<Dial>` runs. Redirecting the parent leaves the dial
//! without `action` (ringing children `canceled`, a bridged one `completed`) and runs the new
//! document; canceling an unanswered parent (`answerOnBridge`) cancels its children and still
//! requests `action` (its TwiML ignored); completing the child ends the dial like a hang-up
//! (redirecting a child: `redirect_dial_child.rs`).

mod common;

use common::*;
use dialtone_core::{EngineError, Handled, Method, Output, RestCommand};
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;
use dialtone_types::WebUrl;

fn world(voice: &str, agent: LegScript) -> World {
    let mut w = World::new();
    w.serve("https://app.test/voice", voice);
    w.serve(
        "https://app.test/queue",
        "<Response><Say>Please hold</Say></Response>",
    );
    w.serve(
        "https://app.test/done",
        "<Response><Say>after the dial</Say></Response>",
    );
    w.leg("client:agent", agent);
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w
}

const DIAL: &str = r#"<Response><Dial action="/done"><Client statusCallback="/cb">agent</Client></Dial></Response>"#;

fn redirect() -> RestCommand {
    RestCommand::RedirectUrl {
        url: WebUrl::parse("https://app.test/queue").unwrap(),
        method: Method::Post,
    }
}

fn legs(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::CancelLeg { call } => Some(format!("cancel {call}")),
            Output::HangupLeg { call } => Some(format!("hangup {call}")),
            Output::Unbridge { child, .. } => Some(format!("unbridge {child}")),
            _ => None,
        })
        .collect()
}

#[test]
fn redirecting_the_parent_while_ringing_cancels_the_child_without_action() {
    let mut w = world(DIAL, LegScript::no_answer());
    w.advance(secs(5));
    assert_eq!(w.rest(ca(1), redirect()), Ok(Handled::Applied));
    w.run_until_idle();
    let p = Party::inbound(1, "client:caller", "client:sales");
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("canceled", 0, 5, Some("0"))
            ),
            hook_p(
                "fetch:Redirect",
                "POST https://app.test/queue",
                p.params("in-progress", &[])
            ),
        ]
    );
    assert_eq!(
        legs(&w),
        vec![format!("cancel {}", ca(2)), format!("hangup {}", ca(1))]
    );
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn redirecting_the_parent_while_bridged_completes_the_child() {
    let mut w = world(DIAL, LegScript::answers_after(secs(2)));
    w.advance(secs(9));
    assert_eq!(w.rest(ca(1), redirect()), Ok(Handled::Applied));
    w.run_until_idle();
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w)[1],
        hook_p(
            "status",
            "POST https://app.test/cb",
            c.callback("completed", 0, 9, Some("7"))
        )
    );
    assert_eq!(w.webhooks()[2].url, "https://app.test/queue");
    assert_eq!(w.webhooks().len(), 3, "no action request");
    assert_eq!(
        legs(&w),
        vec![
            format!("unbridge {}", ca(2)),
            format!("hangup {}", ca(2)),
            format!("hangup {}", ca(1)),
        ]
    );
}

#[test]
fn canceling_an_unanswered_parent_cancels_the_children_and_requests_action() {
    let mut w = world(
        r#"<Response><Dial answerOnBridge="true" action="/done"><Client statusCallback="/cb">agent</Client></Dial></Response>"#,
        LegScript::no_answer(),
    );
    w.advance(secs(4));
    assert_eq!(w.rest(ca(1), RestCommand::Cancel), Ok(Handled::Applied));
    w.run_until_idle();
    let p = Party::inbound(1, "client:caller", "client:sales");
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("canceled", 0, 4, Some("0"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "canceled",
                    &[
                        ("DialCallStatus", "canceled"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "0"),
                        ("DialBridged", "false"),
                    ]
                )
            ),
        ]
    );
    assert!(
        !w.outputs()
            .iter()
            .any(|(_, o)| matches!(o, Output::Media(_))),
        "the action's TwiML is ignored"
    );
    assert_eq!(w.status(ca(1)), Some(CallStatus::Canceled));
}

#[test]
fn completing_the_child_ends_the_dial_and_the_parent_goes_on() {
    let mut w = world(DIAL, LegScript::answers_after(secs(2)));
    w.advance(secs(12));
    assert_eq!(w.rest(ca(2), RestCommand::Complete), Ok(Handled::Applied));
    assert_eq!(
        w.rest(ca(2), RestCommand::Complete),
        Err(EngineError::UnknownCall(ca(2)))
    );
    w.run_until_idle();
    let p = Party::inbound(1, "client:caller", "client:sales");
    assert_eq!(
        views(&w)[2],
        hook_p(
            "fetch:Action",
            "POST https://app.test/done",
            p.params(
                "in-progress",
                &[
                    ("DialCallStatus", "completed"),
                    ("DialCallSid", &ca_str(2)),
                    ("DialCallDuration", "10"),
                    ("DialBridged", "true"),
                ]
            )
        )
    );
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
    assert_eq!(w.calls()[&ca(1)].duration, Some(14));
}
