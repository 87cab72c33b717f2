//! `<Say>`: text-to-speech.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `<Say voice language loop>text</Say>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    /// The text to speak (trimmed).
    pub text: String,
    /// `voice`, e.g. `alice`, `Polly.Joanna`; none means Twilio's default voice.
    pub voice: Option<String>,
    /// `language`, e.g. `en-US`.
    pub language: Option<String>,
    /// `loop`: how many times to speak; `0` means repeat until the call ends. Default 1.
    pub loop_count: u32,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Say {
    fn default() -> Self {
        Self {
            text: String::new(),
            voice: None,
            language: None,
            loop_count: 1,
            extra: Vec::new(),
        }
    }
}

/// SSML elements Twilio accepts inside `<Say>` (Amazon Polly voices).
const SSML: &[&str] = &[
    "break",
    "emphasis",
    "lang",
    "p",
    "phoneme",
    "prosody",
    "s",
    "say-as",
    "sub",
    "w",
    "amazon:effect",
    "amazon:domain",
];

impl Say {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut say = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "voice" => say.voice = Some(a.value.to_string()),
                "language" => say.language = Some(a.value.to_string()),
                "loop" => {
                    say.loop_count = cx.uint("Say", a, TwilioCode::SCHEMA_WARNING, (0, 1000), 1);
                }
                _ => cx.unknown_attr("Say", a, &mut say.extra),
            }
        }
        say.text = cx.text(id);
        for child in tree.children(id) {
            if !SSML.contains(&tree.node(child).name) {
                cx.unexpected_child(TwilioCode::SCHEMA_WARNING, "Say", child);
            }
        }
        say
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Say");
        w.attr_opt("voice", self.voice.as_deref());
        w.attr_opt("language", self.language.as_deref());
        w.uint("loop", self.loop_count, 1);
        w.extra(&self.extra);
        w.text_content("Say", &self.text);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Say, Verb};

    #[test]
    fn defaults() {
        let Verb::Say(say) = only_verb("<Response><Say>Hi</Say></Response>") else {
            panic!("not a Say")
        };
        assert_eq!(
            say,
            Say {
                text: "Hi".into(),
                ..Say::default()
            }
        );
        assert_eq!(say.loop_count, 1);
    }

    #[test]
    fn attributes() {
        let Verb::Say(say) = only_verb(
            r#"<Response><Say voice="Polly.Joanna" language="fr-FR" loop="0">  Bonjour &amp; bienvenue </Say></Response>"#,
        ) else {
            panic!("not a Say")
        };
        assert_eq!(say.text, "Bonjour & bienvenue");
        assert_eq!(say.voice.as_deref(), Some("Polly.Joanna"));
        assert_eq!(say.language.as_deref(), Some("fr-FR"));
        assert_eq!(say.loop_count, 0);
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes(r#"<Response><Say loop="x">a</Say></Response>"#),
            [(12200, 1, 16)]
        );
        assert_eq!(
            codes(r#"<Response><Say foo="1">a</Say></Response>"#),
            [(12200, 1, 16)]
        );
        assert_eq!(codes("<Response><Say>a<break/>b</Say></Response>"), []);
        assert_eq!(
            codes("<Response><Say>a<Play/></Say></Response>"),
            [(12200, 1, 17)]
        );
    }
}
