//! Diagnostics (Twilio code, level, message, position) and the parse result.

use std::fmt;

use dialtone_types::{Level, TwilioCode};

use crate::Document;

/// Where a document comes from, which decides the rules it is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Context {
    /// A document fetched for a call (voice URL, `action`, `<Redirect>`...). Limit 64 kB.
    #[default]
    Call,
    /// A whisper document fetched from `<Number url>` / `<WhatsApp url>`: only `<Play>`,
    /// `<Say>`, `<Gather>` and `<Hangup>` are allowed; `<Dial>` is 13201.
    Whisper,
    /// The REST `Twiml` parameter: at most 4000 characters (32018).
    Rest,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Twilio's code, e.g. 12100.
    pub code: TwilioCode,
    /// Error (the document or verb cannot be used) or warning (tolerated).
    pub level: Level,
    /// What is wrong, for a human.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{level}[{}] {}:{}: {}",
            self.code, self.line, self.column, self.message
        )
    }
}

/// The result of [`parse`](crate::parse): a model when the document is usable, and every
/// diagnostic in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// The model; `None` only when an error makes the document unusable (12100, 12102, 11750,
    /// 11770, 32018, a forbidden verb in a whisper document).
    pub document: Option<Document>,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// The first error, if any.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| d.level == Level::Error)
    }
}
