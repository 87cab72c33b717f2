//! Property tests: random call scenarios must keep the engine's promises.
//!
//! Each case builds a world with random applications (documents made of random verbs, HTTP
//! errors, transport failures, bad documents), random far ends (answer after N s, busy,
//! decline, give up, 37000, ring forever, hang up, press digits), one to three calls
//! (inbound from a softphone, a WhatsApp user or a phone number, or REST-created), random REST
//! updates, and raw inputs injected behind the harness's back: leg events for any call
//! (terminate before ringing, a second answer...), late replays of earlier fetch results and
//! media completions, and events for calls that never existed. After every step and at the end
//! it checks:
//!
//! 1. each call reaches exactly one terminal status, and no snapshot follows it;
//! 2. no status callback follows a leg's `completed` callback;
//! 3. `SequenceNumber` runs 0, 1, 2... per leg, with no gap;
//! 4. only subscribed events are sent (the callback URL encodes the subscription), each with
//!    the status the call had just reached, `CallbackSource=call-progress-events` and the
//!    current `Timestamp`;
//! 5. every armed timer belongs to a live call, `poll_timeout` is the earliest of them, and
//!    it is `None` when no call is live;
//! 6. once every parent is completed, no call (child or parent) stays live;
//! 7. after its terminal status a call gets no leg command, media, bridge or fetch other than
//!    its `<Dial action>` request;
//! 8. no input panics (a panic fails the case), and leg events and fetch results are never
//!    refused.
//!
//! 1 536 cases by default (a few seconds in debug); `INVARIANTS_CASES=100000 cargo test
//! --release -p dialtone-sim --test invariants` hunts longer.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use dialtone_core::{
    AppConfig, FetchPurpose, FetchResult, Input, LegEvent, MediaId, Method, Output, RequestId,
    RestCommand, StatusCallbackConfig, StatusCallbackEvents, TwimlSource,
};
use dialtone_sim::harness::{AppResponse, EPOCH, LegScript, Outcome, World};
use dialtone_types::WebUrl;
use dialtone_types::{Sid, SidKind, TwilioCode, UnixMillis};
use proptest::prelude::*;

const BASE: &str = "https://app.test";
/// Documents the scenarios can point at (voice URL, actions, redirects).
const PAGES: [&str; 4] = ["/voice", "/p1", "/p2", "/p3"];
const WHISPERS: usize = 4;
const SENDER: &str = "+15550001111";
const CALLERS: [&str; 4] = [
    "client:caller0",
    "client:caller1",
    "whatsapp:+15558880000",
    "+15559990000",
];

fn callees() -> Vec<String> {
    (0..3)
        .map(|i| format!("whatsapp:+1555777000{i}"))
        .chain((0..3).map(|i| format!("client:agent{i}")))
        .collect()
}

// ----- scenario model -----

#[derive(Debug, Clone, Copy)]
struct Events {
    initiated: bool,
    ringing: bool,
    answered: bool,
    completed: bool,
}

