//! The second pass's context: the tree, the diagnostics found so far, and the attribute value
//! helpers every verb shares (each reports Twilio's code for the attribute and falls back to
//! Twilio's default).

use dialtone_types::{Level, TwilioCode};

use super::tree::{NodeId, RawAttr, Tree};
use crate::{Context, Element, Method, StatusCallbackEvents};

/// A diagnostic before its byte offset is turned into line:column.
#[derive(Debug, Clone)]
pub(crate) struct RawDiag {
    pub code: TwilioCode,
    pub level: Level,
    pub pos: usize,
    pub message: String,
}

/// Builds the model from the tree and collects diagnostics.
#[derive(Debug)]
pub(crate) struct Cx<'t, 'a> {
    pub tree: &'t Tree<'a>,
    pub context: Context,
    pub diags: Vec<RawDiag>,
    /// Set when an error makes the document unusable (a forbidden verb in a whisper).
    pub unusable: bool,
}

impl<'t, 'a> Cx<'t, 'a> {
    pub fn new(tree: &'t Tree<'a>, context: Context) -> Self {
        Self {
            tree,
            context,
            diags: Vec::new(),
            unusable: false,
        }
    }

    pub fn push(&mut self, code: TwilioCode, level: Level, pos: usize, message: String) {
        self.diags.push(RawDiag {
            code,
            level,
            pos,
            message,
        });
    }

    pub fn warn(&mut self, code: TwilioCode, pos: usize, message: String) {
        self.push(code, Level::Warning, pos, message);
    }

    pub fn error(&mut self, code: TwilioCode, pos: usize, message: String) {
        self.push(code, Level::Error, pos, message);
    }

    /// The trimmed text of an element, owned.
    pub fn text(&self, id: NodeId) -> String {
        self.tree.node(id).text.to_string()
    }

    /// Keeps an attribute the element does not define, with Twilio's 12200 warning.
    pub fn unknown_attr(&mut self, elem: &str, a: &RawAttr<'_>, extra: &mut Vec<(String, String)>) {
        self.warn(
            TwilioCode::SCHEMA_WARNING,
            a.pos,
            format!(
                "Attribute '{}' is not allowed to appear in element '{elem}'",
                a.name
            ),
        );
        extra.push((a.name.to_owned(), a.value.to_string()));
    }

    /// Warns (12200) when an element that takes no text has some.
    pub fn no_text(&mut self, elem: &str, id: NodeId) {
        let node = self.tree.node(id);
        if !node.text.is_empty() {
            let pos = node.text_pos;
            self.warn(
                TwilioCode::SCHEMA_WARNING,
                pos,
                format!("Element '{elem}' cannot contain text; the text is ignored"),
            );
        }
    }

    /// Warns that a child element is not allowed where it is, and drops it.
    pub fn unexpected_child(&mut self, code: TwilioCode, parent: &str, child: NodeId) {
        let node = self.tree.node(child);
        let (name, pos) = (node.name, node.pos);
        self.warn(
            code,
            pos,
            format!("Element '{name}' is not allowed inside '{parent}'; it is ignored"),
        );
    }

    /// Warns for every child element of an element that takes none.
    pub fn no_children(&mut self, elem: &str, id: NodeId) {
        let tree = self.tree;
        for child in tree.children(id) {
            self.unexpected_child(TwilioCode::SCHEMA_WARNING, elem, child);
        }
    }

    fn invalid_value(&mut self, code: TwilioCode, elem: &str, a: &RawAttr<'_>, expected: &str) {
        self.warn(
            code,
            a.pos,
            format!(
                "{elem}: invalid {} value '{}' ({expected})",
                a.name, a.value
            ),
        );
    }

    /// `GET` or `POST`; anything else warns with `code` and gives `default`.
    pub fn method(
        &mut self,
        elem: &str,
        a: &RawAttr<'_>,
        code: TwilioCode,
        default: Method,
    ) -> Method {
        Method::parse(&a.value).unwrap_or_else(|| {
            self.invalid_value(code, elem, a, "expected GET or POST");
            default
        })
    }

    /// `true` or `false` exactly (TwiML booleans are case-sensitive).
    pub fn boolean(
        &mut self,
        elem: &str,
        a: &RawAttr<'_>,
        code: TwilioCode,
        default: bool,
    ) -> bool {
        match &*a.value {
            "true" => true,
            "false" => false,
            _ => {
                self.invalid_value(code, elem, a, "expected true or false");
                default
            }
        }
    }

