//! The typed model: one file per verb.

mod connect;
pub mod dial;
mod echo;
mod enqueue;
mod gather;
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
mod stream;

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
pub use stream::{Stream, StreamNoun, StreamTrack};

use crate::UnknownElement;

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
