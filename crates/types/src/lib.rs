//! The shared vocabulary of Dialtone.
//!
//! Every other crate speaks in these types: SIDs, the address forms Twilio uses in `From`/`To`,
//! call statuses and directions, webhook URLs kept as their owner wrote them, Twilio's numeric error codes, how simulated devices react to a
//! call and what they send, and a wrapper that keeps personal data (phone numbers) out of logs. The crate is pure:
//! no IO, no clock, no randomness.
#![warn(missing_docs)]

mod address;
mod code;
mod device;
mod redact;
mod sid;
mod simulated;
mod simulated_audio;
mod status;
mod time;
mod web_url;

pub use address::{Address, AddressError, E164};
pub use code::{Level, TwilioCode};
pub use device::{DeviceId, FromDevice, ToDevice};
pub use redact::Redacted;
pub use sid::{Sid, SidError, SidKind};
pub use simulated::{SimulatedBehavior, UnknownBehavior};
pub use simulated_audio::{AudioParseError, MAX_TONE_HZ, MIN_TONE_HZ, SimulatedAudio};
pub use status::{CallStatus, Direction, StatusParseError};
pub use time::{Iso8601, Rfc2822, UnixMillis};
pub use web_url::{
    MAX_URL_LEN, UrlError, WebUrl, authority_host, check_host, has_scheme, split_fragment,
};
