//! User-initiated calls: pre_accept/accept ordering, reject, hang-ups on both sides, failures.

use dialtone_types::{TwilioCode, UnixMillis};

use super::*;
use crate::LegOutcome;
use crate::error::{GraphError, GraphFailure};
use crate::fixtures::{BUSINESS_OFFER, META_ANSWER, META_OFFER};
use crate::graph::{GraphConfig, GraphRequests, SdpType, Session};
use crate::sdp::{SdpError, SdpProblem};
use crate::webhook::{CallDirection, ConnectEvent, EventKind, TerminateEvent, TerminateStatus};

const ID: &str = "wacid.UIC1";
const T0: UnixMillis = UnixMillis(1_760_681_506_000);

/// Our answer to Meta's offer: active DTLS role, as Meta's samples show.
fn our_answer() -> String {
    BUSINESS_OFFER.replace("a=setup:actpass", "a=setup:active")
}

fn at(secs: u64) -> UnixMillis {
    T0.plus_millis(secs * 1000)
}

fn connect() -> ConnectEvent {
    ConnectEvent {
        call_id: ID.to_owned(),
        from: Some("5511987654321".to_owned()),
        to: Some("15550783881".to_owned()),
        timestamp: Some(1_760_681_506),
        direction: CallDirection::UserInitiated,
        session: Some(Session {
            sdp_type: SdpType::Offer,
            sdp: META_OFFER.to_owned(),
        }),
        biz_opaque_callback_data: None,
        cta_payload: None,
        deeplink_payload: None,
    }
}

fn terminate(duration: Option<u64>) -> EventKind {
    EventKind::Terminate(TerminateEvent {
        call_id: ID.to_owned(),
        from: None,
        to: None,
        timestamp: Some(1_760_681_600),
        direction: CallDirection::UserInitiated,
        status: TerminateStatus::Completed,
        start_time: None,
        end_time: None,
        duration,
        biz_opaque_callback_data: None,
        errors: vec![],
    })
}

fn drain(tracker: &mut InboundTracker) -> (Vec<LegOutcome>, Vec<Command>) {
    (
        std::iter::from_fn(|| tracker.poll_outcome()).collect(),
        std::iter::from_fn(|| tracker.poll_command()).collect(),
    )
}

fn pre_accept() -> Command {
    Command::PreAccept {
        call_id: ID.to_owned(),
        sdp_answer: our_answer(),
    }
}

fn accept() -> Command {
    Command::Accept {
        call_id: ID.to_owned(),
        sdp_answer: our_answer(),
    }
}

#[test]
fn pre_accept_then_accept_then_user_hangs_up() {
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    assert_eq!(
        tracker.handle_local_answer(&our_answer()),
        Ok(Handled::Applied)
    );
    assert_eq!(drain(&mut tracker), (vec![], vec![pre_accept()]));
    assert_eq!(
        tracker.handle_pre_accept_result(at(1), Ok(())),
        Handled::Applied
    );
    assert_eq!(tracker.handle_accept(), Handled::Applied);
    assert_eq!(drain(&mut tracker), (vec![], vec![accept()]));
    assert_eq!(
        tracker.handle_accept_result(at(3), Ok(())),
        Handled::Applied
    );
    assert_eq!(
        drain(&mut tracker),
        (
            vec![LegOutcome::Answered {
                sdp_answer: our_answer()
            }],
            vec![]
        )
    );
    assert_eq!(
        tracker.handle_event(at(4), &EventKind::Connect(connect())),
        Handled::Duplicate
    );
    assert_eq!(
        tracker.handle_event(at(93), &terminate(Some(90))),
        Handled::Applied
    );
    assert_eq!(
        tracker.handle_event(at(94), &terminate(Some(90))),
        Handled::Duplicate
    );
    assert_eq!(
        drain(&mut tracker),
        (vec![LegOutcome::HungUp { duration_secs: 90 }], vec![])
    );
    assert!(tracker.is_finished());
}

#[test]
fn engine_answers_before_the_media_leg_is_ready() {
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    assert_eq!(tracker.handle_accept(), Handled::Applied);
    assert_eq!(tracker.handle_accept(), Handled::Stale);
    assert_eq!(
        tracker.handle_local_answer(&our_answer()),
        Ok(Handled::Applied)
    );
    // pre_accept is skipped: accept goes out directly.
    assert_eq!(drain(&mut tracker), (vec![], vec![accept()]));
    // Engine answers while pre_accept is in flight: accept follows its success.
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    tracker
        .handle_local_answer(&our_answer())
        .expect("valid answer");
    tracker.handle_accept();
    assert_eq!(drain(&mut tracker), (vec![], vec![pre_accept()]));
    tracker.handle_pre_accept_result(at(1), Ok(()));
    assert_eq!(drain(&mut tracker), (vec![], vec![accept()]));
}

