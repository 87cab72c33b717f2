//! `<Stream>`: a media stream noun of `<Connect>`, `<Start>` and `<Stop>`.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

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

/// Nouns known inside `<Connect>`, `<Start>` and `<Stop>` that are kept untyped.
const OTHER_NOUNS: &[&str] = &[
    "Room",
    "Conversation",
    "VirtualAgent",
    "ConversationRelay",
    "Assistant",
    "AiSession",
    "Autopilot",
    "Siprec",
    "Transcription",
    "Recording",
    "Parameter",
];

/// `<Parameter>` name plus value must stay under this many characters (Twilio's limit).
pub const MAX_PARAMETER_LEN: usize = 500;

impl Stream {
    fn parse(cx: &mut Cx<'_, '_>, parent: &str, id: NodeId) -> Self {
        const S: &str = "Stream";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut s = Self::default();
        let mut url_pos = tree.node(id).pos;
        for a in tree.attrs(id) {
            match a.name {
                "url" => {
                    s.url = Some(a.value.to_string());
                    url_pos = a.pos;
                }
                "name" => s.name = Some(a.value.to_string()),
                "track" => match &*a.value {
                    "inbound_track" => s.track = StreamTrack::Inbound,
                    "outbound_track" => s.track = StreamTrack::Outbound,
                    "both_tracks" => s.track = StreamTrack::Both,
                    other => cx.error(
                        TwilioCode::STREAM_INVALID_TRACK,
                        a.pos,
                        format!("Stream: invalid track value '{other}' (inbound_track, outbound_track, both_tracks)"),
                    ),
                },
                "statusCallback" => s.status_callback = Some(a.value.to_string()),
                "statusCallbackMethod" => s.status_callback_method = cx.method(S, a, W, Method::Post),
                _ => cx.unknown_attr(S, a, &mut s.extra),
            }
        }
        cx.no_text(S, id);
        for child in tree.children(id) {
            if tree.node(child).name == "Parameter" {
                let p = cx.parameter(child);
                if p.0.chars().count() + p.1.chars().count() >= MAX_PARAMETER_LEN {
                    cx.warn(
                        W,
                        tree.node(child).pos,
                        format!("Stream: Parameter '{}': name and value must be under {MAX_PARAMETER_LEN} characters", p.0),
                    );
                }
                s.parameters.push(p);
            } else {
                cx.unexpected_child(W, S, child);
            }
        }
        let pos = tree.node(id).pos;
        if parent == "Connect" && s.track != StreamTrack::Inbound {
            cx.error(
                TwilioCode::STREAM_INVALID_TRACK,
                pos,
                format!(
                    "Stream: <Connect><Stream> streams the inbound track only (track '{}')",
                    s.track.as_str()
                ),
            );
        }
        match s.url.as_deref() {
            Some(url) => check_url(cx, url_pos, url),
            None if parent != "Stop" => cx.error(
                TwilioCode::STREAM_MALFORMED_URL,
                pos,
                "Stream: url is required".to_owned(),
            ),
            None if s.name.is_none() => cx.warn(
                W,
                pos,
                "Stop: <Stream> names nothing to stop (give its name)".to_owned(),
            ),
            None => {}
        }
        s
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("Stream");
        w.attr_opt("url", self.url.as_deref());
        w.attr_opt("name", self.name.as_deref());
        if self.track != StreamTrack::Inbound {
            w.attr("track", self.track.as_str());
        }
        w.attr_opt("statusCallback", self.status_callback.as_deref());
        w.method("statusCallbackMethod", self.status_callback_method);
        w.extra(&self.extra);
        if self.parameters.is_empty() {
            w.end_empty();
        } else {
            w.end_start();
            w.parameters(&self.parameters);
            w.close("Stream");
        }
    }
}

/// Twilio's rules for a stream URL: `wss` (Dialtone also connects to `ws`, with a warning), a
/// parsable URL, no query string (Twilio's handshake may fail with one; `<Parameter>` is the
/// way to pass data). Relative URLs are resolved against the document's by the engine.
fn check_url(cx: &mut Cx<'_, '_>, pos: usize, url: &str) {
    let scheme = stream_scheme(url).map(|s| s.map(str::to_ascii_lowercase));
    match scheme {
        Ok(None) => {}
        Ok(Some(s)) if s == "wss" => {}
        Ok(Some(s)) if s == "ws" => cx.warn(
            TwilioCode::STREAM_URL_SCHEME,
            pos,
            format!("Stream: url '{url}': Twilio accepts only wss; Dialtone connects to ws:// unless streams require wss"),
        ),
        Ok(Some(other)) => cx.error(
            TwilioCode::STREAM_URL_SCHEME,
            pos,
            format!("Stream: url '{url}': scheme '{other}' is not supported (wss)"),
        ),
        Err(MalformedStreamUrl) => cx.error(
            TwilioCode::STREAM_MALFORMED_URL,
            pos,
            format!("Stream: url '{url}' is malformed"),
        ),
    }
    if url.contains('?') {
        cx.warn(
            TwilioCode::STREAM_HANDSHAKE_ERROR,
            pos,
            format!("Stream: url '{url}' has a query string, which Twilio does not support (use <Parameter>)"),
        );
    }
}

/// A stream URL that cannot be one (no host, whitespace, `scheme:` without `//`): 31923.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed stream URL")]
pub struct MalformedStreamUrl;

/// The scheme of a stream URL, as written (`None` when relative); `Err` when it cannot be one.
pub fn stream_scheme(url: &str) -> Result<Option<&str>, MalformedStreamUrl> {
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(MalformedStreamUrl);
    }
    if !dialtone_types::has_scheme(url) {
        return Ok(None);
    }
    let (scheme, rest) = url.split_once(':').ok_or(MalformedStreamUrl)?;
    let Some(authority) = rest.strip_prefix("//") else {
        return Err(MalformedStreamUrl);
    };
    if dialtone_types::authority_host(url).is_empty() || authority.starts_with('/') {
        return Err(MalformedStreamUrl);
    }
    Ok(Some(scheme))
}

/// Parses the children of `<Connect>`, `<Start>` or `<Stop>`.
pub(crate) fn parse_nouns(cx: &mut Cx<'_, '_>, parent: &str, id: NodeId) -> Vec<StreamNoun> {
    let tree = cx.tree;
    let mut nouns = Vec::with_capacity(tree.child_count(id));
    for child in tree.children(id) {
        let name = tree.node(child).name;
        if name == "Stream" {
            nouns.push(StreamNoun::Stream(Stream::parse(cx, parent, child)));
        } else {
            if !OTHER_NOUNS.contains(&name) {
                cx.unexpected_child(TwilioCode::SCHEMA_WARNING, parent, child);
            }
            nouns.push(StreamNoun::Other(cx.element(child)));
        }
    }
    nouns
}

/// Writes the children of `<Connect>`, `<Start>` or `<Stop>` and closes `parent`.
pub(crate) fn write_nouns(w: &mut XmlWriter, parent: &str, nouns: &[StreamNoun]) {
    if nouns.is_empty() {
        w.end_empty();
        return;
    }
    w.end_start();
    for noun in nouns {
        match noun {
            StreamNoun::Stream(s) => s.write(w),
            StreamNoun::Other(e) => w.element(e),
        }
    }
    w.close(parent);
}
