//! The leg's SDP, written and read by hand.
//!
//! str0m's own SDP negotiation picks `passive` when it answers an `actpass` offer, while Meta
//! answers `active` and integrators report that a `passive` answer to Meta fails. Driving str0m
//! through its direct API and writing the SDP ourselves keeps every line Meta looks at (payload
//! types, Opus fmtp, ptime, `a=setup`, one fingerprint, `a=ice-lite`) under our control.

mod local;
mod remote;

pub(crate) use local::LocalSdp;
pub(crate) use remote::{RemoteSdp, Setup};

/// Opus payload type in our offers (Meta uses 111).
pub(crate) const OPUS_PT: u8 = 111;
/// `telephone-event/8000` payload type in our offers (Meta uses 126).
pub(crate) const TELEPHONE_EVENT_PT: u8 = 126;
/// Opus fmtp in our offers: Meta's wideband profile.
pub(crate) const OPUS_FMTP: &str = "minptime=20;useinbandfec=1";
