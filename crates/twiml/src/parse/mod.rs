//! The parser: size and encoding checks, a streaming read into a tree, then the typed model with
//! Twilio's diagnostics.

pub(crate) mod cx;
mod position;
mod text;
mod tree;
mod urls;

use dialtone_types::{Level, TwilioCode};

pub(crate) use cx::{Cx, Party, party_attr};
pub(crate) use tree::{NodeId, Tree};

use crate::{Context, Parsed};
use cx::RawDiag;

/// Largest document Twilio accepts from a webhook (64 kB); 11750 above.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Largest REST `Twiml` parameter, in characters; 32018 above.
pub const MAX_REST_CHARS: usize = 4000;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses and validates a TwiML document.
///
/// Never panics and never expands entities; the work is linear in the input, which is capped
/// at 64 kB before anything else is done.
pub fn parse(input: &[u8], context: Context) -> Parsed {
    match parse_raw(input, context) {
        Ok((document, diags, body)) => Parsed {
            document,
            diagnostics: position::locate(body, diags),
        },
        Err((diag, body)) => Parsed {
            document: None,
            diagnostics: position::locate(body, vec![diag]),
        },
    }
}

/// The model and diagnostics, or the error that stopped parsing; with the text positions are
/// relative to (the input minus its byte-order mark).
type Outcome<'i> = Result<(Option<crate::Document>, Vec<RawDiag>, &'i [u8]), (RawDiag, &'i [u8])>;

fn fatal(code: TwilioCode, pos: usize, message: impl Into<String>) -> RawDiag {
    RawDiag {
        code,
        level: Level::Error,
        pos,
        message: message.into(),
    }
}

fn parse_raw(input: &[u8], context: Context) -> Outcome<'_> {
    if input.is_empty() {
        let d = fatal(TwilioCode::EMPTY_RESPONSE, 0, "the response body is empty");
        return Err((d, input));
    }
    if context != Context::Rest && input.len() > MAX_DOCUMENT_BYTES {
        let d = fatal(
            TwilioCode::DOCUMENT_TOO_LARGE,
            0,
            format!(
                "the document is {} bytes; TwiML documents are limited to 64 kB ({MAX_DOCUMENT_BYTES} bytes)",
                input.len()
            ),
        );
        return Err((d, input));
    }
    // Positions are reported relative to the text after the byte-order mark.
    let body = input.strip_prefix(BOM).unwrap_or(input);
    let src = match std::str::from_utf8(body) {
        Ok(s) => s,
        Err(e) => {
            let d = fatal(
                TwilioCode::PARSE_FAILURE,
                e.valid_up_to(),
                "the document is not valid UTF-8",
            );
            return Err((d, body));
        }
    };
    if context == Context::Rest {
        let chars = src.chars().count();
        if chars > MAX_REST_CHARS {
            let d = fatal(
                TwilioCode::TWIML_TOO_LONG,
                0,
                format!("Twiml is {chars} characters; the limit is {MAX_REST_CHARS}"),
            );
            return Err((d, body));
        }
    }
    if let Some(i) = text::find_control_char(src.as_bytes()) {
        let d = fatal(
            TwilioCode::PARSE_FAILURE,
            i,
            format!(
                "control character U+{:04X} is not allowed in XML",
                src.as_bytes()[i]
            ),
        );
        return Err((d, body));
    }
    let start = src.bytes().position(|b| !text::is_xml_space(b));
    let Some(start) = start else {
        let d = fatal(
            TwilioCode::EMPTY_RESPONSE,
            0,
            "the response body is empty (whitespace only)",
        );
        return Err((d, body));
    };
    if start > 0 && src[start..].starts_with("<?xml") {
        let d = fatal(
            TwilioCode::PARSE_FAILURE,
            start,
            "the XML declaration must be at the very start of the document (remove the whitespace before '<?xml')",
        );
        return Err((d, body));
    }
    let tree = match tree::build(src) {
        Ok(tree) => tree,
        Err(e) => {
            return Err((fatal(TwilioCode::PARSE_FAILURE, e.pos, e.message), body));
        }
    };
    let root = tree.node(Tree::ROOT);
    if root.name != "Response" {
        let d = fatal(
            TwilioCode::ROOT_NOT_RESPONSE,
            root.pos,
            format!("The root element must be Response, found <{}>", root.name),
        );
        return Err((d, body));
    }
    let mut cx = Cx::new(&tree, context);
    let document = crate::verbs::document_from_tree(&mut cx);
    urls::check(&mut cx);
    let document = (!cx.unusable).then_some(document);
    Ok((document, cx.diags, body))
}
