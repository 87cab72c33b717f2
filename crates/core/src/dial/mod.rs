//! `<Dial>` with `<WhatsApp>` and `<Client>` nouns: checks, child calls, ringing, the
//! winner, whisper, bridge, and the outcome reported to `action`.
//!
//! - Nouns ring in parallel (at most 10; the first to answer wins, the others are
//!   `canceled`) or one after the other with `sequential="true"` (each for `timeout`).
//! - `<WhatsApp>` needs `callerId="whatsapp:+S"` where `+S` is a voice-enabled sender of the
//!   account (else 37008, the noun is not dialed), and a parent that is not a phone-network
//!   call (else 13225). `<Number>` is 13224 (no PSTN legs); `<Sip>`, `<Conference>`,
//!   `<Queue>`, `<Application>`, `<Sim>` are 13750. A `<Dial>` with nothing dialable ends at
//!   once with `DialCallStatus=failed`.
//! - Without `answerOnBridge` the parent is answered before dialing; with it, at the bridge.
//! - Files: `start.rs` (checks, children), `child.rs` (child leg events), `whisper.rs`
//!   (answer, whisper, bridge), `outcome.rs` (end of dial, `action`, tear-down).

mod child;
mod outcome;
mod record;
mod start;
mod whisper;

use std::sync::Arc;

use dialtone_twiml::{Dial, Document, Verb};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Sid};

pub(crate) use outcome::DialOutcome;
pub(crate) use record::DialRecording;

/// Most nouns ringing at once (Twilio: up to 10).
pub(crate) const MAX_NOUNS: usize = 10;

/// The outcome of one child, kept when it ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildOutcome {
    pub(crate) sid: Sid,
    pub(crate) status: CallStatus,
    /// `DialCallDuration`; `None` when the child was redirected out of the dial (Twilio
    /// does not send it then).
    pub(crate) duration: Option<u64>,
}

/// A `<Dial>` in progress, owned by the parent call.
#[derive(Debug)]
pub(crate) struct DialState {
    /// The document holding the `<Dial>` and its index there.
    pub(crate) doc: Arc<Document>,
    pub(crate) verb: usize,
    /// The document URL, for relative `action`, `url` and `statusCallback`.
    pub(crate) base: Option<WebUrl>,
    /// `From` of the children.
    pub(crate) caller_id: Arc<str>,
    /// Indexes of the nouns that will be dialed, in order.
    pub(crate) candidates: Vec<u16>,
    /// Next candidate to start (sequential dialing).
    pub(crate) next: usize,
    /// Every child created, in order.
    pub(crate) children: Vec<Sid>,
    /// The child that answered first.
    pub(crate) winner: Option<Sid>,
    /// The parent and the winner are bridged (or were, until the child ended).
    pub(crate) bridged: bool,
    /// The latest child outcome.
    pub(crate) last: Option<ChildOutcome>,
    /// `<Dial record>`: the recording, once started.
    pub(crate) recording: Option<DialRecording>,
}

impl DialState {
    /// The `<Dial>` verb.
    pub(crate) fn spec(&self) -> Option<&Dial> {
        match self.doc.verbs.get(self.verb) {
            Some(Verb::Dial(d)) => Some(d),
            _ => None,
        }
    }
}
