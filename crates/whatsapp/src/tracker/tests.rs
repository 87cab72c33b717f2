//! Business-initiated call tracker: orderings, duplicates, deadlines, terminate retries.

use dialtone_types::{TwilioCode, UnixMillis};
use proptest::prelude::*;

use super::*;
use crate::LegOutcome;
use crate::error::{GraphError, GraphFailure};
use crate::fixtures::{META_ANSWER, META_OFFER};
use crate::graph::{SdpType, Session};
use crate::webhook::{
    CallDirection, CallStatusKind, ConnectEvent, EventKind, StatusEvent, TerminateEvent,
    TerminateStatus,
};

const ID: &str = "wacid.HBgLMTU1NTA3ODM4ODEVAgARGCA";
const T0: UnixMillis = UnixMillis(1_760_682_000_000);

fn at(secs: u64) -> UnixMillis {
    T0.plus_millis(secs * 1000)
}

fn status(status: CallStatusKind, ts: u64) -> EventKind {
    EventKind::Status(StatusEvent {
        call_id: ID.to_owned(),
        timestamp: Some(1_760_682_000 + ts),
        status,
        recipient_id: Some("5511987654321".to_owned()),
        biz_opaque_callback_data: None,
        errors: vec![],
    })
}

fn connect_with(sdp: &str, ts: u64) -> EventKind {
    EventKind::Connect(ConnectEvent {
        call_id: ID.to_owned(),
        from: Some("15550783881".to_owned()),
        to: Some("5511987654321".to_owned()),
        timestamp: Some(1_760_682_000 + ts),
        direction: CallDirection::BusinessInitiated,
        session: Some(Session {
            sdp_type: SdpType::Answer,
            sdp: sdp.to_owned(),
        }),
        biz_opaque_callback_data: None,
        cta_payload: None,
        deeplink_payload: None,
    })
}

fn connect(ts: u64) -> EventKind {
    connect_with(META_ANSWER, ts)
}

fn terminate(ts: u64, answered: Option<(u64, u64)>, errors: Vec<GraphError>) -> EventKind {
    EventKind::Terminate(TerminateEvent {
        call_id: ID.to_owned(),
        from: None,
        to: None,
        timestamp: Some(1_760_682_000 + ts),
        direction: CallDirection::BusinessInitiated,
        status: if errors.is_empty() {
            TerminateStatus::Completed
        } else {
            TerminateStatus::Failed
        },
        start_time: answered.map(|(start, _)| 1_760_682_000 + start),
        end_time: Some(1_760_682_000 + ts),
        duration: answered.map(|(_, duration)| duration),
        biz_opaque_callback_data: None,
        errors,
    })
}

fn placed() -> CallTracker {
    let mut tracker = CallTracker::new(T0, 30_000);
    assert_eq!(tracker.handle_connect_response(at(0), ID), Handled::Applied);
    tracker
}

fn outcomes(tracker: &mut CallTracker) -> Vec<LegOutcome> {
    std::iter::from_fn(|| tracker.poll_outcome()).collect()
}

fn commands(tracker: &mut CallTracker) -> Vec<Command> {
    std::iter::from_fn(|| tracker.poll_command()).collect()
}

fn answered() -> LegOutcome {
    LegOutcome::Answered {
        sdp_answer: META_ANSWER.to_owned(),
    }
}

fn terminate_command() -> Command {
    Command::Terminate {
        call_id: ID.to_owned(),
    }
}

#[test]
fn ring_answer_hang_up() {
    let mut tracker = placed();
    assert_eq!(tracker.call_id(), Some(ID));
    assert_eq!(
        tracker.handle_event(at(1), &status(CallStatusKind::Ringing, 1)),
        Handled::Applied
    );
    assert_eq!(tracker.handle_event(at(5), &connect(5)), Handled::Applied);
    assert_eq!(
        tracker.handle_event(at(6), &status(CallStatusKind::Accepted, 6)),
        Handled::Ignored
    );
    assert_eq!(tracker.poll_timeout(), None);
    assert_eq!(
        tracker.handle_event(at(95), &terminate(95, Some((5, 90)), vec![])),
        Handled::Applied
    );
    assert_eq!(
        outcomes(&mut tracker),
        vec![
            LegOutcome::Ringing,
            answered(),
            LegOutcome::HungUp { duration_secs: 90 }
        ]
    );
    assert_eq!(commands(&mut tracker), vec![]);
    assert!(tracker.is_finished());
}

