//! Character-level rules: entity and character references, end-of-line and attribute-value
//! normalization. Only the five predefined entities exist; nothing else is ever expanded.

use std::borrow::Cow;

/// Why a reference could not be resolved (always a 12100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefError {
    /// `&name;` where `name` is not one of the five predefined entities.
    Undefined(String),
    /// `&#...;` that is not a number or not an XML character.
    BadCharRef(String),
    /// `&` without a closing `;`.
    Unterminated,
    /// A raw `<` inside an attribute value.
    LessThanInAttribute,
}

impl RefError {
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Undefined(name) => format!(
                "undefined entity '&{name};' (only &amp; &lt; &gt; &quot; &apos; and character references are allowed)"
            ),
            Self::BadCharRef(r) => format!("invalid character reference '&{r};'"),
            Self::Unterminated => "'&' must be escaped as '&amp;'".to_owned(),
            Self::LessThanInAttribute => {
                "'<' is not allowed in an attribute value (escape it as '&lt;')".to_owned()
            }
        }
    }
}

/// True for the characters XML 1.0 allows in a document (minus U+FFFE/U+FFFF checks, which
/// cannot be written in UTF-8 by accident often enough to matter).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

/// Position of the first C0 control character other than tab, line feed and carriage return
/// (XML 1.0 forbids them). The common no-match case runs branch-free over 32-byte blocks.
pub(crate) fn find_control_char(bytes: &[u8]) -> Option<usize> {
    let bad = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    let mut blocks = bytes.chunks_exact(32);
    let mut offset = 0;
    for block in &mut blocks {
        if block.iter().fold(false, |acc, &b| acc | bad(b)) {
            return block.iter().position(|&b| bad(b)).map(|i| offset + i);
        }
        offset += 32;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| bad(b))
        .map(|i| offset + i)
}

/// Byte classes for names: bit 0 may start a name, bit 1 may continue one. Every byte of a
/// multi-byte UTF-8 character is accepted.
const NAME_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c: u8 = 0;
    loop {
        table[c as usize] = if c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80 {
            3
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            2
        } else {
            0
        };
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    table
};

/// True for an XML `Name` (element and attribute names). ASCII characters follow the XML rules;
/// any non-ASCII character is accepted.
pub(crate) fn is_xml_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes
        .first()
        .is_some_and(|&b| NAME_CLASS[usize::from(b)] & 1 != 0)
        && bytes.iter().all(|&b| NAME_CLASS[usize::from(b)] != 0)
}

/// XML whitespace.
pub(crate) const fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Resolves the body of a reference (`amp`, `#38`, `#x26`) to its text.
pub(crate) fn resolve_reference(body: &str) -> Result<Cow<'static, str>, RefError> {
    let fixed = match body {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => {
            let Some(num) = body.strip_prefix('#') else {
                return Err(RefError::Undefined(body.to_owned()));
            };
            let code = match num.strip_prefix('x') {
                Some(hex) if !hex.is_empty() && hex.len() <= 6 => u32::from_str_radix(hex, 16),
                None if !num.is_empty()
                    && num.len() <= 7
                    && num.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    num.parse::<u32>()
                }
                _ => return Err(RefError::BadCharRef(body.to_owned())),
            };
            let c = code
                .ok()
                .and_then(char::from_u32)
                .filter(|c| is_xml_char(*c))
                .ok_or_else(|| RefError::BadCharRef(body.to_owned()))?;
            return Ok(Cow::Owned(c.to_string()));
        }
    };
    Ok(Cow::Borrowed(fixed))
}

/// Normalizes line ends in character data: `\r\n` and lone `\r` become `\n`.
pub(crate) fn normalize_eol(s: &str) -> Cow<'_, str> {
    if !s.as_bytes().contains(&b'\r') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes that change an attribute value under normalization (`&`, `<`, tab, LF, CR).
const fn is_attr_special(b: u8) -> bool {
    // All five are below 0x3D; one comparison rejects most bytes.
    b < b'=' && matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r')
}

/// Normalizes an attribute value as XML requires: references resolved, literal tab, line feed
/// and carriage return (and `\r\n`) become one space each. Borrows when nothing changes.
pub(crate) fn attribute_value(raw: &str) -> Result<Cow<'_, str>, (usize, RefError)> {
    let bytes = raw.as_bytes();
    let Some(first) = bytes.iter().position(|&b| is_attr_special(b)) else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut i = first;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let rest = &raw[i + 1..];
                let end = rest.find(';').ok_or((i, RefError::Unterminated))?;
                let body = &rest[..end];
                let resolved = resolve_reference(body).map_err(|e| (i, e))?;
                out.push_str(&resolved);
                i += end + 2;
            }
            b'<' => return Err((i, RefError::LessThanInAttribute)),
            b'\r' => {
                out.push(' ');
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
            }
            b'\t' | b'\n' => {
                out.push(' ');
                i += 1;
            }
            _ => {
                let next = bytes[i..]
                    .iter()
                    .position(|&b| is_attr_special(b))
                    .map_or(bytes.len(), |p| i + p);
                out.push_str(&raw[i..next]);
                i = next;
            }
        }
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_and_char_refs() {
        assert_eq!(resolve_reference("amp").unwrap(), "&");
        assert_eq!(resolve_reference("#38").unwrap(), "&");
        assert_eq!(resolve_reference("#x1F600").unwrap(), "\u{1F600}");
        assert_eq!(
            resolve_reference("lol").unwrap_err(),
            RefError::Undefined("lol".to_owned())
        );
        assert!(matches!(
            resolve_reference("#0"),
            Err(RefError::BadCharRef(_))
        ));
        assert!(matches!(
            resolve_reference("#xD800"),
            Err(RefError::BadCharRef(_))
        ));
        assert!(matches!(
            resolve_reference("#"),
            Err(RefError::BadCharRef(_))
        ));
        assert!(matches!(
            resolve_reference("#99999999999"),
            Err(RefError::BadCharRef(_))
        ));
    }

    #[test]
    fn attribute_values_are_normalized() {
        assert!(matches!(
            attribute_value("plain"),
            Ok(Cow::Borrowed("plain"))
        ));
        assert_eq!(attribute_value("a&amp;b").unwrap(), "a&b");
        assert_eq!(attribute_value("a\r\nb\tc&#10;").unwrap(), "a b c\n");
        assert_eq!(
            attribute_value("x&y").unwrap_err(),
            (1, RefError::Unterminated)
        );
        assert_eq!(
            attribute_value("x<y").unwrap_err(),
            (1, RefError::LessThanInAttribute)
        );
    }

    #[test]
    fn control_characters() {
        assert_eq!(find_control_char(b"plain\t\r\n text"), None);
        let mut long = vec![b'a'; 100];
        long[70] = 0x01;
        assert_eq!(find_control_char(&long), Some(70));
        long[70] = b'a';
        long[99] = 0x1f;
        assert_eq!(find_control_char(&long), Some(99));
        assert_eq!(find_control_char(b"\x00"), Some(0));
    }

    #[test]
    fn names() {
        for ok in ["Say", "amazon:effect", "say-as", "_x", "é1"] {
            assert!(is_xml_name(ok), "{ok}");
        }
        for bad in ["", "1a", "-a", "a\"b", "a/b", ".a"] {
            assert!(!is_xml_name(bad), "{bad}");
        }
    }

    #[test]
    fn eol_normalization() {
        assert_eq!(normalize_eol("a\r\nb\rc\n"), "a\nb\nc\n");
        assert!(matches!(normalize_eol("abc"), Cow::Borrowed(_)));
    }
}
