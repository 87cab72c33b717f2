//! `<Play>`: play an audio file or send DTMF digits.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `<Play loop digits>url</Play>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Play {
    /// The audio URL (element text); none when only `digits` are played.
    pub url: Option<String>,
    /// `digits`: DTMF tones to send (`0-9`, `*`, `#`, `w` for a half-second pause).
    pub digits: Option<String>,
    /// `loop`: `0` repeats until the call ends. Default 1.
    pub loop_count: u32,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Play {
    fn default() -> Self {
        Self {
            url: None,
            digits: None,
            loop_count: 1,
            extra: Vec::new(),
        }
    }
}

impl Play {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut play = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "loop" => {
                    play.loop_count = cx.uint("Play", a, TwilioCode::SCHEMA_WARNING, (0, 1000), 1);
                }
                "digits" => {
                    if !a
                        .value
                        .chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'w' | 'W'))
                    {
                        cx.warn(
                            TwilioCode::SCHEMA_WARNING,
                            a.pos,
                            format!("Play: invalid digits value '{}' (0-9, *, #, w)", a.value),
                        );
                    }
                    play.digits = Some(a.value.to_string());
                }
                _ => cx.unknown_attr("Play", a, &mut play.extra),
            }
        }
        let text = cx.text(id);
        play.url = (!text.is_empty()).then_some(text);
        if play.url.is_none() && play.digits.is_none() {
            let pos = tree.node(id).pos;
            cx.warn(
                TwilioCode::SCHEMA_WARNING,
                pos,
                "Play: neither a URL nor digits to play".to_owned(),
            );
        }
        cx.no_children("Play", id);
        play
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Play");
        w.attr_opt("digits", self.digits.as_deref());
        w.uint("loop", self.loop_count, 1);
        w.extra(&self.extra);
        w.text_content("Play", self.url.as_deref().unwrap_or(""));
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Play, Verb};

    #[test]
    fn defaults_and_attributes() {
        let Verb::Play(play) = only_verb("<Response><Play>https://x/a.wav</Play></Response>")
        else {
            panic!("not a Play")
        };
        assert_eq!(
            play,
            Play {
                url: Some("https://x/a.wav".into()),
                ..Play::default()
            }
        );
        let Verb::Play(play) = only_verb(r#"<Response><Play digits="ww12#" loop="3"/></Response>"#)
        else {
            panic!("not a Play")
        };
        assert_eq!(play.url, None);
        assert_eq!(play.digits.as_deref(), Some("ww12#"));
        assert_eq!(play.loop_count, 3);
    }

    #[test]
    fn diagnostics() {
        assert_eq!(codes("<Response><Play/></Response>"), [(12200, 1, 11)]);
        assert_eq!(
            codes(r#"<Response><Play digits="12x"/></Response>"#),
            [(12200, 1, 17)]
        );
        assert_eq!(
            codes(r#"<Response><Play loop="1001">u</Play></Response>"#),
            [(12200, 1, 17)]
        );
    }
}
