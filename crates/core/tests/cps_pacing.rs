//! Per-account CPS pacing in the engine, in virtual time: REST creates over the limit are
//! `queued` at once and placed at the limit; a full queue refuses with 20429; a queued call
//! can be canceled before its turn.

use std::num::NonZeroU32;

use dialtone_core::{
    AppConfig, CallSetup, CpsLimit, Engine, EngineConfig, EngineError, Handled, Input, Output,
    RestCommand, SequentialSids,
};
use dialtone_types::{CallStatus, Direction, Sid, SidKind, TwilioCode, UnixMillis, WebUrl};

const T0: UnixMillis = UnixMillis(1_767_225_600_000);

fn engine(cps: u32, queue: usize) -> Engine {
    let config = EngineConfig {
        cps: Some(CpsLimit {
            calls_per_second: NonZeroU32::new(cps).unwrap(),
            queue,
        }),
        ..EngineConfig::default()
    };
    Engine::new(config, SequentialSids::default())
}

fn create(account: u128) -> Input {
    let app = AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap());
    let setup = CallSetup::new(
        Sid::new(SidKind::Account, account),
        Direction::OutboundApi,
        "+15550001111".parse().unwrap(),
        "client:alice".parse().unwrap(),
        app,
    );
    Input::StartCall(Box::new(setup))
}

fn start(e: &mut Engine, now: UnixMillis, account: u128) -> Result<Sid, EngineError> {
    match e.handle_input(now, create(account))? {
        Handled::Started(sid) => Ok(sid),
        other => panic!("not started: {other:?}"),
    }
}

/// `(call, status)` of every snapshot and the calls whose leg was placed, in order.
fn drain(e: &mut Engine) -> (Vec<(Sid, CallStatus)>, Vec<Sid>) {
    let (mut statuses, mut legs) = (Vec::new(), Vec::new());
    while let Some(o) = e.poll_output() {
        match o {
            Output::CallUpdated(s) => statuses.push((s.sid, s.status)),
            Output::StartLeg(l) => legs.push(l.call),
            _ => {}
        }
    }
    (statuses, legs)
}

#[test]
fn ten_creates_at_two_per_second_are_queued_at_once_and_placed_at_the_limit() {
    let mut e = engine(2, 100);
    let calls: Vec<Sid> = (0..10).map(|_| start(&mut e, T0, 1).unwrap()).collect();
    let (statuses, legs) = drain(&mut e);
    // Every call exists at once, `queued`; only the first is placed (`initiated`, its leg).
    let queued: Vec<Sid> = statuses
        .iter()
        .filter(|(_, s)| *s == CallStatus::Queued)
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(queued, calls);
    assert_eq!(statuses.len(), 11, "{statuses:?}");
    assert_eq!(statuses[1], (calls[0], CallStatus::Initiated));
    assert_eq!(legs, [calls[0]]);
    assert_eq!((e.queued_calls(), e.live_calls()), (9, 10));

    // The driver sleeps until poll_timeout: each wake-up places the next call, 500 ms apart.
    let mut placed = vec![(calls[0], 0)];
    while let Some(at) = e.poll_timeout() {
        if placed.len() == 10 {
            break;
        }
        e.handle_timeout(at);
        let (statuses, legs) = drain(&mut e);
        for call in legs {
            assert!(statuses.contains(&(call, CallStatus::Initiated)));
            placed.push((call, at.0 - T0.0));
        }
    }
    let expected: Vec<(Sid, u64)> = calls
        .iter()
        .copied()
        .zip((0..10).map(|n| n * 500))
        .collect();
    assert_eq!(placed, expected);
    assert_eq!(e.queued_calls(), 0);
    // The ring timeout (60 s) of the last call counts from its placing, not its create.
    assert!(e.armed_timers().contains(&(
        calls[9],
        dialtone_core::Timer::Ring,
        T0.plus_millis(4_500 + 60_000)
    )));
}

#[test]
fn a_full_queue_refuses_with_20429_and_other_accounts_are_not_held_back() {
    let mut e = engine(1, 2);
    for _ in 0..3 {
        start(&mut e, T0, 1).unwrap();
    }
    let refused = start(&mut e, T0, 1).unwrap_err();
    assert_eq!(
        refused,
        EngineError::QueueFull {
            queue: 2,
            retry_at: T0.plus_millis(1_000)
        }
    );
    assert_eq!(refused.code(), TwilioCode(20429));
    // Nothing of the refused create exists.
    assert_eq!(e.live_calls(), 3);
    // Another account starts at once.
    let other = start(&mut e, T0, 2).unwrap();
    let (_, legs) = drain(&mut e);
    assert_eq!(legs.last(), Some(&other));
    // Inbound calls are never paced.
    let mut inbound = CallSetup::new(
        Sid::new(SidKind::Account, 1),
        Direction::Inbound,
        "client:bob".parse().unwrap(),
        "client:app".parse().unwrap(),
        AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap()),
    );
    inbound.timeout_secs = 5;
    assert!(matches!(
        e.handle_input(T0, Input::StartCall(Box::new(inbound))),
        Ok(Handled::Started(_))
    ));
}

#[test]
fn a_queued_call_canceled_before_its_turn_ends_canceled_without_a_leg() {
    let mut e = engine(1, 10);
    let first = start(&mut e, T0, 1).unwrap();
    let second = start(&mut e, T0, 1).unwrap();
    let third = start(&mut e, T0, 1).unwrap();
    drain(&mut e);
    let r = e.handle_input(
        T0.plus_millis(100),
        Input::Rest {
            call: second,
            command: RestCommand::Cancel,
        },
    );
    assert_eq!(r, Ok(Handled::Applied));
    let mut outputs = Vec::new();
    while let Some(o) = e.poll_output() {
        outputs.push(o);
    }
    assert!(
        outputs
            .iter()
            .all(|o| !matches!(o, Output::CancelLeg { .. } | Output::HangupLeg { .. })),
        "{outputs:?}"
    );
    assert!(
        outputs
            .iter()
            .any(|o| matches!(o, Output::CallUpdated(s) if s.sid == second && s.status == CallStatus::Canceled))
    );
    assert_eq!(e.queued_calls(), 1);
    // The third takes the second's turn.
    assert_eq!(e.poll_timeout(), Some(T0.plus_millis(1_000)));
    e.handle_timeout(T0.plus_millis(1_000));
    let (_, legs) = drain(&mut e);
    assert_eq!(legs, [third]);
    assert!(e.is_live(first));
}