#[test]
fn duplicates_and_late_events_are_absorbed() {
    let mut tracker = placed();
    tracker.handle_event(at(1), &status(CallStatusKind::Ringing, 1));
    assert_eq!(
        tracker.handle_event(at(2), &status(CallStatusKind::Ringing, 1)),
        Handled::Duplicate
    );
    tracker.handle_event(at(5), &connect(5));
    assert_eq!(tracker.handle_event(at(6), &connect(5)), Handled::Duplicate);
    assert_eq!(tracker.handle_event(at(7), &connect(7)), Handled::Duplicate);
    assert_eq!(
        tracker.handle_event(at(8), &status(CallStatusKind::Ringing, 2)),
        Handled::Stale
    );
    assert_eq!(
        tracker.handle_event(at(9), &status(CallStatusKind::Rejected, 9)),
        Handled::Stale
    );
    tracker.handle_event(at(20), &terminate(20, Some((5, 15)), vec![]));
    assert_eq!(
        tracker.handle_event(at(21), &terminate(20, Some((5, 15)), vec![])),
        Handled::Duplicate
    );
    // Meta retries a connect webhook after the call ended.
    assert_eq!(tracker.handle_event(at(40), &connect(5)), Handled::Stale);
    assert_eq!(
        outcomes(&mut tracker),
        vec![
            LegOutcome::Ringing,
            answered(),
            LegOutcome::HungUp { duration_secs: 15 }
        ]
    );
}

#[test]
fn terminate_before_connect() {
    // Picked up (start_time present) but the connect webhook comes after the terminate.
    let mut tracker = placed();
    tracker.handle_event(at(1), &status(CallStatusKind::Ringing, 1));
    assert_eq!(
        tracker.handle_event(at(30), &terminate(30, Some((5, 25)), vec![])),
        Handled::Applied
    );
    assert_eq!(tracker.handle_event(at(31), &connect(5)), Handled::Stale);
    assert_eq!(
        outcomes(&mut tracker),
        vec![
            LegOutcome::Ringing,
            LegOutcome::Failed {
                code: TwilioCode::INTERNAL_FAILURE,
                message: "WhatsApp call ended before its SDP answer arrived".to_owned()
            }
        ]
    );
    // Unanswered: Meta reports completed without start_time.
    let mut tracker = placed();
    tracker.handle_event(at(20), &terminate(20, None, vec![]));
    assert_eq!(outcomes(&mut tracker), vec![LegOutcome::NoAnswer]);
}

#[test]
fn rejected_then_terminate() {
    let mut tracker = placed();
    tracker.handle_event(at(1), &status(CallStatusKind::Ringing, 1));
    assert_eq!(
        tracker.handle_event(at(4), &status(CallStatusKind::Rejected, 4)),
        Handled::Applied
    );
    assert_eq!(tracker.poll_timeout(), Some(at(4).plus_millis(LINGER_MS)));
    assert!(!tracker.is_finished());
    assert_eq!(
        tracker.handle_event(at(5), &terminate(5, None, vec![])),
        Handled::Applied
    );
    assert_eq!(
        outcomes(&mut tracker),
        vec![LegOutcome::Ringing, LegOutcome::Rejected]
    );
    assert_eq!(commands(&mut tracker), vec![]);
    assert!(tracker.is_finished());
}

#[test]
fn failed_terminate_maps_its_error() {
    let mut tracker = placed();
    let error = GraphError {
        code: Some(138_021),
        message: "Media receive timeout".to_owned(),
        ..GraphError::default()
    };
    tracker.handle_event(at(3), &terminate(3, None, vec![error]));
    assert_eq!(
        outcomes(&mut tracker),
        vec![LegOutcome::Failed {
            code: TwilioCode::INTERNAL_FAILURE,
            message: "WhatsApp error 138021: Media receive timeout".to_owned()
        }]
    );
}

#[test]
fn answer_deadline_reports_no_answer_and_terminates() {
    let mut tracker = placed();
    tracker.handle_event(at(1), &status(CallStatusKind::Ringing, 1));
    assert_eq!(tracker.poll_timeout(), Some(at(30)));
    tracker.handle_timeout(at(29));
    assert_eq!(outcomes(&mut tracker), vec![LegOutcome::Ringing]);
    tracker.handle_timeout(at(30));
    assert_eq!(outcomes(&mut tracker), vec![LegOutcome::NoAnswer]);
    assert_eq!(commands(&mut tracker), vec![terminate_command()]);
    // The answer racing the deadline is stale; Meta's terminate closes the call.
    assert_eq!(tracker.handle_event(at(31), &connect(30)), Handled::Stale);
    assert_eq!(
        tracker.handle_event(at(32), &terminate(32, None, vec![])),
        Handled::Applied
    );
    assert_eq!(outcomes(&mut tracker), vec![]);
    assert!(tracker.is_finished());
}

