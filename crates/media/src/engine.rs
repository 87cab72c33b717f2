//! Making and answering offers: binds the leg's socket, builds the SDP, starts the leg task.

use crate::{MediaConfig, MediaError, MediaLeg};
use std::sync::Arc;

/// Creates media legs with one configuration; cheap to clone.
#[derive(Clone, Debug)]
pub struct MediaEngine {
    config: Arc<MediaConfig>,
}

impl MediaEngine {
    /// An engine whose legs all use `config`.
    pub fn new(config: MediaConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }

    /// The configuration of this engine's legs.
    pub fn config(&self) -> &MediaConfig {
        &self.config
    }

    /// Binds a UDP socket and makes an SDP offer; media starts once the answer is accepted.
    pub async fn offer(&self) -> Result<MediaOffer, MediaError> {
        Err(MediaError::Unavailable("offer not implemented yet"))
    }

    /// Answers a remote offer: returns the running leg and our SDP answer.
    pub async fn answer(&self, remote_offer: &str) -> Result<(MediaLeg, String), MediaError> {
        let _ = remote_offer;
        Err(MediaError::Unavailable("answer not implemented yet"))
    }
}

/// Our pending offer: a bound socket and an SDP waiting for the remote answer.
#[derive(Debug)]
pub struct MediaOffer {
    sdp: String,
}

impl MediaOffer {
    /// Our SDP offer (CRLF line endings).
    pub fn sdp(&self) -> &str {
        &self.sdp
    }

    /// Applies the remote answer and starts the leg (needs a tokio runtime).
    pub fn accept(self, remote_answer: &str) -> Result<MediaLeg, MediaError> {
        let _ = remote_answer;
        Err(MediaError::Unavailable("accept not implemented yet"))
    }
}
