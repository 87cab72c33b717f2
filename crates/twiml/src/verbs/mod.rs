//! The typed model: one file per verb.

mod connect;
pub mod dial;
mod echo;
mod enqueue;
pub(crate) mod gather;
mod hangup;
mod leave;
mod pause;
mod pay;
mod play;
mod record;
mod redirect;
mod refer;
mod reject;
mod say;
mod sms;
mod start;
mod stop;
pub(crate) mod stream;

pub use connect::Connect;
pub use dial::{
    ApplicationNoun, ClientNoun, ConferenceBeep, ConferenceNoun, Dial, DialNoun, DialRecord,
    NumberNoun, QueueNoun, RecordingEvents, RecordingTrack, SimNoun, SipNoun, WhatsAppNoun,
};
pub use echo::Echo;
pub use enqueue::{Enqueue, EnqueueTask};
pub use gather::{Gather, GatherChild, GatherInput, SpeechTimeout};
pub use hangup::Hangup;
pub use leave::Leave;
pub use pause::Pause;
pub use pay::{Pay, Prompt};
pub use play::Play;
pub use record::{Record, Trim};
pub use redirect::Redirect;
pub use refer::Refer;
pub use reject::{Reject, RejectReason};
pub use say::Say;
pub use sms::Sms;
pub use start::Start;
pub use stop::Stop;
pub use stream::{
    MAX_PARAMETER_LEN, MalformedStreamUrl, Stream, StreamNoun, StreamTrack, stream_scheme,
};

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId, Tree};
use crate::write::XmlWriter;
use crate::{Context, UnknownElement};

/// A parsed `<Response>`: its verbs in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// The verbs, in the order they run.
    pub verbs: Vec<Verb>,
}

/// One TwiML verb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// `<Say>`
    Say(Say),
    /// `<Play>`
    Play(Play),
    /// `<Pause>`
    Pause(Pause),
    /// `<Gather>`
    Gather(Gather),
    /// `<Hangup>`
    Hangup(Hangup),
    /// `<Redirect>`
    Redirect(Redirect),
    /// `<Reject>`
    Reject(Reject),
    /// `<Record>`
    Record(Record),
    /// `<Dial>`
    Dial(Dial),
    /// `<Enqueue>`
    Enqueue(Enqueue),
    /// `<Leave>`
    Leave(Leave),
    /// `<Connect>`
    Connect(Connect),
    /// `<Start>`
    Start(Start),
    /// `<Stop>`
    Stop(Stop),
    /// `<Refer>`
    Refer(Refer),
    /// `<Pay>`
    Pay(Pay),
    /// `<Echo>`
    Echo(Echo),
    /// `<Sms>`
    Sms(Sms),
    /// An element TwiML does not define (or a wrong-case name such as `<say>`); Twilio warns
    /// with 12200 and skips it.
    Unknown(UnknownElement),
}

impl Verb {
    /// The element name as written in TwiML.
    pub fn name(&self) -> &str {
        match self {
            Self::Say(_) => "Say",
            Self::Play(_) => "Play",
            Self::Pause(_) => "Pause",
            Self::Gather(_) => "Gather",
            Self::Hangup(_) => "Hangup",
            Self::Redirect(_) => "Redirect",
            Self::Reject(_) => "Reject",
            Self::Record(_) => "Record",
            Self::Dial(_) => "Dial",
            Self::Enqueue(_) => "Enqueue",
            Self::Leave(_) => "Leave",
            Self::Connect(_) => "Connect",
            Self::Start(_) => "Start",
            Self::Stop(_) => "Stop",
            Self::Refer(_) => "Refer",
            Self::Pay(_) => "Pay",
            Self::Echo(_) => "Echo",
            Self::Sms(_) => "Sms",
            Self::Unknown(e) => &e.name,
        }
    }
}

/// Every TwiML verb name, to suggest the right case for `<say>` and friends.
const VERB_NAMES: &[&str] = &[
    "Say", "Play", "Pause", "Gather", "Hangup", "Redirect", "Reject", "Record", "Dial", "Enqueue",
    "Leave", "Connect", "Start", "Stop", "Refer", "Pay", "Echo", "Sms",
];

