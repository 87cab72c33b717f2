//! Attribute value types shared by several verbs and nouns.

/// HTTP method Twilio uses for a callback (`method`, `statusCallbackMethod`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`, Twilio's default everywhere.
    #[default]
    Post,
}

impl Method {
    /// The attribute value, `GET` or `POST`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }

    /// Parses `GET`/`POST` (Twilio also accepts lowercase).
    pub fn parse(value: &str) -> Option<Self> {
        if value.eq_ignore_ascii_case("GET") {
            Some(Self::Get)
        } else if value.eq_ignore_ascii_case("POST") {
            Some(Self::Post)
        } else {
            None
        }
    }
}

/// The `statusCallbackEvent` set of a noun that calls a party.
///
/// An empty set together with a `statusCallback` means "only `completed`" at run time; that rule
/// belongs to the engine, the model keeps exactly what the document said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusCallbackEvents {
    /// `initiated`: Twilio starts dialing.
    pub initiated: bool,
    /// `ringing`: the callee is ringing.
    pub ringing: bool,
    /// `answered`: the callee answered.
    pub answered: bool,
    /// `completed`: the call ended, whatever the outcome.
    pub completed: bool,
}

impl StatusCallbackEvents {
    /// No event.
    pub const NONE: Self = Self {
        initiated: false,
        ringing: false,
        answered: false,
        completed: false,
    };
    /// Only `completed` (the `<Number>` default).
    pub const COMPLETED: Self = Self {
        completed: true,
        ..Self::NONE
    };
    /// All four events.
    pub const ALL: Self = Self {
        initiated: true,
        ringing: true,
        answered: true,
        completed: true,
    };

    /// True when no event is selected.
    pub const fn is_empty(self) -> bool {
        !(self.initiated || self.ringing || self.answered || self.completed)
    }

    /// The attribute value: selected events separated by spaces, in lifecycle order.
    pub fn to_attribute(self) -> String {
        let mut out = Vec::with_capacity(4);
        for (on, name) in [
            (self.initiated, "initiated"),
            (self.ringing, "ringing"),
            (self.answered, "answered"),
            (self.completed, "completed"),
        ] {
            if on {
                out.push(name);
            }
        }
        out.join(" ")
    }
}

/// A generic element: used for unknown verbs and for nouns the model does not type (for
/// example `<Connect><Room>`), so that nothing in the document is lost.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The element name, case preserved.
    pub name: String,
    /// All attributes, in document order.
    pub attributes: Vec<(String, String)>,
    /// The element's text, trimmed, concatenated over its text nodes.
    pub text: String,
    /// Child elements.
    pub children: Vec<Element>,
}

/// An unknown verb kept as written (Twilio warns with 12200 and skips it).
pub type UnknownElement = Element;
