//! The engine driven by hand, as a runtime would: inputs with their time, outputs drained,
//! timers from `poll_timeout`. No harness.

use dialtone_core::{
    AppConfig, CallSetup, Engine, EngineConfig, EngineError, FetchResult, Handled, Input, LegEvent,
    Output, RequestId, SequentialSids, Timer, TwimlSource,
};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Direction, E164, Sid, SidKind, TwilioCode, UnixMillis};

const T0: UnixMillis = UnixMillis(1_767_225_600_000);

fn account() -> Sid {
    Sid::new(SidKind::Account, 7)
}

fn engine() -> Engine {
    let mut e = Engine::new(EngineConfig::default(), SequentialSids::default());
    let senders = vec![E164::parse("+15550001111").unwrap()];
    let r = e.handle_input(
        T0,
        Input::SetSenders {
            account: account(),
            senders,
        },
    );
    assert_eq!(r, Ok(Handled::Applied));
    e
}

fn setup(direction: Direction, from: &str, to: &str, twiml: TwimlSource) -> Input {
    let app = AppConfig {
        twiml,
        fallback: None,
        status_callback: None,
    };
    let mut s = CallSetup::new(
        account(),
        direction,
        from.parse().unwrap(),
        to.parse().unwrap(),
        app,
    );
    s.timeout_secs = 20;
    Input::StartCall(Box::new(s))
}

fn drain(e: &mut Engine) -> Vec<Output> {
    std::iter::from_fn(|| e.poll_output()).collect()
}

fn voice() -> TwimlSource {
    TwimlSource::Url {
        url: WebUrl::parse("https://app.test/voice").unwrap(),
        method: dialtone_core::Method::Post,
    }
}

#[test]
fn a_dial_times_out_through_poll_timeout_and_handle_timeout() {
    let mut e = engine();
    let Ok(Handled::Started(parent)) = e.handle_input(
        T0,
        setup(Direction::Inbound, "client:a", "client:b", voice()),
    ) else {
        panic!("not started");
    };
    let Some(Output::Fetch(fetch)) = drain(&mut e)
        .into_iter()
        .find(|o| matches!(o, Output::Fetch(_)))
    else {
        panic!("no fetch");
    };
    let doc = r#"<Response><Dial timeout="7" callerId="whatsapp:+15550001111"><WhatsApp>+15557770000</WhatsApp></Dial></Response>"#;
    let r = e.handle_input(
        T0,
        Input::Fetched {
            call: parent,
            request: fetch.request,
            result: FetchResult::xml(doc),
        },
    );
    assert_eq!(r, Ok(Handled::Applied));
    let child = drain(&mut e)
        .into_iter()
        .find_map(|o| match o {
            Output::StartLeg(l) => Some(l.call),
            _ => None,
        })
        .unwrap();
    // The dial deadline is the next wake-up (the parent's 4 h time limit comes later).
    assert_eq!(e.poll_timeout(), Some(T0.plus_millis(7_000)));
    assert!(
        e.armed_timers()
            .contains(&(parent, Timer::Dial, T0.plus_millis(7_000)))
    );
    e.handle_timeout(T0.plus_millis(7_000));
    let out = drain(&mut e);
    assert!(matches!(out[0], Output::CancelLeg { call } if call == child));
    assert!(
        matches!(&out[1], Output::CallUpdated(s) if s.sid == child && s.status == CallStatus::NoAnswer)
    );
    // No action: the document ends and the parent hangs up.
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::HangupLeg { call } if *call == parent))
    );
    assert_eq!(e.live_calls(), 0);
    assert_eq!(e.poll_timeout(), None);
}

#[test]
fn stale_and_unknown_inputs_are_absorbed_and_time_never_goes_back() {
    let mut e = engine();
    let Ok(Handled::Started(call)) = e.handle_input(
        T0,
        setup(Direction::Inbound, "client:a", "client:b", voice()),
    ) else {
        panic!("not started");
    };
    drain(&mut e);
    let wrong = Input::Fetched {
        call,
        request: RequestId(999),
        result: FetchResult::xml("<Response/>"),
    };
    assert_eq!(e.handle_input(T0.plus_millis(5), wrong), Ok(Handled::Stale));
    assert!(drain(&mut e).is_empty());
    let ghost = Sid::new(SidKind::Call, 12_345);
    let r = e.handle_input(
        T0,
        Input::Leg {
            call: ghost,
            event: LegEvent::Answered,
        },
    );
    assert_eq!(r, Ok(Handled::Stale));
    // An earlier time than already seen is clamped.
    assert_eq!(e.now(), T0.plus_millis(5));
    // A second answer of an inbound call (answered by the engine, not the leg) is stale.
    let r = e.handle_input(
        T0,
        Input::Leg {
            call,
            event: LegEvent::Answered,
        },
    );
    assert_eq!(r, Ok(Handled::Stale));
}

#[test]
fn refused_creations_carry_twilio_codes() {
    let mut e = engine();
    let to_phone = e.handle_input(
        T0,
        setup(Direction::OutboundApi, "client:a", "+14155550100", voice()),
    );
    assert_eq!(to_phone, Err(EngineError::PstnNotSupported));
    assert_eq!(EngineError::PstnNotSupported.code(), TwilioCode(13224));

    let bad_sender = e.handle_input(
        T0,
        setup(
            Direction::OutboundApi,
            "whatsapp:+15559999999",
            "whatsapp:+15557770000",
            voice(),
        ),
    );
    assert_eq!(bad_sender, Err(EngineError::InvalidWhatsAppFrom));
    assert_eq!(EngineError::InvalidWhatsAppFrom.code(), TwilioCode(37008));

    let long = format!("<Response><Say>{}</Say></Response>", "a".repeat(4_000));
    let too_long = e.handle_input(
        T0,
        setup(
            Direction::OutboundApi,
            "client:a",
            "client:b",
            TwimlSource::Inline(long.into()),
        ),
    );
    assert_eq!(too_long.unwrap_err().code(), TwilioCode(32018));
    assert_eq!(e.live_calls(), 0);
    assert!(drain(&mut e).is_empty(), "refused inputs change nothing");
}

#[test]
fn a_rest_call_to_whatsapp_from_a_sender_is_placed() {
    let mut e = engine();
    let Ok(Handled::Started(sid)) = e.handle_input(
        T0,
        setup(
            Direction::OutboundApi,
            "whatsapp:+15550001111",
            "whatsapp:+15557770000",
            voice(),
        ),
    ) else {
        panic!("not started");
    };
    let out = drain(&mut e);
    let statuses: Vec<CallStatus> = out
        .iter()
        .filter_map(|o| match o {
            Output::CallUpdated(s) => Some(s.status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, vec![CallStatus::Queued, CallStatus::Initiated]);
    assert!(
        matches!(out.last(), Some(Output::StartLeg(l)) if l.call == sid && &*l.to == "whatsapp:+15557770000" && &*l.from == "whatsapp:+15550001111")
    );
    // REST Timeout=20: the ring timer.
    assert_eq!(e.poll_timeout(), Some(T0.plus_millis(20_000)));
}
