//! What Dialtone and a Voice SDK Device say to each other, without the wire format.
//!
//! The API crate reads and writes the SDK's PStream JSON frames over the WebSocket; the runtime
//! rings Devices, runs their calls and media. Both speak in these messages, so neither knows
//! the other's internals. A call is named by its CallSid text (`CA…`), or, for a call the
//! Device placed that has no CallSid yet, by the SDK's temporary `TJS…` id.

/// One Device connection (one WebSocket), unique while the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub u64);

/// Sent to a Device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToDevice {
    /// An incoming call: our SDP offer and the call's parameters (`CallSid`, `From`, `To`,
    /// `AccountSid`, `ApiVersion`, and `Params` for custom parameters).
    Invite {
        /// `CA…`.
        call: String,
        /// Our offer.
        sdp: String,
        /// `invite.parameters`, in order.
        parameters: Vec<(String, String)>,
    },
    /// A call the Device placed has its CallSid and is ringing.
    Ringing {
        /// `CA…`.
        call: String,
    },
    /// A call the Device placed was answered: our SDP answer.
    Answer {
        /// `CA…`.
        call: String,
        /// Our answer, if not sent before.
        sdp: Option<String>,
    },
    /// An incoming call is withdrawn (answered elsewhere, or the caller gave up).
    Cancel {
        /// `CA…`.
        call: String,
    },
    /// The other side hung up, or the call failed (`error`: code and message).
    Hangup {
        /// `CA…` or `TJS…`.
        call: String,
        /// Why, when it failed.
        error: Option<(u32, String)>,
    },
    /// A request of the Device failed.
    Error {
        /// The SDK error code (31xxx).
        code: u32,
        /// What went wrong.
        message: String,
        /// The call it is about, if any.
        call: Option<String>,
    },
}

/// Sent by a Device about one of its calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromDevice {
    /// The Device accepted an incoming call with this SDP answer.
    Answer {
        /// `CA…`.
        call: String,
        /// Its answer.
        sdp: String,
    },
    /// It declined an incoming call.
    Reject {
        /// `CA…`.
        call: String,
    },
    /// It hung up (or gave up on a call it placed).
    Hangup {
        /// `CA…` or `TJS…`.
        call: String,
    },
    /// Digits sent over signalling (the SDK's fallback when no `telephone-event` was
    /// negotiated).
    Digits {
        /// `CA…`.
        call: String,
        /// `0-9*#w`.
        digits: String,
    },
}
