//! A minimal driver of the engine itself, with no harness: one complete `<Dial><WhatsApp>`
//! flow is fed input by input, each answer built from the outputs just drained. It is what a
//! runtime would do around the engine, minus the IO, so its cost is the engine's.

use dialtone_core::{
    AppConfig, CallSetup, Engine, EngineConfig, FetchResult, Input, LegEvent, MediaId, Output,
    RequestId, SequentialSids,
};
use dialtone_types::WebUrl;
use dialtone_types::{Address, Direction, E164, Sid, SidKind, UnixMillis};

/// The parent's document: answerOnBridge, whisper, action and all four status callbacks.
pub const VOICE: &str = r#"<Response><Dial callerId="whatsapp:+15550001111" action="/done" answerOnBridge="true"><WhatsApp url="/whisper" statusCallback="/status" statusCallbackEvent="initiated ringing answered completed">+15557770000</WhatsApp></Dial></Response>"#;
const WHISPER: &str = "<Response><Say>Call from Acme</Say></Response>";
const DONE: &str = "<Response><Hangup/></Response>";

/// What one drain found: the last fetch, media command and started leg.
#[derive(Debug, Default)]
pub struct Drained {
    pub fetch: Option<RequestId>,
    pub media: Option<MediaId>,
    pub child: Option<Sid>,
    pub outputs: usize,
}

/// An engine with the sender configured, and the inputs every flow reuses.
#[derive(Debug)]
pub struct Driver {
    pub engine: Engine,
    pub now: UnixMillis,
    setup: CallSetup,
    voice: FetchResult,
    whisper: FetchResult,
    done: FetchResult,
}

impl Default for Driver {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver {
    pub fn new() -> Self {
        let account = Sid::new(SidKind::Account, 0xACC);
        let mut engine = Engine::new(EngineConfig::default(), SequentialSids::default());
        let sender = E164::parse("+15550001111").unwrap_or_else(|e| panic!("{e}"));
        let _ = engine.handle_input(
            UnixMillis(0),
            Input::SetSenders {
                account,
                senders: vec![sender],
            },
        );
        let url = WebUrl::parse("https://app.test/voice").unwrap_or_else(|e| panic!("{e}"));
        let address = |s: &str| s.parse::<Address>().unwrap_or_else(|e| panic!("{e}"));
        let setup = CallSetup::new(
            account,
            Direction::Inbound,
            address("client:agent"),
            address("client:dialtone"),
            AppConfig::url(url),
        );
        Self {
            engine,
            now: UnixMillis(1_767_225_600_000),
            setup,
            voice: FetchResult::xml(VOICE),
            whisper: FetchResult::xml(WHISPER),
            done: FetchResult::xml(DONE),
        }
    }

    fn step(&mut self, ms: u64, input: Input) -> Drained {
        self.now = self.now.plus_millis(ms);
        let _ = self.engine.handle_input(self.now, input);
        let mut d = Drained::default();
        while let Some(output) = self.engine.poll_output() {
            d.outputs += 1;
            match output {
                Output::Fetch(f) => d.fetch = Some(f.request),
                Output::Media(m) => d.media = Some(m.id),
                Output::StartLeg(l) => d.child = Some(l.call),
                _ => {}
            }
        }
        d
    }

    /// Starts a call and runs it to the bridge: voice fetch, `<Dial>`, ringing, answer,
    /// whisper fetch, whisper `<Say>`. Returns `(parent, child, outputs)`.
    pub fn run_to_bridge(&mut self) -> (Sid, Sid, usize) {
        let start = Input::StartCall(Box::new(self.setup.clone()));
        self.now = self.now.plus_millis(1);
        let Ok(dialtone_core::Handled::Started(parent)) = self.engine.handle_input(self.now, start)
        else {
            panic!("call not started");
        };
        let mut outputs = 0;
        let mut request = None;
        while let Some(o) = self.engine.poll_output() {
            outputs += 1;
            if let Output::Fetch(f) = o {
                request = Some(f.request);
            }
        }
        let fetched = |call, request: Option<RequestId>, result: &FetchResult| Input::Fetched {
            call,
            request: request.unwrap_or_else(|| panic!("no fetch")),
            result: result.clone(),
        };
        let d = self.step(0, fetched(parent, request, &self.voice));
        outputs += d.outputs;
        let child = d.child.unwrap_or_else(|| panic!("no child"));
        let leg = |event| Input::Leg { call: child, event };
        outputs += self.step(1000, leg(LegEvent::Ringing)).outputs;
        let d = self.step(2000, leg(LegEvent::Answered));
        outputs += d.outputs;
        let d = self.step(0, fetched(child, d.fetch, &self.whisper));
        outputs += d.outputs;
        let media = d.media.unwrap_or_else(|| panic!("no whisper media"));
        let d = self.step(2000, leg(LegEvent::MediaFinished(media)));
        assert!(self.engine.is_live(child), "bridged child");
        (parent, child, outputs + d.outputs)
    }

    /// Ends a bridged call: the child hangs up, `action` is fetched and says `<Hangup>`.
    pub fn finish(&mut self, parent: Sid, child: Sid) -> usize {
        let d = self.step(
            10_000,
            Input::Leg {
                call: child,
                event: LegEvent::HungUp,
            },
        );
        let request = d.fetch.unwrap_or_else(|| panic!("no action fetch"));
        let e = self.step(
            0,
            Input::Fetched {
                call: parent,
                request,
                result: self.done.clone(),
            },
        );
        assert!(!self.engine.is_live(parent), "parent ended");
        d.outputs + e.outputs
    }

    /// One complete flow; returns the number of outputs drained.
    pub fn flow(&mut self) -> usize {
        let (parent, child, outputs) = self.run_to_bridge();
        outputs + self.finish(parent, child)
    }
}
