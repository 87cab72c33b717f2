//! How a media leg runs: which ICE role, which local address, which timers.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// The ICE role of our side of the leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceMode {
    /// Full ICE, controlling agent: Dialtone's side (Meta requires the business to control).
    Full,
    /// ICE-lite (`a=ice-lite`), always controlled: the simulated WhatsApp side.
    Lite,
}

/// Settings shared by every leg of a [`crate::MediaEngine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Local address the leg's UDP socket binds to; it is the only host candidate, so it must
    /// be an address the peer can reach (not `0.0.0.0`).
    pub ip: IpAddr,
    /// Full ICE (Dialtone) or ICE-lite (simulated WhatsApp).
    pub ice: IceMode,
    /// How long ICE and DTLS may take after the remote SDP is applied before the leg fails.
    pub connect_timeout: Duration,
    /// Audio packet interval, written as `a=ptime`; Meta uses 20 ms. Each packet carries
    /// `ptime / 20 ms` Opus frames (1 to 6), and RTP timestamps advance by ptime at 48 kHz.
    pub ptime: Duration,
    /// Accept a remote SDP that lists no candidate: the peer's address is learnt from its ICE
    /// checks (a peer-reflexive candidate). Browsers running the Voice SDK send their SDP
    /// before gathering, with no `a=candidate` and `c=IN IP4 0.0.0.0`; only an ICE-lite side
    /// (which waits for the peer's checks) can use this.
    pub learn_remote: bool,
}

impl MediaConfig {
    /// Full ICE on 127.0.0.1, 20 s connect timeout, 20 ms ptime.
    pub fn full() -> Self {
        Self::with_mode(IceMode::Full)
    }

    /// ICE-lite on 127.0.0.1, 20 s connect timeout, 20 ms ptime.
    pub fn lite() -> Self {
        Self::with_mode(IceMode::Lite)
    }

    /// Dialtone's side of a browser leg (Voice SDK): ICE-lite, learning the browser's address
    /// from its checks, on 127.0.0.1, 20 s connect timeout, 20 ms ptime.
    pub fn browser() -> Self {
        Self {
            learn_remote: true,
            ..Self::with_mode(IceMode::Lite)
        }
    }

    fn with_mode(ice: IceMode) -> Self {
        Self {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ice,
            connect_timeout: Duration::from_secs(20),
            ptime: Duration::from_millis(20),
            learn_remote: false,
        }
    }
}