impl Verb {
    fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        match cx.tree.node(id).name {
            "Say" => Self::Say(Say::parse(cx, id)),
            "Play" => Self::Play(Play::parse(cx, id)),
            "Pause" => Self::Pause(Pause::parse(cx, id)),
            "Gather" => Self::Gather(Gather::parse(cx, id)),
            "Hangup" => Self::Hangup(Hangup::parse(cx, id)),
            "Redirect" => Self::Redirect(Redirect::parse(cx, id)),
            "Reject" => Self::Reject(Reject::parse(cx, id)),
            "Record" => Self::Record(Record::parse(cx, id)),
            "Dial" => Self::Dial(Dial::parse(cx, id)),
            "Enqueue" => Self::Enqueue(Enqueue::parse(cx, id)),
            "Leave" => Self::Leave(Leave::parse(cx, id)),
            "Connect" => Self::Connect(Connect::parse(cx, id)),
            "Start" => Self::Start(Start::parse(cx, id)),
            "Stop" => Self::Stop(Stop::parse(cx, id)),
            "Refer" => Self::Refer(Refer::parse(cx, id)),
            "Pay" => Self::Pay(Pay::parse(cx, id)),
            "Echo" => Self::Echo(Echo::parse(cx, id)),
            "Sms" => Self::Sms(Sms::parse(cx, id)),
            name => {
                let pos = cx.tree.node(id).pos;
                let message = match VERB_NAMES.iter().find(|v| v.eq_ignore_ascii_case(name)) {
                    Some(right) => format!(
                        "Element '{name}' is not a TwiML verb (TwiML is case-sensitive: did you mean '{right}'?); it is skipped"
                    ),
                    None => format!("Element '{name}' is not a TwiML verb; it is skipped"),
                };
                cx.warn(TwilioCode::SCHEMA_WARNING, pos, message);
                Self::Unknown(cx.element(id))
            }
        }
    }

    fn write(&self, w: &mut XmlWriter) {
        match self {
            Self::Say(v) => v.write(w),
            Self::Play(v) => v.write(w),
            Self::Pause(v) => v.write(w),
            Self::Gather(v) => v.write(w),
            Self::Hangup(v) => v.write(w),
            Self::Redirect(v) => v.write(w),
            Self::Reject(v) => v.write(w),
            Self::Record(v) => v.write(w),
            Self::Dial(v) => v.write(w),
            Self::Enqueue(v) => v.write(w),
            Self::Leave(v) => v.write(w),
            Self::Connect(v) => v.write(w),
            Self::Start(v) => v.write(w),
            Self::Stop(v) => v.write(w),
            Self::Refer(v) => v.write(w),
            Self::Pay(v) => v.write(w),
            Self::Echo(v) => v.write(w),
            Self::Sms(v) => v.write(w),
            Self::Unknown(e) => w.element(e),
        }
    }
}

/// Whisper documents (`<Number url>`, `<WhatsApp url>`) may only use these verbs.
fn check_whisper(cx: &mut Cx<'_, '_>, verb: &Verb, pos: usize) {
    match verb {
        Verb::Play(_) | Verb::Say(_) | Verb::Gather(_) | Verb::Hangup(_) | Verb::Unknown(_) => {}
        Verb::Dial(_) => {
            cx.error(
                TwilioCode::DIAL_IN_DIAL_SEGMENT,
                pos,
                "Dial: Cannot Dial out from a Dial Call Segment (a whisper document may not contain <Dial>)".to_owned(),
            );
            cx.unusable = true;
        }
        other => {
            let name = other.name();
            cx.error(
                TwilioCode::SCHEMA_WARNING,
                pos,
                format!("<{name}> is not allowed in a whisper document (only <Play>, <Say>, <Gather> and <Hangup> are)"),
            );
            cx.unusable = true;
        }
    }
}

/// Builds the document from the tree whose root is `<Response>`.
pub(crate) fn document_from_tree(cx: &mut Cx<'_, '_>) -> Document {
    let tree = cx.tree;
    let mut ignored = Vec::new();
    for a in tree.attrs(Tree::ROOT) {
        cx.unknown_attr("Response", a, &mut ignored);
    }
    cx.no_text("Response", Tree::ROOT);
    let mut verbs = Vec::with_capacity(tree.child_count(Tree::ROOT));
    for id in tree.children(Tree::ROOT) {
        verbs.push(Verb::parse(cx, id));
        if cx.context == Context::Whisper
            && let Some(verb) = verbs.last()
        {
            check_whisper(cx, verb, tree.node(id).pos);
        }
    }
    Document { verbs }
}

impl Document {
    /// TwiML text for this document, as the helper libraries write it (declaration, one line).
    /// Attributes equal to Twilio's default are omitted; parsing the result gives `self` back.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::default();
        w.out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        w.open("Response");
        if self.verbs.is_empty() {
            w.end_empty();
        } else {
            w.end_start();
            for verb in &self.verbs {
                verb.write(&mut w);
            }
            w.close("Response");
        }
        w.out
    }
}