    /// An integer in `min..=max`: not a number gives `default`, out of range is clamped; both
    /// warn with `code`.
    pub fn uint(
        &mut self,
        elem: &str,
        a: &RawAttr<'_>,
        code: TwilioCode,
        (min, max): (u32, u32),
        default: u32,
    ) -> u32 {
        let expected = || format!("expected an integer from {min} to {max}");
        let value = a.value.trim();
        match value.parse::<u64>() {
            Ok(n) if (u64::from(min)..=u64::from(max)).contains(&n) => {
                u32::try_from(n).unwrap_or(max)
            }
            Ok(n) => {
                let clamped = if n < u64::from(min) { min } else { max };
                let msg = format!("{}; using {clamped}", expected());
                self.invalid_value(code, elem, a, &msg);
                clamped
            }
            Err(_) => {
                let msg = format!("{}; using {default}", expected());
                self.invalid_value(code, elem, a, &msg);
                default
            }
        }
    }

    /// An optional integer in `min..=max`: out of range is clamped, not a number is ignored
    /// (`None`); both warn with `code`.
    pub fn opt_uint(
        &mut self,
        elem: &str,
        a: &RawAttr<'_>,
        code: TwilioCode,
        range: (u32, u32),
    ) -> Option<u32> {
        if a.value.trim().parse::<u64>().is_err() {
            let msg = format!(
                "expected an integer from {} to {}; ignored",
                range.0, range.1
            );
            self.invalid_value(code, elem, a, &msg);
            return None;
        }
        Some(self.uint(elem, a, code, range, range.0))
    }

    /// `statusCallbackEvent` of a noun that calls a party: whitespace (or comma) separated
    /// `initiated ringing answered completed`; unknown tokens warn (12200) and are ignored.
    pub fn call_events(&mut self, elem: &str, a: &RawAttr<'_>) -> StatusCallbackEvents {
        let mut events = StatusCallbackEvents::NONE;
        for token in a
            .value
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
        {
            match token {
                "initiated" => events.initiated = true,
                "ringing" => events.ringing = true,
                "answered" => events.answered = true,
                "completed" => events.completed = true,
                other => {
                    let msg = format!(
                        "{elem}: unknown statusCallbackEvent '{other}' (expected initiated, ringing, answered, completed); ignored"
                    );
                    self.warn(TwilioCode::SCHEMA_WARNING, a.pos, msg);
                }
            }
        }
        events
    }

    /// A child element kept as it is (no typing, no warnings for its content).
    ///
    /// Recursion is bounded by the tree's maximum depth.
    pub fn element(&self, id: NodeId) -> Element {
        let tree = self.tree;
        let node = tree.node(id);
        Element {
            name: node.name.to_owned(),
            attributes: tree
                .attrs(id)
                .iter()
                .map(|a| (a.name.to_owned(), a.value.to_string()))
                .collect(),
            text: node.text.to_string(),
            children: tree.children(id).map(|c| self.element(c)).collect(),
        }
    }

    /// `<Parameter name value/>`, with 12200 for anything else in it.
    pub fn parameter(&mut self, id: NodeId) -> (String, String) {
        let tree = self.tree;
        let (mut name, mut value) = (String::new(), String::new());
        let mut ignored = Vec::new();
        for a in tree.attrs(id) {
            match a.name {
                "name" => name = a.value.to_string(),
                "value" => value = a.value.to_string(),
                _ => self.unknown_attr("Parameter", a, &mut ignored),
            }
        }
        self.no_text("Parameter", id);
        self.no_children("Parameter", id);
        (name, value)
    }
}

/// The attributes shared by the nouns that call a party, before the noun is built.
#[derive(Debug, Default)]
pub(crate) struct Party {
    pub url: Option<String>,
    pub method: Method,
    pub status_callback: Option<String>,
    pub status_callback_method: Method,
    pub status_callback_events: StatusCallbackEvents,
}

/// Handles the attributes shared by the nouns that call a party (`url`, `method`,
/// `statusCallback`, `statusCallbackMethod`, `statusCallbackEvent`). Evaluates to true when
/// the attribute was one of them.
macro_rules! party_attr {
    ($cx:expr, $elem:expr, $a:expr, $noun:expr, $method_code:expr) => {
        match $a.name {
            "url" => {
                $noun.url = Some($a.value.to_string());
                true
            }
            "method" => {
                $noun.method = $cx.method($elem, $a, $method_code, $crate::Method::Post);
                true
            }
            "statusCallback" => {
                $noun.status_callback = Some($a.value.to_string());
                true
            }
            "statusCallbackMethod" => {
                $noun.status_callback_method = $cx.method(
                    $elem,
                    $a,
                    ::dialtone_types::TwilioCode::SCHEMA_WARNING,
                    $crate::Method::Post,
                );
                true
            }
            "statusCallbackEvent" => {
                $noun.status_callback_events = $cx.call_events($elem, $a);
                true
            }
            _ => false,
        }
    };
}
pub(crate) use party_attr;
