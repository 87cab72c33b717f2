//! `<Stream>`: a media stream noun of `<Connect>`, `<Start>` and `<Stop>`.

use crate::Method;

/// `track` of `<Stream>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StreamTrack {
    /// `inbound_track` (default).
    #[default]
    Inbound,
    /// `outbound_track`
    Outbound,
    /// `both_tracks`
    Both,
}

impl StreamTrack {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound_track",
            Self::Outbound => "outbound_track",
            Self::Both => "both_tracks",
        }
    }
}

/// `<Stream url name track statusCallback statusCallbackMethod>` with `<Parameter>` children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    /// `url`: a `wss://` URL (required except in `<Stop>`).
    pub url: Option<String>,
    /// `name`: lets `<Stop>` address the stream.
    pub name: Option<String>,
    /// `track`. Default `inbound_track`.
    pub track: StreamTrack,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `<Parameter name value/>` children.
    pub parameters: Vec<(String, String)>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

/// A noun of `<Connect>`, `<Start>` or `<Stop>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamNoun {
    /// `<Stream>`, typed.
    Stream(Stream),
    /// Any other noun (`Room`, `VirtualAgent`, `ConversationRelay`, `Siprec`, `Transcription`...),
    /// kept as a generic element: the engine does not execute these.
    Other(crate::Element),
}
