//! `<Gather>`: collect DTMF digits and/or speech, optionally while prompting.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

use crate::{Method, Pause, Play, Say};

/// The `input` set of `<Gather>`: `dtmf`, `speech` or `dtmf speech`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GatherInput {
    /// Collect key presses.
    pub dtmf: bool,
    /// Collect speech.
    pub speech: bool,
}

impl Default for GatherInput {
    fn default() -> Self {
        Self {
            dtmf: true,
            speech: false,
        }
    }
}

/// `speechTimeout`: seconds of silence, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpeechTimeout {
    /// `auto`: Twilio decides when the speaker stopped.
    Auto,
    /// A number of seconds.
    Seconds(u32),
}

/// A prompt nested in `<Gather>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherChild {
    /// `<Say>`
    Say(Say),
    /// `<Play>`
    Play(Play),
    /// `<Pause>`
    Pause(Pause),
}

/// `<Gather>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// `action`: URL requested with the result; none means the current document URL.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// `timeout` in seconds between digits. Default 5.
    pub timeout: u32,
    /// `finishOnKey`: `#` by default; empty disables it.
    pub finish_on_key: String,
    /// `numDigits`: stop after that many digits.
    pub num_digits: Option<u32>,
    /// `actionOnEmptyResult`. Default false.
    pub action_on_empty_result: bool,
    /// `input`. Default `dtmf`.
    pub input: GatherInput,
    /// `hints`: speech recognition hints.
    pub hints: Option<String>,
    /// `language` for speech recognition (Twilio's default is `en-US`).
    pub language: Option<String>,
    /// `partialResultCallback`.
    pub partial_result_callback: Option<String>,
    /// `partialResultCallbackMethod`. Default POST.
    pub partial_result_callback_method: Method,
    /// `speechTimeout`; none means "use `timeout`".
    pub speech_timeout: Option<SpeechTimeout>,
    /// `speechModel`.
    pub speech_model: Option<String>,
    /// `enhanced`. Default false.
    pub enhanced: bool,
    /// `profanityFilter`. Default true.
    pub profanity_filter: bool,
    /// `maxSpeechTime` in seconds. Default 60.
    pub max_speech_time: u32,
    /// Nested `<Say>`, `<Play>`, `<Pause>`.
    pub children: Vec<GatherChild>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Gather {
    fn default() -> Self {
        Self {
            action: None,
            method: Method::Post,
            timeout: 5,
            finish_on_key: "#".to_owned(),
            num_digits: None,
            action_on_empty_result: false,
            input: GatherInput::default(),
            hints: None,
            language: None,
            partial_result_callback: None,
            partial_result_callback_method: Method::Post,
            speech_timeout: None,
            speech_model: None,
            enhanced: false,
            profanity_filter: true,
            max_speech_time: 60,
            children: Vec::new(),
            extra: Vec::new(),
        }
    }
}

/// Parses a `<Say>`/`<Play>`/`<Pause>` nested in `<Gather>` or `<Prompt>`; anything else
/// warns (12200) and is dropped.
pub(crate) fn prompt_child(cx: &mut Cx<'_, '_>, parent: &str, id: NodeId) -> Option<GatherChild> {
    match cx.tree.node(id).name {
        "Say" => Some(GatherChild::Say(Say::parse(cx, id))),
        "Play" => Some(GatherChild::Play(Play::parse(cx, id))),
        "Pause" => Some(GatherChild::Pause(Pause::parse(cx, id))),
        _ => {
            cx.unexpected_child(TwilioCode::SCHEMA_WARNING, parent, id);
            None
        }
    }
}

/// Writes prompt children.
pub(crate) fn write_prompt_children(w: &mut XmlWriter, children: &[GatherChild]) {
    for child in children {
        match child {
            GatherChild::Say(v) => v.write(w),
            GatherChild::Play(v) => v.write(w),
            GatherChild::Pause(v) => v.write(w),
        }
    }
}