#[test]
fn linger_ends_a_call_meta_never_confirms() {
    let mut tracker = placed();
    assert_eq!(tracker.handle_hangup(at(3)), Handled::Applied);
    assert_eq!(commands(&mut tracker), vec![terminate_command()]);
    assert_eq!(tracker.poll_timeout(), Some(at(3).plus_millis(LINGER_MS)));
    tracker.handle_timeout(at(3).plus_millis(LINGER_MS));
    assert!(tracker.is_finished());
    assert_eq!(outcomes(&mut tracker), vec![]);
    assert_eq!(tracker.handle_hangup(at(100)), Handled::Stale);
}

#[test]
fn bad_sdp_answer_fails_and_terminates() {
    let no_fingerprint: String = META_ANSWER
        .split_inclusive("\r\n")
        .filter(|line| !line.starts_with("a=fingerprint"))
        .collect();
    let mut tracker = placed();
    assert_eq!(
        tracker.handle_event(at(5), &connect_with(&no_fingerprint, 5)),
        Handled::Applied
    );
    assert_eq!(
        outcomes(&mut tracker),
        vec![LegOutcome::Failed {
            code: TwilioCode::INTERNAL_FAILURE,
            message: "SDP refused: no DTLS fingerprint".to_owned()
        }]
    );
    assert_eq!(commands(&mut tracker), vec![terminate_command()]);
    let mut offer = placed();
    let EventKind::Connect(mut event) = connect_with(META_OFFER, 5) else {
        unreachable!()
    };
    event.session = Some(Session {
        sdp_type: SdpType::Offer,
        sdp: META_OFFER.to_owned(),
    });
    offer.handle_event(at(5), &EventKind::Connect(event));
    assert_eq!(
        outcomes(&mut offer),
        vec![LegOutcome::Failed {
            code: TwilioCode::INTERNAL_FAILURE,
            message: "WhatsApp sent an SDP offer where an answer was expected".to_owned()
        }]
    );
}

#[test]
fn connect_failures_and_cancel_while_connecting() {
    let failure = GraphFailure::Graph {
        status: 401,
        error: GraphError {
            code: Some(138_006),
            message: "No approved call permission".to_owned(),
            ..GraphError::default()
        },
    }
    .classify();
    let mut tracker = CallTracker::new(T0, 30_000);
    assert_eq!(tracker.handle_connect_failure(&failure), Handled::Applied);
    assert_eq!(
        outcomes(&mut tracker),
        vec![LegOutcome::Failed {
            code: TwilioCode::WHATSAPP_NO_PERMISSION,
            message: "WhatsApp error 138006: No approved call permission".to_owned()
        }]
    );
    assert!(tracker.is_finished());

    // The parent hangs up while connect is in flight: terminate as soon as the id arrives.
    let mut tracker = CallTracker::new(T0, 30_000);
    assert_eq!(tracker.handle_hangup(at(1)), Handled::Applied);
    assert_eq!(tracker.poll_timeout(), None);
    assert_eq!(tracker.handle_connect_response(at(2), ID), Handled::Applied);
    assert_eq!(commands(&mut tracker), vec![terminate_command()]);
    assert_eq!(outcomes(&mut tracker), vec![]);

    // Same, but a webhook (routed by opaque data) brings the id first.
    let mut tracker = CallTracker::new(T0, 30_000);
    tracker.handle_hangup(at(1));
    assert_eq!(
        tracker.handle_event(at(2), &status(CallStatusKind::Ringing, 2)),
        Handled::Stale
    );
    assert_eq!(commands(&mut tracker), vec![terminate_command()]);
    assert_eq!(
        tracker.handle_connect_response(at(3), ID),
        Handled::Duplicate
    );
}

#[test]
fn webhooks_before_the_connect_response_and_other_calls() {
    let mut tracker = CallTracker::new(T0, 30_000);
    assert_eq!(
        tracker.handle_event(at(1), &status(CallStatusKind::Ringing, 1)),
        Handled::Applied
    );
    assert_eq!(tracker.call_id(), Some(ID));
    assert_eq!(
        tracker.handle_connect_response(at(2), ID),
        Handled::Duplicate
    );
    assert_eq!(
        tracker.handle_connect_response(at(2), "wacid.other"),
        Handled::Stale
    );
    let EventKind::Status(mut other) = status(CallStatusKind::Ringing, 3) else {
        unreachable!()
    };
    other.call_id = "wacid.other".to_owned();
    assert_eq!(
        tracker.handle_event(at(3), &EventKind::Status(other)),
        Handled::OtherCall
    );
    let EventKind::Connect(mut inbound) = connect(4) else {
        unreachable!()
    };
    inbound.direction = CallDirection::UserInitiated;
    assert_eq!(
        tracker.handle_event(at(4), &EventKind::Connect(inbound)),
        Handled::OtherCall
    );
    assert_eq!(outcomes(&mut tracker), vec![LegOutcome::Ringing]);
}