impl Events {
    fn attr(self) -> String {
        [
            (self.initiated, "initiated"),
            (self.ringing, "ringing"),
            (self.answered, "answered"),
            (self.completed, "completed"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// The subscription, encoded in the callback URL so the checker can read it back.
    fn tag(self) -> String {
        let tag: String = [
            (self.initiated, 'i'),
            (self.ringing, 'r'),
            (self.answered, 'a'),
            (self.completed, 'c'),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect();
        if tag.is_empty() {
            "none".to_owned()
        } else {
            tag
        }
    }

    fn config(self) -> StatusCallbackEvents {
        StatusCallbackEvents {
            initiated: self.initiated,
            ringing: self.ringing,
            answered: self.answered,
            completed: self.completed,
        }
    }
}

#[derive(Debug, Clone)]
struct Noun {
    whatsapp: bool,
    who: u8,
    whisper: Option<u8>,
    callback: Option<(Events, bool)>,
}

#[derive(Debug, Clone)]
enum Verb {
    Say {
        forever: bool,
    },
    Play {
        digits: bool,
    },
    Pause(u8),
    Hangup,
    Reject {
        busy: bool,
    },
    Redirect {
        page: u8,
        get: bool,
    },
    Gather {
        num_digits: Option<u8>,
        finish_on_star: bool,
        timeout: u8,
        action: Option<u8>,
        on_empty: bool,
        prompt: bool,
    },
    Dial {
        caller_id: u8,
        action: Option<u8>,
        answer_on_bridge: bool,
        sequential: bool,
        timeout: u16,
        time_limit: Option<u16>,
        hangup_on_star: bool,
        nouns: Vec<Noun>,
    },
    Unsupported,
    DialNumber,
}

fn render_noun(n: &Noun, out: &mut String) {
    let name = if n.whatsapp { "WhatsApp" } else { "Client" };
    let _ = write!(out, "<{name}");
    if let Some(w) = n.whisper {
        let _ = write!(out, r#" url="/w{w}""#);
    }
    if let Some((events, get)) = n.callback {
        let _ = write!(
            out,
            r#" statusCallback="/cb/{}" statusCallbackEvent="{}""#,
            events.tag(),
            events.attr()
        );
        if get {
            out.push_str(r#" statusCallbackMethod="GET""#);
        }
    }
    if n.whatsapp {
        let _ = write!(out, ">+1555777000{}</{name}>", n.who);
    } else {
        let _ = write!(out, ">agent{}</{name}>", n.who);
    }
}

fn render_verb(v: &Verb, out: &mut String) {
    match v {
        Verb::Say { forever } => {
            let lp = if *forever { r#" loop="0""# } else { "" };
            let _ = write!(out, "<Say{lp}>hello</Say>");
        }
        Verb::Play { digits: true } => out.push_str(r#"<Play digits="12w3"/>"#),
        Verb::Play { digits: false } => out.push_str("<Play>/music.mp3</Play>"),
        Verb::Pause(n) => {
            let _ = write!(out, r#"<Pause length="{n}"/>"#);
        }
        Verb::Hangup => out.push_str("<Hangup/>"),
        Verb::Reject { busy } => {
            let reason = if *busy { "busy" } else { "rejected" };
            let _ = write!(out, r#"<Reject reason="{reason}"/>"#);
        }
        Verb::Redirect { page, get } => {
            let method = if *get { "GET" } else { "POST" };
            let _ = write!(
                out,
                r#"<Redirect method="{method}">{}</Redirect>"#,
                PAGES[usize::from(*page)]
            );
        }
        Verb::Gather {
            num_digits,
            finish_on_star,
            timeout,
            action,
            on_empty,
            prompt,
        } => {
            out.push_str("<Gather");
            if let Some(n) = num_digits {
                let _ = write!(out, r#" numDigits="{n}""#);
            }
            if *finish_on_star {
                out.push_str(r#" finishOnKey="*""#);
            }
            let _ = write!(out, r#" timeout="{timeout}""#);
            if let Some(a) = action {
                let _ = write!(out, r#" action="{}""#, PAGES[usize::from(*a)]);
            }
            if *on_empty {
                out.push_str(r#" actionOnEmptyResult="true""#);
            }
            out.push('>');
            if *prompt {
                out.push_str(r#"<Say>press</Say><Pause length="1"/><Play>/beep.mp3</Play>"#);
            }
            out.push_str("</Gather>");
        }
        Verb::Dial {
            caller_id,
            action,
            answer_on_bridge,
            sequential,
            timeout,
            time_limit,
            hangup_on_star,
            nouns,
        } => {
            out.push_str("<Dial");
            match caller_id {
                0 => {
                    let _ = write!(out, r#" callerId="whatsapp:{SENDER}""#);
                }
                1 => out.push_str(r#" callerId="whatsapp:+15550002222""#),
                _ => {}
            }
            if let Some(a) = action {
                let _ = write!(out, r#" action="{}""#, PAGES[usize::from(*a)]);
            }
            let _ = write!(
                out,
                r#" answerOnBridge="{answer_on_bridge}" sequential="{sequential}" timeout="{timeout}" hangupOnStar="{hangup_on_star}""#
            );
            if let Some(l) = time_limit {
                let _ = write!(out, r#" timeLimit="{l}""#);
            }
            out.push('>');
            for n in nouns {
                render_noun(n, out);
            }
            out.push_str("</Dial>");
        }
        Verb::Unsupported => out.push_str("<Echo/>"),
        Verb::DialNumber => out.push_str("<Dial><Number>+15551230000</Number></Dial>"),
    }
}

fn render(verbs: &[Verb]) -> String {
    let mut out = String::from("<Response>");
    for v in verbs {
        render_verb(v, &mut out);
    }
    out.push_str("</Response>");
    out
}

#[derive(Debug, Clone)]
enum Resp {
    Doc(Vec<Verb>),
    Status500,
    Timeout,
    NoContentType,
    BadXml,
    PlainText,
    Empty,
}

impl Resp {
    fn app(&self) -> AppResponse {
        let http = |status: u16, ct: Option<&str>, body: &str| AppResponse::Http {
            status,
            content_type: ct.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        };
        match self {
            Self::Doc(verbs) => AppResponse::twiml(&render(verbs)),
            Self::Status500 => http(500, Some("text/html"), "oops"),
            Self::Timeout => AppResponse::Failure {
                code: TwilioCode(11205),
                message: "timed out".to_owned(),
            },
            Self::NoContentType => http(200, None, "<Response><Hangup/></Response>"),
            Self::BadXml => AppResponse::twiml("<Response><Say>unclosed</Response>"),
            Self::PlainText => http(200, Some("text/plain"), "hello there"),
            Self::Empty => AppResponse::twiml(""),
        }
    }

    fn fetch_result(&self) -> FetchResult {
        match self.app() {
            AppResponse::Http {
                status,
                content_type,
                body,
            } => FetchResult::Response {
                status,
                content_type,
                body,
            },
            AppResponse::Failure { code, message } => FetchResult::Failed { code, message },
        }
    }
}

#[derive(Debug, Clone)]
struct CallSpec {
    at: u16,
    /// `Some(caller)`: inbound from `CALLERS[caller]`; `None`: REST-created to `callee`.
    caller: Option<u8>,
    callee: u8,
    inline: Option<Vec<Verb>>,
    fallback: bool,
    callback: Option<Events>,
    timeout: u8,
    time_limit: u16,
}

#[derive(Debug, Clone)]
enum Rest {
    RedirectUrl(u8),
    RedirectTwiml(Vec<Verb>),
    RedirectBadTwiml,
    Complete,
    Cancel,
    /// New status callback (GET or POST), fallback, time limit (seconds).
    Settings {
        callback: Option<bool>,
        fallback: bool,
        time_limit: Option<u8>,
    },
}

#[derive(Debug, Clone)]
enum Event {
    Ringing,
    Answered,
    Busy,
    Rejected,
    NoAnswer,
    Failed,
    HungUp,
    Digits(String),
    /// A recorded media id (or, past the recorded ones, an unknown id).
    Media(u8),
}

#[derive(Debug, Clone)]
enum Inject {
    Rest {
        call: u8,
        command: Rest,
    },
    Leg {
        call: u8,
        event: Event,
    },
    /// The k-th recorded fetch answered again (late or duplicate), with `resp`.
    ReplayFetch {
        k: u8,
        resp: Resp,
    },
    /// A fetch result for a call that never existed.
    UnknownFetch,
}

#[derive(Debug, Clone)]
struct Scenario {
    pages: Vec<Resp>,
    whispers: Vec<Resp>,
    fallback: Resp,
    legs: Vec<LegScript>,
    callers: Vec<LegScript>,
    calls: Vec<CallSpec>,
    injects: Vec<(u16, Inject)>,
    fetch_latency_ms: u16,
}

// ----- strategies -----

fn events() -> impl Strategy<Value = Events> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(initiated, ringing, answered, completed)| Events {
            initiated,
            ringing,
            answered,
            completed,
        },
    )
}

fn noun() -> impl Strategy<Value = Noun> {
    (
        any::<bool>(),
        0..3u8,
        proptest::option::weighted(0.3, 0..u8::try_from(WHISPERS).unwrap_or(4)),
        proptest::option::of((events(), any::<bool>())),
    )
        .prop_map(|(whatsapp, who, whisper, callback)| Noun {
            whatsapp,
            who,
            whisper,
            callback,
        })
}

fn simple_verb() -> impl Strategy<Value = Verb> {
    prop_oneof![
        any::<bool>().prop_map(|f| Verb::Say { forever: f }),
        any::<bool>().prop_map(|d| Verb::Play { digits: d }),
        (0..4u8).prop_map(Verb::Pause),
        Just(Verb::Hangup),
        any::<bool>().prop_map(|b| Verb::Reject { busy: b }),
        (0..4u8, any::<bool>()).prop_map(|(page, get)| Verb::Redirect { page, get }),
        Just(Verb::Unsupported),
        Just(Verb::DialNumber),
    ]
}

fn gather() -> impl Strategy<Value = Verb> {
    (
        proptest::option::of(1..4u8),
        any::<bool>(),
        0..6u8,
        proptest::option::of(0..4u8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(num_digits, finish_on_star, timeout, action, on_empty, prompt)| Verb::Gather {
                num_digits,
                finish_on_star,
                timeout,
                action,
                on_empty,
                prompt,
            },
        )
}

fn dial() -> impl Strategy<Value = Verb> {
    (
        prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        proptest::option::of(0..4u8),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(1u16), 5..40u16, Just(700u16)],
        proptest::option::of(1..90u16),
        any::<bool>(),
        prop_oneof![1 => proptest::collection::vec(noun(), 0..1), 6 => proptest::collection::vec(noun(), 1..4)],
    )
        .prop_map(
            |(
                caller_id,
                action,
                answer_on_bridge,
                sequential,
                timeout,
                time_limit,
                hangup_on_star,
                nouns,
            )| Verb::Dial {
                caller_id,
                action,
                answer_on_bridge,
                sequential,
                timeout,
                time_limit,
                hangup_on_star,
                nouns,
            },
        )
}

fn verb() -> impl Strategy<Value = Verb> {
    prop_oneof![4 => simple_verb(), 2 => gather(), 4 => dial()]
}

fn doc() -> impl Strategy<Value = Vec<Verb>> {
    proptest::collection::vec(verb(), 0..4)
}

fn resp() -> impl Strategy<Value = Resp> {
    prop_oneof![
        12 => doc().prop_map(Resp::Doc),
        1 => Just(Resp::Status500),
        1 => Just(Resp::Timeout),
        1 => Just(Resp::NoContentType),
        1 => Just(Resp::BadXml),
        1 => Just(Resp::PlainText),
        1 => Just(Resp::Empty),
    ]
}

/// The voice URL's answer: most often a document that starts with a `<Dial>`.
fn voice_resp() -> impl Strategy<Value = Resp> {
    prop_oneof![
        3 => (dial(), doc()).prop_map(|(d, rest)| {
            let mut verbs = vec![d];
            verbs.extend(rest);
            Resp::Doc(verbs)
        }),
        1 => resp(),
    ]
}

fn whisper_resp() -> impl Strategy<Value = Resp> {
    prop_oneof![
        6 => proptest::collection::vec(
            prop_oneof![
                4 => Just(Verb::Say { forever: false }),
                1 => Just(Verb::Hangup),
                1 => gather(),
                1 => Just(Verb::Pause(1)),
                1 => dial(),
            ],
            0..3
        )
        .prop_map(Resp::Doc),
        1 => Just(Resp::Status500),
        1 => Just(Resp::BadXml),
    ]
}

fn secs(s: u8) -> Duration {
    Duration::from_secs(u64::from(s))
}

fn leg_script() -> impl Strategy<Value = LegScript> {
    let outcome = prop_oneof![
        8 => (0..40u8).prop_map(|s| Outcome::Answer(secs(s))),
        1 => (0..5u8).prop_map(|s| Outcome::Busy(secs(s))),
        1 => (0..20u8).prop_map(|s| Outcome::Reject(secs(s))),
        1 => (0..40u8).prop_map(|s| Outcome::GiveUp(secs(s))),
        1 => (0..3u8).prop_map(|s| Outcome::Fail(
            secs(s),
            TwilioCode(37000),
            "no permission".to_owned()
        )),
        1 => Just(Outcome::RingForever),
    ];
    (
        proptest::option::of(0..5u8),
        outcome,
        proptest::option::of(0..90u8),
        proptest::collection::vec((0..20u8, digits()), 0..3),
    )
        .prop_map(|(ring, outcome, hangup, digits)| LegScript {
            ring_after: ring.map(secs),
            outcome,
            hangup_after: hangup.map(secs),
            digits: digits.into_iter().map(|(s, d)| (secs(s), d)).collect(),
        })
}

fn digits() -> impl Strategy<Value = String> {
    proptest::sample::select(vec!["1", "*", "#", "12", "1*", "42#", "9x"]).prop_map(str::to_owned)
}

fn call_spec() -> impl Strategy<Value = CallSpec> {
    (
        0..30u16,
        proptest::option::of(prop_oneof![3 => 0..3u8, 1 => Just(3u8)]),
        0..6u8,
        proptest::option::weighted(0.2, doc()),
        any::<bool>(),
        proptest::option::of(events()),
        1..40u8,
        prop_oneof![Just(14_400u16), 1..120u16],
    )
        .prop_map(
            |(at, caller, callee, inline, fallback, callback, timeout, time_limit)| CallSpec {
                at,
                caller,
                callee,
                inline,
                fallback,
                callback,
                timeout,
                time_limit,
            },
        )
}

fn rest() -> impl Strategy<Value = Rest> {
    prop_oneof![
        (0..4u8).prop_map(Rest::RedirectUrl),
        doc().prop_map(Rest::RedirectTwiml),
        Just(Rest::RedirectBadTwiml),
        Just(Rest::Complete),
        Just(Rest::Cancel),
        (
            proptest::option::of(any::<bool>()),
            any::<bool>(),
            proptest::option::of(0..40u8)
        )
            .prop_map(|(callback, fallback, time_limit)| Rest::Settings {
                callback,
                fallback,
                time_limit,
            }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Ringing),
        Just(Event::Answered),
        Just(Event::Busy),
        Just(Event::Rejected),
        Just(Event::NoAnswer),
        Just(Event::Failed),
        Just(Event::HungUp),
        digits().prop_map(Event::Digits),
        any::<u8>().prop_map(Event::Media),
    ]
}

fn inject() -> impl Strategy<Value = Inject> {
    prop_oneof![
        2 => (any::<u8>(), rest()).prop_map(|(call, command)| Inject::Rest { call, command }),
        4 => (any::<u8>(), event()).prop_map(|(call, event)| Inject::Leg { call, event }),
        2 => (any::<u8>(), resp()).prop_map(|(k, resp)| Inject::ReplayFetch { k, resp }),
        1 => Just(Inject::UnknownFetch),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        voice_resp(),
        proptest::collection::vec(resp(), PAGES.len() - 1),
        proptest::collection::vec(whisper_resp(), WHISPERS),
        resp(),
        proptest::collection::vec(leg_script(), 6),
        proptest::collection::vec(leg_script(), CALLERS.len()),
        proptest::collection::vec(call_spec(), 1..4),
        proptest::collection::vec((0..120u16, inject()), 0..8),
        prop_oneof![3 => Just(0u16), 1 => 0..3000u16],
    )
        .prop_map(
            |(
                voice,
                pages,
                whispers,
                fallback,
                legs,
                callers,
                calls,
                injects,
                fetch_latency_ms,
            )| {
                Scenario {
                    pages: std::iter::once(voice).chain(pages).collect(),
                    whispers,
                    fallback,
                    legs,
                    callers,
                    calls,
                    injects,
                    fetch_latency_ms,
                }
            },
        )
}

// ----- running -----

fn url(path: &str) -> WebUrl {
    WebUrl::parse(&format!("{BASE}{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn at(secs: u16) -> UnixMillis {
    EPOCH.plus_millis(u64::from(secs) * 1000)
}

/// A call the world has seen (by index, wrapping), or one that never existed.
fn pick_call(w: &World, k: u8) -> Sid {
    let known: Vec<Sid> = w.calls().keys().copied().collect();
    let k = usize::from(k);
    if known.is_empty() || k % (known.len() + 1) == known.len() {
        Sid::new(SidKind::Call, 0xDEAD)
    } else {
        known[k % (known.len() + 1)]
    }
}

fn app(spec: &CallSpec) -> AppConfig {
    AppConfig {
        twiml: spec.inline.as_ref().map_or_else(
            || TwimlSource::Url {
                url: url("/voice"),
                method: Method::Post,
            },
            |verbs| TwimlSource::Inline(render(verbs).into()),
        ),
        fallback: spec.fallback.then(|| (url("/fallback"), Method::Post)),
        status_callback: spec.callback.map(|events| StatusCallbackConfig {
            url: url(&format!("/pcb/{}", events.tag())),
            method: Method::Post,
            events: events.config(),
        }),
    }
}

fn start(w: &mut World, spec: &CallSpec) {
    let callees = callees();
    let callee = &callees[usize::from(spec.callee)];
    let started = if let Some(c) = spec.caller {
        w.inbound_with(CALLERS[usize::from(c)], "client:dialtone", app(spec))
    } else {
        let from = if callee.starts_with("whatsapp:") {
            format!("whatsapp:{SENDER}")
        } else {
            "client:dialtone".to_owned()
        };
        let mut setup = dialtone_core::CallSetup::new(
            w.account(),
            dialtone_types::Direction::OutboundApi,
            from.parse().unwrap_or_else(|e| panic!("{from}: {e:?}")),
            callee.parse().unwrap_or_else(|e| panic!("{callee}: {e:?}")),
            app(spec),
        );
        setup.timeout_secs = u32::from(spec.timeout);
        setup.time_limit_secs = u32::from(spec.time_limit);
        w.start(setup)
    };
    // Only inline TwiML that cannot run may refuse a call (it then never exists).
    assert!(
        matches!(
            started,
            Ok(_) | Err(dialtone_core::EngineError::InvalidTwiml { .. })
        ),
        "{started:?}"
    );
}

fn apply(w: &mut World, inject: &Inject) {
    match inject {
        Inject::Rest { call, command } => {
            let sid = pick_call(w, *call);
            let command = match command {
                Rest::RedirectUrl(p) => RestCommand::RedirectUrl {
                    url: url(PAGES[usize::from(*p)]),
                    method: Method::Post,
                },
                Rest::RedirectTwiml(verbs) => RestCommand::RedirectTwiml(render(verbs)),
                Rest::RedirectBadTwiml => RestCommand::RedirectTwiml("<Response><Say>".into()),
                Rest::Complete => RestCommand::Complete,
                Rest::Cancel => RestCommand::Cancel,
                Rest::Settings {
                    callback,
                    fallback,
                    time_limit,
                } => RestCommand::Settings(Box::new(dialtone_core::CallSettings {
                    fallback_url: fallback.then(|| url("/fallback")),
                    fallback_method: None,
                    // The events keep the current subscription's: tagged as any event.
                    status_callback: callback.map(|_| url("/cb-new/irac")),
                    status_callback_method: callback
                        .map(|get| if get { Method::Get } else { Method::Post }),
                    time_limit_secs: time_limit.map(u32::from),
                })),
            };
            // Refusals (21220, unknown call, bad TwiML) are legitimate answers here.
            let _ = w.rest(sid, command);
        }
        Inject::Leg { call, event } => {
            let sid = pick_call(w, *call);
            let event = match event {
                Event::Ringing => LegEvent::Ringing,
                Event::Answered => LegEvent::Answered,
                Event::Busy => LegEvent::Busy,
                Event::Rejected => LegEvent::Rejected,
                Event::NoAnswer => LegEvent::NoAnswer,
                Event::Failed => LegEvent::Failed {
                    code: TwilioCode(37000),
                    message: "no permission".to_owned(),
                },
                Event::HungUp => LegEvent::HungUp,
                Event::Digits(d) => LegEvent::Digits(d.clone()),
                Event::Media(k) => {
                    let ids: Vec<MediaId> = w
                        .outputs()
                        .iter()
                        .filter_map(|(_, o)| match o {
                            Output::Media(m) => Some(m.id),
                            _ => None,
                        })
                        .collect();
                    let k = usize::from(*k);
                    LegEvent::MediaFinished(
                        ids.get(k % (ids.len() + 1))
                            .copied()
                            .unwrap_or(MediaId(10_000 + k as u64)),
                    )
                }
            };
            let handled = w.input(Input::Leg { call: sid, event });
            assert!(handled.is_ok(), "leg events are never refused: {handled:?}");
        }
        Inject::ReplayFetch { k, resp } => {
            let fetches: Vec<(Sid, RequestId)> = w
                .outputs()
                .iter()
                .filter_map(|(_, o)| match o {
                    Output::Fetch(f) => Some((f.call, f.request)),
                    _ => None,
                })
                .collect();
            if let Some(&(call, request)) = fetches.get(usize::from(*k) % fetches.len().max(1)) {
                let handled = w.input(Input::Fetched {
                    call,
                    request,
                    result: resp.fetch_result(),
                });
                assert!(handled.is_ok(), "fetch results are never refused");
            }
        }
        Inject::UnknownFetch => {
            let handled = w.input(Input::Fetched {
                call: Sid::new(SidKind::Call, 0xBEEF),
                request: RequestId(1),
                result: FetchResult::xml("<Response><Hangup/></Response>"),
            });
            assert_eq!(handled, Ok(dialtone_core::Handled::Stale));
        }
    }
}

/// Invariant 5.
fn check_timers(w: &mut World) -> Result<(), TestCaseError> {
    let armed = w.engine().armed_timers();
    for (sid, timer, _) in &armed {
        prop_assert!(
            w.engine().is_live(*sid),
            "timer {timer:?} armed for {sid}, which is not live"
        );
    }
    let live = w.engine().live_calls();
    let next = w.engine_mut().poll_timeout();
    prop_assert_eq!(next, armed.iter().map(|(_, _, at)| *at).min());
    if live == 0 {
        prop_assert_eq!(next, None, "a timer without any live call");
    }
    Ok(())
}

fn is_terminal(status: &str) -> bool {
    matches!(
        status,
        "completed" | "busy" | "no-answer" | "failed" | "canceled"
    )
}

/// Invariants 1–4, over everything the world recorded.
fn check_outputs(w: &World) -> Result<(), TestCaseError> {
    let mut status: HashMap<Sid, &'static str> = HashMap::new();
    let mut terminal: HashSet<Sid> = HashSet::new();
    let mut completed_sent: HashSet<Sid> = HashSet::new();
    let mut next_seq: HashMap<Sid, u64> = HashMap::new();
    for (at, output) in w.outputs() {
        // After its terminal status a call is only named by its `<Dial action>` request, an
        // `Unbridge` (a child ends, then leaves the bridge) and notifications.
        let named: Vec<Sid> = match output {
            Output::Fetch(f) if f.purpose != FetchPurpose::Action => vec![f.call],
            Output::StartLeg(l) => l.parent.into_iter().chain([l.call]).collect(),
            Output::AnswerLeg { call }
            | Output::RejectLeg { call, .. }
            | Output::CancelLeg { call }
            | Output::HangupLeg { call }
            | Output::StopMedia { call, .. } => vec![*call],
            Output::Media(m) => vec![m.call],
            Output::Bridge { parent, child } => vec![*parent, *child],
            _ => Vec::new(),
        };
        for sid in named {
            prop_assert!(
                !terminal.contains(&sid),
                "{:?} names {}, which already ended",
                output,
                sid
            );
        }
        match output {
            Output::CallUpdated(s) => {
                prop_assert!(
                    !terminal.contains(&s.sid),
                    "{} changed after its terminal status: {:?}",
                    s.sid,
                    s.status
                );
                if s.status.is_terminal() {
                    terminal.insert(s.sid);
                }
                status.insert(s.sid, s.status.as_str());
            }
            Output::StatusCallback(cb) => {
                let param = |name: &str| cb.params.to_pairs().into_iter().find(|(n, _)| n == name);
                let sent = param("CallStatus").map(|(_, v)| v).unwrap_or_default();
                prop_assert_eq!(
                    Some(sent.as_str()),
                    status.get(&cb.call).copied(),
                    "callback status must be the status just reached"
                );
                prop_assert!(
                    !completed_sent.contains(&cb.call),
                    "callback {} after completed for {}",
                    sent,
                    cb.call
                );
                let event = match sent.as_str() {
                    "initiated" => 'i',
                    "ringing" => 'r',
                    "in-progress" => 'a',
                    s if is_terminal(s) => {
                        completed_sent.insert(cb.call);
                        'c'
                    }
                    other => {
                        return Err(TestCaseError::fail(format!(
                            "status callback with CallStatus={other}"
                        )));
                    }
                };
                let tag = cb.url.as_str().rsplit('/').next().unwrap_or_default();
                let subscribed = if tag == "none" { "c" } else { tag };
                prop_assert!(
                    subscribed.contains(event),
                    "event {} sent to {} (subscribed: {})",
                    event,
                    cb.url,
                    subscribed
                );
                let seq = next_seq.entry(cb.call).or_insert(0);
                prop_assert_eq!(
                    param("SequenceNumber").map(|(_, v)| v),
                    Some(seq.to_string())
                );
                *seq += 1;
                prop_assert_eq!(param("CallSid").map(|(_, v)| v), Some(cb.call.to_string()));
                prop_assert_eq!(
                    param("CallbackSource").map(|(_, v)| v),
                    Some("call-progress-events".to_owned())
                );
                prop_assert_eq!(
                    param("Timestamp").map(|(_, v)| v),
                    Some(at.rfc2822().to_string())
                );
                prop_assert_eq!(
                    param("CallDuration").is_some(),
                    event == 'c',
                    "CallDuration on completed only"
                );
            }
            _ => {}
        }
    }
    for sid in status.keys() {
        prop_assert!(terminal.contains(sid), "{} never ended", sid);
    }
    Ok(())
}

fn run(s: &Scenario) -> Result<(), TestCaseError> {
    if std::env::var_os("INVARIANTS_TRACE").is_some() {
        eprintln!("SCENARIO {s:?}");
    }
    let mut w = World::new();
    w.senders(&[SENDER]);
    w.set_fetch_latency(Duration::from_millis(u64::from(s.fetch_latency_ms)));
    for (path, r) in PAGES.iter().zip(&s.pages) {
        w.respond(&format!("{BASE}{path}"), r.app());
    }
    for (i, r) in s.whispers.iter().enumerate() {
        w.respond(&format!("{BASE}/w{i}"), r.app());
    }
    w.respond(&format!("{BASE}/fallback"), s.fallback.app());
    for (address, script) in callees().iter().zip(&s.legs) {
        w.leg(address, script.clone());
    }
    for (address, script) in CALLERS.iter().zip(&s.callers) {
        w.leg(address, script.clone());
    }

    let mut timeline: Vec<(u16, Option<&CallSpec>, Option<&Inject>)> = s
        .calls
        .iter()
        .map(|c| (c.at, Some(c), None))
        .chain(s.injects.iter().map(|(t, i)| (*t, None, Some(i))))
        .collect();
    timeline.sort_by_key(|(t, _, _)| *t);
    for (t, call, inject) in timeline {
        w.run_until(at(t));
        check_timers(&mut w)?;
        if let Some(spec) = call {
            start(&mut w, spec);
        }
        if let Some(inject) = inject {
            apply(&mut w, inject);
        }
        check_timers(&mut w)?;
    }
    // Let the calls play out for ten minutes, checking along the way.
    for _ in 0..40 {
        w.advance(Duration::from_secs(15));
        check_timers(&mut w)?;
    }
    // Then complete every call still up whose parent is not (parents, and `<Dial>` children
    // a REST redirect took out of their dial), until none is left: nothing may stay live
    // after that. Each round ends at least one call.
    for _ in 0..w.calls().len() {
        let roots: Vec<Sid> = w
            .calls()
            .values()
            .filter(|c| w.engine().is_live(c.sid))
            .filter(|c| c.parent.is_none_or(|p| !w.engine().is_live(p)))
            .map(|c| c.sid)
            .collect();
        if roots.is_empty() {
            break;
        }
        for sid in roots {
            if w.engine().is_live(sid) {
                prop_assert_eq!(
                    w.rest(sid, RestCommand::Complete),
                    Ok(dialtone_core::Handled::Applied)
                );
                check_timers(&mut w)?;
            }
        }
    }
    w.advance(Duration::from_hours(1));
    prop_assert_eq!(w.engine().live_calls(), 0, "calls left live");
    prop_assert!(w.is_idle());
    check_timers(&mut w)?;
    if std::env::var_os("INVARIANTS_TRACE").is_some() {
        eprintln!(
            "COUNTERS {:?} notes {:?}",
            w.counters(),
            w.notifications()
                .iter()
                .map(|n| format!("{}:{}", n.code.0, n.message))
                .collect::<Vec<_>>()
        );
    }
    check_outputs(&w)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("INVARIANTS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1536),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_scenarios_keep_the_invariants(s in scenario()) {
        run(&s)?;
    }
}