impl Gather {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const G: &str = "Gather";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut g = Self {
            children: Vec::with_capacity(tree.child_count(id)),
            ..Self::default()
        };
        for a in tree.attrs(id) {
            match a.name {
                "action" => g.action = Some(a.value.to_string()),
                "method" => g.method = cx.method(G, a, W, Method::Post),
                "timeout" => g.timeout = cx.uint(G, a, W, (1, 600), 5),
                "finishOnKey" => {
                    let ok = a.value.chars().count() <= 1
                        && a.value
                            .chars()
                            .all(|c| c.is_ascii_digit() || matches!(c, '#' | '*'));
                    if ok {
                        g.finish_on_key = a.value.to_string();
                    } else {
                        cx.warn(W, a.pos, format!("Gather: invalid finishOnKey value '{}' (one of 0-9, #, * or empty)", a.value));
                    }
                }
                "numDigits" => g.num_digits = cx.opt_uint(G, a, W, (1, 10_000)),
                "actionOnEmptyResult" => g.action_on_empty_result = cx.boolean(G, a, W, false),
                "input" => {
                    let mut input = GatherInput {
                        dtmf: false,
                        speech: false,
                    };
                    for token in a.value.split_ascii_whitespace() {
                        match token {
                            "dtmf" => input.dtmf = true,
                            "speech" => input.speech = true,
                            other => cx.warn(
                                W,
                                a.pos,
                                format!(
                                    "Gather: unknown input '{other}' (expected dtmf and/or speech)"
                                ),
                            ),
                        }
                    }
                    if input.dtmf || input.speech {
                        g.input = input;
                    }
                }
                "hints" => g.hints = Some(a.value.to_string()),
                "language" => g.language = Some(a.value.to_string()),
                "partialResultCallback" => g.partial_result_callback = Some(a.value.to_string()),
                "partialResultCallbackMethod" => {
                    g.partial_result_callback_method = cx.method(G, a, W, Method::Post);
                }
                "speechTimeout" => {
                    if &*a.value == "auto" {
                        g.speech_timeout = Some(SpeechTimeout::Auto);
                    } else {
                        g.speech_timeout =
                            Some(SpeechTimeout::Seconds(cx.uint(G, a, W, (0, 600), 5)));
                    }
                }
                "speechModel" => g.speech_model = Some(a.value.to_string()),
                "enhanced" => g.enhanced = cx.boolean(G, a, W, false),
                "profanityFilter" => g.profanity_filter = cx.boolean(G, a, W, true),
                "maxSpeechTime" => g.max_speech_time = cx.uint(G, a, W, (1, 600), 60),
                _ => cx.unknown_attr(G, a, &mut g.extra),
            }
        }
        cx.no_text(G, id);
        for child in tree.children(id) {
            if let Some(c) = prompt_child(cx, G, child) {
                g.children.push(c);
            }
        }
        g
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Gather");
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.uint("timeout", self.timeout, 5);
        if self.finish_on_key != "#" {
            w.attr("finishOnKey", &self.finish_on_key);
        }
        if let Some(n) = self.num_digits {
            w.attr("numDigits", &n.to_string());
        }
        w.boolean("actionOnEmptyResult", self.action_on_empty_result, false);
        if self.input != GatherInput::default() {
            let value = match (self.input.dtmf, self.input.speech) {
                (true, true) => "dtmf speech",
                (false, true) => "speech",
                _ => "dtmf",
            };
            w.attr("input", value);
        }
        w.attr_opt("hints", self.hints.as_deref());
        w.attr_opt("language", self.language.as_deref());
        w.attr_opt(
            "partialResultCallback",
            self.partial_result_callback.as_deref(),
        );
        w.method(
            "partialResultCallbackMethod",
            self.partial_result_callback_method,
        );
        match self.speech_timeout {
            Some(SpeechTimeout::Auto) => w.attr("speechTimeout", "auto"),
            Some(SpeechTimeout::Seconds(s)) => w.attr("speechTimeout", &s.to_string()),
            None => {}
        }
        w.attr_opt("speechModel", self.speech_model.as_deref());
        w.boolean("enhanced", self.enhanced, false);
        w.boolean("profanityFilter", self.profanity_filter, true);
        w.uint("maxSpeechTime", self.max_speech_time, 60);
        w.extra(&self.extra);
        if self.children.is_empty() {
            w.end_empty();
        } else {
            w.end_start();
            write_prompt_children(w, &self.children);
            w.close("Gather");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{
        Context, Gather, GatherChild, GatherInput, Method, Pause, SpeechTimeout, Verb, parse,
    };

    #[test]
    fn defaults() {
        let Verb::Gather(g) = only_verb("<Response><Gather/></Response>") else {
            panic!("not a Gather")
        };
        assert_eq!(g, Gather::default());
        assert_eq!(
            (g.timeout, g.finish_on_key.as_str(), g.method),
            (5, "#", Method::Post)
        );
        assert_eq!(
            g.input,
            GatherInput {
                dtmf: true,
                speech: false
            }
        );
    }

    #[test]
    fn attributes_and_children() {
        let Verb::Gather(g) = only_verb(
            r#"<Response><Gather action="/g" method="GET" timeout="3" finishOnKey="" numDigits="4" actionOnEmptyResult="true" input="dtmf speech" speechTimeout="auto" enhanced="true" profanityFilter="false" maxSpeechTime="30" hints="a, b" language="en-GB"><Say>PIN</Say><Pause/><Play>u</Play></Gather></Response>"#,
        ) else {
            panic!("not a Gather")
        };
        assert_eq!(g.action.as_deref(), Some("/g"));
        assert_eq!(
            (g.method, g.timeout, g.finish_on_key.as_str()),
            (Method::Get, 3, "")
        );
        assert_eq!(g.num_digits, Some(4));
        assert!(g.action_on_empty_result && g.enhanced && !g.profanity_filter);
        assert_eq!(
            g.input,
            GatherInput {
                dtmf: true,
                speech: true
            }
        );
        assert_eq!(g.speech_timeout, Some(SpeechTimeout::Auto));
        assert_eq!(g.max_speech_time, 30);
        assert_eq!(g.children.len(), 3);
        assert_eq!(g.children[1], GatherChild::Pause(Pause::default()));
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes("<Response><Gather><Dial>1</Dial></Gather></Response>"),
            [(12200, 1, 19)]
        );
        assert_eq!(
            codes(r#"<Response><Gather finishOnKey="ab"/></Response>"#),
            [(12200, 1, 19)]
        );
        assert_eq!(
            codes(r#"<Response><Gather input="voice"/></Response>"#),
            [(12200, 1, 19)]
        );
        assert_eq!(
            codes(r#"<Response><Gather timeout="0"/></Response>"#),
            [(12200, 1, 19)]
        );
        assert_eq!(
            parse(
                br#"<Response><Gather numDigits="x"/></Response>"#,
                Context::Call
            )
            .document
            .map(|d| d.verbs),
            Some(vec![Verb::Gather(Gather::default())])
        );
        assert_eq!(
            codes("<Response><Gather>Press 1</Gather></Response>"),
            [(12200, 1, 19)]
        );
    }
}
