//! Helpers for the unit tests next to each verb.

use crate::{Context, Verb, parse};

/// Parses a call document that must have no diagnostics and exactly one verb.
pub(crate) fn only_verb(xml: &str) -> Verb {
    let parsed = parse(xml.as_bytes(), Context::Call);
    assert_eq!(parsed.diagnostics, [], "unexpected diagnostics for {xml}");
    let mut verbs = parsed.document.expect("a document").verbs;
    assert_eq!(verbs.len(), 1, "{xml}");
    let verb = verbs.remove(0);
    let again = crate::Document {
        verbs: vec![verb.clone()],
    }
    .to_xml();
    let reparsed = parse(again.as_bytes(), Context::Call);
    assert_eq!(
        reparsed.document.map(|d| d.verbs),
        Some(vec![verb.clone()]),
        "round trip through {again}"
    );
    verb
}

/// `(code, line, column)` of every diagnostic of a call document.
pub(crate) fn codes(xml: &str) -> Vec<(u32, u32, u32)> {
    parse(xml.as_bytes(), Context::Call)
        .diagnostics
        .iter()
        .map(|d| (d.code.0, d.line, d.column))
        .collect()
}
