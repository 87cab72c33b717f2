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

impl Stream {
    fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const S: &str = "Stream";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut s = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "url" => s.url = Some(a.value.to_string()),
                "name" => s.name = Some(a.value.to_string()),
                "track" => match &*a.value {
                    "inbound_track" => s.track = StreamTrack::Inbound,
                    "outbound_track" => s.track = StreamTrack::Outbound,
                    "both_tracks" => s.track = StreamTrack::Both,
                    other => cx.warn(W, a.pos, format!("Stream: invalid track value '{other}' (inbound_track, outbound_track, both_tracks)")),
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
                s.parameters.push(p);
            } else {
                cx.unexpected_child(W, S, child);
            }
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

/// Parses the children of `<Connect>`, `<Start>` or `<Stop>`.
pub(crate) fn parse_nouns(cx: &mut Cx<'_, '_>, parent: &str, id: NodeId) -> Vec<StreamNoun> {
    let tree = cx.tree;
    let mut nouns = Vec::with_capacity(tree.child_count(id));
    for child in tree.children(id) {
        let name = tree.node(child).name;
        if name == "Stream" {
            nouns.push(StreamNoun::Stream(Stream::parse(cx, child)));
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