#[test]
fn transient_terminate_failures_are_retried_three_times() {
    let mut tracker = placed();
    tracker.handle_hangup(at(1));
    assert_eq!(commands(&mut tracker), vec![terminate_command()]);
    let transient = GraphFailure::Timeout.classify();
    assert_eq!(
        tracker.handle_terminate_result(Err(&transient)),
        Handled::Applied
    );
    assert_eq!(
        tracker.handle_terminate_result(Err(&transient)),
        Handled::Applied
    );
    assert_eq!(
        tracker.handle_terminate_result(Err(&transient)),
        Handled::Ignored
    );
    assert_eq!(
        commands(&mut tracker),
        vec![terminate_command(), terminate_command()]
    );
    let gone = GraphFailure::Http { status: 400 }.classify();
    assert_eq!(
        tracker.handle_terminate_result(Err(&gone)),
        Handled::Ignored
    );
    assert_eq!(tracker.handle_terminate_result(Ok(())), Handled::Ignored);
}

#[test]
fn duration_falls_back_on_timestamps_then_clock() {
    let mut tracker = placed();
    tracker.handle_event(at(5), &connect(5));
    let EventKind::Terminate(mut end) = terminate(47, None, vec![]) else {
        unreachable!()
    };
    end.end_time = None;
    tracker.handle_event(at(50), &EventKind::Terminate(end.clone()));
    assert_eq!(
        outcomes(&mut tracker),
        vec![answered(), LegOutcome::HungUp { duration_secs: 42 }]
    );
    let mut tracker = placed();
    tracker.handle_event(at(5), &connect(5));
    end.timestamp = None;
    tracker.handle_event(at(50), &EventKind::Terminate(end));
    assert_eq!(
        outcomes(&mut tracker),
        vec![answered(), LegOutcome::HungUp { duration_secs: 45 }]
    );
}

proptest! {
    /// Any order of any duplicated subset of a call's webhooks yields a valid sequence:
    /// `Ringing? Answered? terminal?`, at most one of each, `HungUp` only after `Answered`.
    #[test]
    fn any_order_yields_one_valid_sequence(
        picks in proptest::collection::vec(0usize..6, 0..12),
        timeout_at in proptest::option::of(0u64..120),
    ) {
        let events = [
            status(CallStatusKind::Ringing, 1),
            connect(5),
            status(CallStatusKind::Accepted, 6),
            status(CallStatusKind::Rejected, 4),
            terminate(60, Some((5, 55)), vec![]),
            terminate(20, None, vec![]),
        ];
        let mut tracker = placed();
        for (i, pick) in picks.iter().enumerate() {
            let now = at(u64::try_from(i).unwrap_or(0) * 10);
            if timeout_at.is_some_and(|t| now >= at(t)) {
                tracker.handle_timeout(now);
            }
            tracker.handle_event(now, &events[*pick]);
        }
        let seen = outcomes(&mut tracker);
        let rank = |o: &LegOutcome| match o {
            LegOutcome::Ringing => 0,
            LegOutcome::Answered { .. } => 1,
            _ => 2,
        };
        prop_assert!(seen.windows(2).all(|w| rank(&w[0]) < rank(&w[1])), "{seen:?}");
        let answered = seen.iter().any(|o| matches!(o, LegOutcome::Answered { .. }));
        for outcome in &seen {
            if matches!(outcome, LegOutcome::HungUp { .. }) {
                prop_assert!(answered);
            }
            if matches!(outcome, LegOutcome::Rejected | LegOutcome::NoAnswer) {
                prop_assert!(!answered);
            }
        }
    }
}

#[test]
fn terminate_while_cancel_pending_sends_nothing() {
    let mut tracker = CallTracker::new(T0, 30_000);
    tracker.handle_hangup(at(1));
    assert_eq!(
        tracker.handle_event(at(2), &terminate(2, None, vec![])),
        Handled::Applied
    );
    assert_eq!(commands(&mut tracker), vec![]);
    assert_eq!(outcomes(&mut tracker), vec![]);
    assert!(tracker.is_finished());
}

#[test]
fn a_user_initiated_connect_is_never_adopted() {
    let mut tracker = CallTracker::new(T0, 30_000);
    let EventKind::Connect(mut inbound) = connect(1) else {
        unreachable!()
    };
    inbound.direction = CallDirection::UserInitiated;
    assert_eq!(
        tracker.handle_event(at(1), &EventKind::Connect(inbound)),
        Handled::OtherCall
    );
    assert_eq!(tracker.call_id(), None);
    assert_eq!(tracker.handle_connect_response(at(2), ID), Handled::Applied);
}