#[test]
fn reject_before_accept_and_terminate_after() {
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    tracker
        .handle_local_answer(&our_answer())
        .expect("valid answer");
    drain(&mut tracker);
    assert_eq!(tracker.handle_hangup(at(2)), Handled::Applied);
    assert_eq!(
        drain(&mut tracker),
        (
            vec![],
            vec![Command::Reject {
                call_id: ID.to_owned()
            }]
        )
    );
    assert_eq!(tracker.poll_timeout(), Some(at(2).plus_millis(LINGER_MS)));
    assert_eq!(
        tracker.handle_event(at(3), &terminate(None)),
        Handled::Applied
    );
    assert_eq!(drain(&mut tracker), (vec![], vec![]));
    assert!(tracker.is_finished());

    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    tracker.handle_accept();
    tracker
        .handle_local_answer(&our_answer())
        .expect("valid answer");
    tracker.handle_accept_result(at(1), Ok(()));
    drain(&mut tracker);
    tracker.handle_hangup(at(30));
    let terminate_command = Command::Terminate {
        call_id: ID.to_owned(),
    };
    assert_eq!(
        drain(&mut tracker),
        (vec![], vec![terminate_command.clone()])
    );
    let transient = GraphFailure::Timeout.classify();
    assert_eq!(
        tracker.handle_terminate_result(Err(&transient)),
        Handled::Applied
    );
    assert_eq!(drain(&mut tracker), (vec![], vec![terminate_command]));
    tracker.handle_timeout(at(30).plus_millis(LINGER_MS));
    assert!(tracker.is_finished());
}

#[test]
fn user_gives_up_before_accept() {
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    tracker
        .handle_local_answer(&our_answer())
        .expect("valid answer");
    tracker.handle_pre_accept_result(at(1), Ok(()));
    assert_eq!(
        tracker.handle_event(at(20), &terminate(None)),
        Handled::Applied
    );
    assert_eq!(
        drain(&mut tracker),
        (
            vec![LegOutcome::HungUp { duration_secs: 0 }],
            vec![pre_accept()]
        )
    );
    assert_eq!(tracker.handle_accept(), Handled::Stale);
}

#[test]
fn refused_pre_accept_or_accept_fails_the_call() {
    let refused = GraphFailure::Graph {
        status: 400,
        error: GraphError::new(100, "Invalid parameter", Some("bad SDP")),
    }
    .classify();
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    tracker
        .handle_local_answer(&our_answer())
        .expect("valid answer");
    drain(&mut tracker);
    tracker.handle_pre_accept_result(at(1), Err(&refused));
    let failed = LegOutcome::Failed {
        code: TwilioCode::INTERNAL_FAILURE,
        message: "WhatsApp error 100: Invalid parameter (bad SDP)".to_owned(),
    };
    assert_eq!(
        drain(&mut tracker),
        (
            vec![failed.clone()],
            vec![Command::Reject {
                call_id: ID.to_owned()
            }]
        )
    );
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    tracker.handle_accept();
    tracker
        .handle_local_answer(&our_answer())
        .expect("valid answer");
    drain(&mut tracker);
    tracker.handle_accept_result(at(1), Err(&refused));
    assert_eq!(
        drain(&mut tracker),
        (
            vec![failed],
            vec![Command::Terminate {
                call_id: ID.to_owned()
            }]
        )
    );
}

#[test]
fn unusable_connects_and_answers_are_refused() {
    let mut business = connect();
    business.direction = CallDirection::BusinessInitiated;
    assert_eq!(
        InboundTracker::from_connect(&business).err(),
        Some(InboundError::NotUserInitiated)
    );
    let mut no_offer = connect();
    no_offer.session = None;
    assert_eq!(
        InboundTracker::from_connect(&no_offer).err(),
        Some(InboundError::NoOffer)
    );
    let mut bad_offer = connect();
    bad_offer.session = Some(Session {
        sdp_type: SdpType::Offer,
        sdp: META_OFFER.replace("a=ice-pwd:z8X7c6V5b4N3m2L1k0J9h8G7\r\n", ""),
    });
    assert_eq!(
        InboundTracker::from_connect(&bad_offer).err(),
        Some(InboundError::Sdp(SdpError {
            problems: vec![SdpProblem::IcePwd]
        }))
    );
    let mut tracker = InboundTracker::from_connect(&connect()).expect("valid offer");
    assert_eq!(
        tracker.handle_local_answer(META_OFFER),
        Err(SdpError {
            problems: vec![SdpProblem::Setup]
        })
    );
    assert_eq!(
        tracker.handle_local_answer(META_ANSWER),
        Ok(Handled::Applied)
    );
}

#[test]
fn commands_become_graph_requests() {
    let config = GraphConfig::new("https://graph.facebook.com", "v24.0", "tok").expect("config");
    let requests = GraphRequests::new(config, "106540352242922").expect("requests");
    let body = |command: &Command| -> serde_json::Value {
        let request = command.to_request(&requests).expect("built");
        assert_eq!(request.path, "/v24.0/106540352242922/calls");
        serde_json::from_slice(request.body.as_deref().expect("body")).expect("json")
    };
    assert_eq!(body(&pre_accept())["action"], "pre_accept");
    assert_eq!(body(&accept())["session"]["sdp"], our_answer());
    assert_eq!(
        body(&Command::Reject {
            call_id: ID.to_owned()
        })["action"],
        "reject"
    );
    let terminate = Command::Terminate {
        call_id: ID.to_owned(),
    };
    assert_eq!(body(&terminate)["call_id"], ID);
    assert_eq!(terminate.call_id(), ID);
}
