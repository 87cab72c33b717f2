//! Legs: the transports under calls, behind one trait.
//!
//! The engine says *what* should happen to a leg (`StartLeg`, `AnswerLeg`, `CancelLeg`...);
//! a [`LegConnector`] makes it happen on some network and reports back through
//! [`LegEvents`]: the simulated softphones (`client:`) and the WhatsApp connector
//! ([`WhatsApp`](crate::WhatsApp), `whatsapp:`). A runtime started without WhatsApp settings
//! uses [`WhatsAppUnsupported`] instead: a `whatsapp:` leg fails at once with
//! [`WHATSAPP_NOT_SUPPORTED`].

use std::fmt;
use std::sync::Arc;

use dialtone_core::{Input, LegEvent, RejectReason};
use dialtone_types::{Sid, TwilioCode};
use tokio::sync::mpsc;

use crate::driver::Command;

/// The code of a `whatsapp:` leg when the runtime has no WhatsApp connector: Twilio's 13224
/// ("Twilio does not support calling this number"), the code Twilio uses for destinations it
/// cannot call.
pub const WHATSAPP_NOT_SUPPORTED: TwilioCode = TwilioCode::DIAL_NUMBER_NOT_SUPPORTED;

/// A leg to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegStart {
    /// The call the leg carries.
    pub call: Sid,
    /// The call's account (softphones are registered per account).
    pub account: Sid,
    /// The parent call, for a `<Dial>` child.
    pub parent: Option<Sid>,
    /// Caller ID shown to the far end.
    pub from: Arc<str>,
    /// Who to call (`client:alice`).
    pub to: Arc<str>,
    /// `<Client>` custom parameters.
    pub parameters: Vec<(String, String)>,
}

/// How the engine ends a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegEnd {
    /// Refuse an incoming leg that is not answered (`<Reject>`).
    Reject(RejectReason),
    /// Stop placing an outgoing leg that is not answered.
    Cancel,
    /// Hang up.
    Hangup,
}

/// Where a connector reports what happens on one leg; cheap to clone.
#[derive(Clone)]
pub struct LegEvents {
    call: Sid,
    tx: mpsc::Sender<Command>,
}

impl fmt::Debug for LegEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegEvents")
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

impl LegEvents {
    pub(crate) fn new(call: Sid, tx: mpsc::Sender<Command>) -> Self {
        Self { call, tx }
    }

    /// The call this leg carries.
    pub fn call(&self) -> Sid {
        self.call
    }

    /// Reports `event`; `false` once the runtime has stopped.
    pub async fn send(&self, event: LegEvent) -> bool {
        self.tx
            .send(Command::Input(Input::Leg {
                call: self.call,
                event,
            }))
            .await
            .is_ok()
    }

    /// Reports `event` from code that cannot wait (it is sent by a small task).
    pub fn send_later(&self, event: LegEvent) {
        let events = self.clone();
        tokio::spawn(async move {
            events.send(event).await;
        });
    }
}

/// A network that carries legs. Methods must not block: they start work and return.
pub trait LegConnector: Send + Sync + fmt::Debug {
    /// Places an outgoing leg; everything that happens on it goes to `events`.
    fn start_leg(&self, leg: LegStart, events: LegEvents);
    /// Answers an incoming leg this connector delivered.
    fn answer_leg(&self, call: Sid);
    /// Ends a leg.
    fn end_leg(&self, call: Sid, how: LegEnd);
    /// Connects the audio of two legs.
    fn bridge(&self, parent: Sid, child: Sid);
    /// Disconnects them.
    fn unbridge(&self, parent: Sid, child: Sid);
    /// The call ended: drop whatever is still held for its leg (no command is sent).
    fn release(&self, call: Sid);
    /// True when this connector's legs carry audio (they attach a media leg once connected):
    /// media commands then wait a short grace for the leg instead of being simulated at once.
    fn carries_media(&self) -> bool {
        false
    }
}

/// The stand-in for the WhatsApp connector when none is configured: every leg fails at once with
/// [`WHATSAPP_NOT_SUPPORTED`] (the engine turns that into a `failed` call and a notification).
#[derive(Debug, Default)]
pub struct WhatsAppUnsupported;

impl LegConnector for WhatsAppUnsupported {
    fn start_leg(&self, leg: LegStart, events: LegEvents) {
        tracing::info!(call = %leg.call, "WhatsApp leg refused: no WhatsApp connector yet");
        events.send_later(LegEvent::Failed {
            code: WHATSAPP_NOT_SUPPORTED,
            message:
                "WhatsApp calling is not supported yet: this Dialtone has no WhatsApp connector"
                    .to_owned(),
        });
    }

    fn answer_leg(&self, _call: Sid) {}

    fn end_leg(&self, _call: Sid, _how: LegEnd) {}

    fn bridge(&self, _parent: Sid, _child: Sid) {}

    fn unbridge(&self, _parent: Sid, _child: Sid) {}

    fn release(&self, _call: Sid) {}
}
