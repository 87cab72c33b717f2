//! Twilio's Media Streams messages (twilio-streams-sdk.md §A2): what Dialtone sends and what
//! it accepts back, as JSON text frames.
//!
//! Exact on the wire: camelCase keys, `sequenceNumber`, `chunk` and `timestamp` as strings,
//! `sampleRate` and `channels` as numbers, `connected` then `start` first. From the
//! application only `media`, `mark` and `clear` are accepted, with the stream's own
//! `streamSid`; anything else is ignored with 31951 (invalid message), an undecodable payload
//! with 31950. Unknown extra keys are tolerated (Twilio may reject them; being lenient costs
//! no consumer anything, see `docs/twilio-compat.md`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialtone_types::{Sid, TwilioCode};
use serde_json::{Value, json};

/// One direction of audio in a stream: `inbound` (the caller) or `outbound` (what the call
/// plays to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Track {
    Inbound,
    Outbound,
}

impl Track {
    /// `media.track` (no `_track` suffix).
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// Builds the messages of one stream, numbering them (`sequenceNumber` from 1 on `start`).
#[derive(Debug)]
pub(crate) struct Outgoing {
    stream: String,
    sequence: u64,
}

impl Outgoing {
    pub(crate) fn new(stream: Sid) -> Self {
        Self {
            stream: stream.to_string(),
            sequence: 0,
        }
    }

    fn next(&mut self) -> String {
        self.sequence += 1;
        self.sequence.to_string()
    }

    /// The first frame.
    pub(crate) fn connected() -> String {
        json!({"event": "connected", "protocol": "Call", "version": "1.0.0"}).to_string()
    }

    /// The second frame.
    pub(crate) fn start(
        &mut self,
        account: Sid,
        call: Sid,
        tracks: &[Track],
        parameters: &[(String, String)],
    ) -> String {
        let custom: serde_json::Map<String, Value> = parameters
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let tracks: Vec<&str> = tracks.iter().map(|t| t.as_str()).collect();
        json!({
            "event": "start",
            "sequenceNumber": self.next(),
            "streamSid": self.stream,
            "start": {
                "accountSid": account.to_string(),
                "streamSid": self.stream,
                "callSid": call.to_string(),
                "tracks": tracks,
                "customParameters": custom,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        })
        .to_string()
    }

    /// 20 ms of μ-law: `chunk` counts from 1 per track, `timestamp` is milliseconds since the
    /// stream started.
    pub(crate) fn media(
        &mut self,
        track: Track,
        chunk: u64,
        timestamp: u64,
        ulaw: &[u8],
    ) -> String {
        json!({
            "event": "media",
            "sequenceNumber": self.next(),
            "streamSid": self.stream,
            "media": {
                "track": track.as_str(),
                "chunk": chunk.to_string(),
                "timestamp": timestamp.to_string(),
                "payload": STANDARD.encode(ulaw),
            },
        })
        .to_string()
    }

    /// One key press.
    pub(crate) fn dtmf(&mut self, digit: char) -> String {
        json!({
            "event": "dtmf",
            "sequenceNumber": self.next(),
            "streamSid": self.stream,
            "dtmf": {"track": "inbound_track", "digit": digit.to_string()},
        })
        .to_string()
    }

    /// The echo of a mark whose audio played (or was cleared).
    pub(crate) fn mark(&mut self, name: &str) -> String {
        json!({
            "event": "mark",
            "sequenceNumber": self.next(),
            "streamSid": self.stream,
            "mark": {"name": name},
        })
        .to_string()
    }

    /// The last frame.
    pub(crate) fn stop(&mut self, account: Sid, call: Sid) -> String {
        json!({
            "event": "stop",
            "sequenceNumber": self.next(),
            "streamSid": self.stream,
            "stop": {"accountSid": account.to_string(), "callSid": call.to_string()},
        })
        .to_string()
    }
}

/// What the application may send on a bidirectional stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AppMessage {
    /// μ-law 8 kHz bytes to play, in order.
    Media(Vec<u8>),
    /// A marker at the tail of the playback queue.
    Mark(String),
    /// Drop the queued audio, echo the pending marks.
    Clear,
}

/// Why a message from the application was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) code: TwilioCode,
    pub(crate) reason: String,
}

fn invalid(reason: impl Into<String>) -> Invalid {
    Invalid {
        code: TwilioCode::STREAM_INVALID_MESSAGE,
        reason: reason.into(),
    }
}

