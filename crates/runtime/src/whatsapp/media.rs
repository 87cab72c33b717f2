//! The media seam: what the connector needs from a WebRTC leg, and nothing more.
//!
//! A business-initiated call makes an offer, sends it to Meta, and applies Meta's answer; a
//! user-initiated call answers Meta's offer. Either way the connector then waits for the leg's
//! events: `Connected` (ICE and DTLS done, media flowing), digits received (RFC 4733), the end
//! of something played on it, or a failure. `dialtone-media` implements it; keeping the connector on this seam keeps its
//! signalling testable on its own and the media crate replaceable.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A running leg and our SDP answer.
pub(crate) type Answered = (Box<dyn MediaSession>, String);

/// What happens on a media leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MediaEvent {
    /// ICE and DTLS are up: media flows both ways.
    Connected,
    /// The far end pressed a DTMF digit.
    Digit(char),
    /// What the leg played with this id (`LegControl::play`) ended, or was stopped or
    /// replaced: the connector passes it to playback, which tells the engine.
    Played(u64),
    /// The leg failed (ICE or DTLS failed, or never connected in time).
    Failed(String),
}

/// Makes WebRTC legs.
pub(crate) trait MediaBackend: Send + Sync + fmt::Debug + 'static {
    /// A new offer (full ICE, all candidates gathered).
    fn offer(&self) -> BoxFuture<'_, Result<Box<dyn PendingOffer>, String>>;
    /// A leg answering `remote_offer`, and our SDP answer.
    fn answer<'a>(&'a self, remote_offer: &'a str) -> BoxFuture<'a, Result<Answered, String>>;
}

/// An offer waiting for the far end's answer.
pub(crate) trait PendingOffer: Send + fmt::Debug {
    /// Our SDP offer.
    fn sdp(&self) -> &str;
    /// Applies the remote answer and starts the leg.
    fn accept(self: Box<Self>, remote_answer: &str) -> Result<Box<dyn MediaSession>, String>;
}

/// A running leg.
pub(crate) trait MediaSession: Send + fmt::Debug {
    /// The next event; `None` once the leg is gone. Cancel-safe.
    fn event(&mut self) -> BoxFuture<'_, Option<MediaEvent>>;
    /// A handle on the leg's audio, for bridges and prompts (`None` for legs without one).
    fn audio(&self) -> Option<dialtone_media::LegControl>;
    /// Stops the leg and frees its socket.
    fn close(self: Box<Self>);
}
