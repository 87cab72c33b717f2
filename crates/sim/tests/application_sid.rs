//! `ApplicationSid`: Twilio sends it on the webhooks of a call a TwiML App handles (a REST
//! create with `ApplicationSid`, a softphone calling into an application), right after
//! `ApiVersion`, on document fetches and status callbacks alike; a `<Dial>` child, which no
//! application handles, does not get it. A Voice SDK client's call into a TwiML App also
//! carries Twilio's legacy `Called` (its `To`, free text as sent) and `Caller` (its `From`).

mod common;

use common::*;
use dialtone_core::{AppConfig, CallSetup, Method, StatusCallbackConfig, StatusCallbackEvents};
use dialtone_sim::{LegScript, World};
use dialtone_types::WebUrl;
use dialtone_types::{Direction, Sid, SidKind};

fn application() -> Sid {
    Sid::new(SidKind::Application, 7)
}

/// `params` with `ApplicationSid` inserted after `ApiVersion`.
fn with_app(mut params: Vec<(String, String)>) -> Vec<(String, String)> {
    assert_eq!(params[1].0, "ApiVersion");
    params.insert(2, ("ApplicationSid".to_owned(), application().to_string()));
    params
}

/// `params` of a Voice SDK call into the application: `ApplicationSid` after `ApiVersion`,
/// `Called` and `Caller` after `CallStatus`.
fn with_sdk(params: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut params = with_app(params);
    let value = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let (to, from) = (value("To"), value("From"));
    let at = params.iter().position(|(n, _)| n == "CallStatus").unwrap() + 1;
    params.insert(at, ("Called".to_owned(), to));
    params.insert(at + 1, ("Caller".to_owned(), from));
    params
}

fn app(voice: &str) -> AppConfig {
    AppConfig {
        status_callback: Some(StatusCallbackConfig {
            url: WebUrl::parse("https://app.test/status").unwrap(),
            method: Method::Post,
            events: StatusCallbackEvents::NONE,
        }),
        ..AppConfig::url(WebUrl::parse(voice).unwrap())
    }
}

fn setup(w: &World, direction: Direction, from: &str, to: &str, voice: &str) -> CallSetup {
    let mut setup = CallSetup::new(
        w.account(),
        direction,
        from.parse().unwrap(),
        to.parse().unwrap(),
        app(voice),
    );
    setup.application_sid = Some(application());
    setup
}

#[test]
fn a_softphone_call_into_an_application_sends_it_and_called_caller_on_every_webhook_but_the_childs()
{
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial action="/done"><Client statusCallback="/cb">agent</Client></Dial></Response>"#,
    );
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(2)).hangs_up_after(secs(3)),
    );
    let s = setup(
        &w,
        Direction::Inbound,
        "client:caller",
        "+15551230000",
        "https://app.test/voice",
    );
    w.start(s).unwrap();
    w.run_until_idle();
    let p = Party::inbound(1, "client:caller", "+15551230000");
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w),
        [
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                with_sdk(p.params("ringing", &[]))
            ),
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("completed", 0, 5, Some("3"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                with_sdk(p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "3"),
                        ("DialBridged", "true"),
                    ]
                ))
            ),
            hook_p(
                "status",
                "POST https://app.test/status",
                with_sdk(p.callback("completed", 0, 5, Some("5")))
            ),
        ]
    );
}

#[test]
fn a_rest_call_created_with_an_application_sends_it_and_others_do_not() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Say>hello</Say></Response>",
    );
    w.leg("client:alice", LegScript::answers_after(secs(1)));
    let s = setup(
        &w,
        Direction::OutboundApi,
        "+15005550006",
        "client:alice",
        "https://app.test/voice",
    );
    w.start(s).unwrap();
    // The same call without an application.
    let mut plain = setup(
        &w,
        Direction::OutboundApi,
        "+15005550006",
        "client:alice",
        "https://app.test/voice",
    );
    plain.application_sid = None;
    w.start(plain).unwrap();
    w.run_until_idle();
    let api = |n| Party {
        sid: ca_str(n),
        direction: "outbound-api",
        from: "+15005550006",
        to: "client:alice",
        parent: None,
    };
    let of = |call: Sid| -> Vec<View> {
        w.webhooks()
            .iter()
            .filter(|h| h.call == call)
            .map(view)
            .collect()
    };
    assert_eq!(
        of(ca(1)),
        [
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                with_app(api(1).params("in-progress", &[]))
            ),
            hook_p(
                "status",
                "POST https://app.test/status",
                with_app(api(1).callback("completed", 0, 3, Some("2")))
            ),
        ]
    );
    assert_eq!(
        of(ca(2)),
        [
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                api(2).params("in-progress", &[])
            ),
            hook_p(
                "status",
                "POST https://app.test/status",
                api(2).callback("completed", 0, 3, Some("2"))
            ),
        ]
    );
}

/// The Voice SDK's `To` is free text (`support`, empty): `To` and `Called` carry it as sent,
/// on the voice request and the status callback. The same softphone call without an
/// application (as the simulator's own tests place them) gets neither `ApplicationSid` nor
/// `Called`/`Caller`.
#[test]
fn a_softphone_call_with_a_free_form_to_sends_it_as_sent() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Say>hello</Say></Response>",
    );
    for to in ["support", ""] {
        let mut s = CallSetup::new(
            w.account(),
            Direction::Inbound,
            "client:caller".parse().unwrap(),
            dialtone_types::Address::as_sent(to),
            app("https://app.test/voice"),
        );
        s.application_sid = Some(application());
        w.start(s).unwrap();
    }
    let mut plain = CallSetup::new(
        w.account(),
        Direction::Inbound,
        "client:caller".parse().unwrap(),
        dialtone_types::Address::as_sent("queue-7"),
        app("https://app.test/voice"),
    );
    plain.application_sid = None;
    w.start(plain).unwrap();
    w.run_until_idle();
    let of = |call: Sid| -> Vec<View> {
        w.webhooks()
            .iter()
            .filter(|h| h.call == call)
            .map(view)
            .collect()
    };
    for (n, to) in [(1, "support"), (2, "")] {
        let p = Party::inbound(n, "client:caller", to);
        assert_eq!(
            of(ca(n)),
            [
                hook_p(
                    "fetch:Twiml",
                    "POST https://app.test/voice",
                    with_sdk(p.params("ringing", &[]))
                ),
                hook_p(
                    "status",
                    "POST https://app.test/status",
                    with_sdk(p.callback("completed", 0, 2, Some("2")))
                ),
            ],
            "To {to:?}"
        );
    }
    let p = Party::inbound(3, "client:caller", "queue-7");
    assert_eq!(
        of(ca(3)),
        [
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            hook_p(
                "status",
                "POST https://app.test/status",
                p.callback("completed", 0, 2, Some("2"))
            ),
        ]
    );
}
