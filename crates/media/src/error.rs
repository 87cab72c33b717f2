//! Errors returned synchronously by the media API (failures after start are `MediaEvent`s).

/// Why an offer, an answer or an accept failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The remote SDP is unusable (no ICE credentials, no fingerprint, no audio, no Opus…).
    #[error("bad remote SDP: {0}")]
    Sdp(String),
    /// Binding or querying the UDP socket failed.
    #[error("media socket: {0}")]
    Io(#[from] std::io::Error),
    /// str0m refused an operation.
    #[error("WebRTC: {0}")]
    Rtc(String),
    /// The configuration cannot work (e.g. an unspecified `ip`, which is no candidate).
    #[error("media configuration: {0}")]
    Config(String),
    /// No tokio runtime to run the leg on.
    #[error("media leg needs a tokio runtime")]
    NoRuntime,
}