/// Parses a text frame from the application on stream `stream`.
pub(crate) fn parse(text: &str, stream: &str) -> Result<AppMessage, Invalid> {
    let value: Value = serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let event = value
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no \"event\""))?;
    match value.get("streamSid").and_then(Value::as_str) {
        Some(s) if s == stream => {}
        Some(s) => return Err(invalid(format!("streamSid {s:?} is not this stream's"))),
        None => return Err(invalid(format!("{event}: no \"streamSid\""))),
    }
    match event {
        "media" => {
            let payload = value
                .get("media")
                .and_then(|m| m.get("payload"))
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("media: no \"media.payload\""))?;
            STANDARD
                .decode(payload)
                .map(AppMessage::Media)
                .map_err(|e| Invalid {
                    code: TwilioCode::STREAM_MALFORMED_MESSAGE,
                    reason: format!("media: payload is not base64: {e}"),
                })
        }
        "mark" => value
            .get("mark")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .map(|n| AppMessage::Mark(n.to_owned()))
            .ok_or_else(|| invalid("mark: no \"mark.name\"")),
        "clear" => Ok(AppMessage::Clear),
        other => Err(invalid(format!(
            "unknown event {other:?} (media, mark, clear)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::SidKind;

    #[test]
    fn messages_are_twilio_shaped() {
        let mz = Sid::new(SidKind::Stream, 1);
        let (ac, ca) = (Sid::new(SidKind::Account, 2), Sid::new(SidKind::Call, 3));
        let mut out = Outgoing::new(mz);
        assert_eq!(
            Outgoing::connected(),
            r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#
        );
        let start: Value = serde_json::from_str(&out.start(
            ac,
            ca,
            &[Track::Inbound, Track::Outbound],
            &[("k".into(), "v".into())],
        ))
        .unwrap();
        assert_eq!(start["sequenceNumber"], "1");
        assert_eq!(start["start"]["streamSid"], mz.to_string());
        assert_eq!(start["start"]["tracks"], json!(["inbound", "outbound"]));
        assert_eq!(start["start"]["customParameters"], json!({"k": "v"}));
        assert_eq!(
            start["start"]["mediaFormat"],
            json!({"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1})
        );
        let media: Value =
            serde_json::from_str(&out.media(Track::Inbound, 1, 0, &[0xff; 160])).unwrap();
        assert_eq!(media["sequenceNumber"], "2");
        assert_eq!(media["media"]["chunk"], "1");
        assert_eq!(media["media"]["timestamp"], "0");
        assert_eq!(media["media"]["payload"].as_str().unwrap().len(), 216);
        let dtmf: Value = serde_json::from_str(&out.dtmf('5')).unwrap();
        assert_eq!(
            dtmf["dtmf"],
            json!({"track": "inbound_track", "digit": "5"})
        );
        let stop: Value = serde_json::from_str(&out.stop(ac, ca)).unwrap();
        assert_eq!(stop["sequenceNumber"], "4");
        assert_eq!(stop["stop"]["callSid"], ca.to_string());
    }

    #[test]
    fn app_messages_are_checked() {
        let s = "MZ00000000000000000000000000000001";
        assert_eq!(
            parse(
                &format!(r#"{{"event":"media","streamSid":"{s}","media":{{"payload":"//8="}}}}"#),
                s
            ),
            Ok(AppMessage::Media(vec![0xff, 0xff]))
        );
        assert_eq!(
            parse(
                &format!(r#"{{"event":"mark","streamSid":"{s}","mark":{{"name":"m1"}}}}"#),
                s
            ),
            Ok(AppMessage::Mark("m1".into()))
        );
        assert_eq!(
            parse(&format!(r#"{{"event":"clear","streamSid":"{s}"}}"#), s),
            Ok(AppMessage::Clear)
        );
        let code = |t: &str| parse(t, s).unwrap_err().code.0;
        assert_eq!(code("nope"), 31951);
        assert_eq!(
            code(&format!(r#"{{"event":"hello","streamSid":"{s}"}}"#)),
            31951
        );
        assert_eq!(code(r#"{"event":"clear","stream_sid":"x"}"#), 31951);
        assert_eq!(code(r#"{"event":"clear","streamSid":"MZ1"}"#), 31951);
        assert_eq!(
            code(&format!(r#"{{"event":"mark","streamSid":"{s}"}}"#)),
            31951
        );
        assert_eq!(
            code(&format!(
                r#"{{"event":"media","streamSid":"{s}","media":{{"payload":"%%"}}}}"#
            )),
            31950
        );
    }
}
