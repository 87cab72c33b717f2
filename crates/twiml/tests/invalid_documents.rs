//! A table of invalid documents: the first diagnostic's code, level, line and column, and
//! whether a model is still produced.

use std::fmt::Write as _;

use dialtone_twiml::{Context, parse};
use dialtone_types::Level;

const E: Level = Level::Error;
const W: Level = Level::Warning;

struct Case {
    name: &'static str,
    context: Context,
    input: &'static [u8],
    code: u32,
    level: Level,
    line: u32,
    column: u32,
    has_document: bool,
}

const fn case(
    name: &'static str,
    input: &'static [u8],
    (code, level): (u32, Level),
    (line, column): (u32, u32),
    has_document: bool,
) -> Case {
    Case {
        name,
        context: Context::Call,
        input,
        code,
        level,
        line,
        column,
        has_document,
    }
}

const fn whisper(mut c: Case) -> Case {
    c.context = Context::Whisper;
    c
}

fn cases() -> Vec<Case> {
    vec![
        // Size and encoding, checked before parsing.
        case("empty body", b"", (11770, E), (1, 1), false),
        case("whitespace only", b"  \n\t", (11770, E), (1, 1), false),
        case("whitespace before declaration", b"\n  <?xml version=\"1.0\"?><Response/>", (12100, E), (2, 3), false),
        case("invalid UTF-8", b"<Response>\n<Say>caf\xe9</Say></Response>", (12100, E), (2, 9), false),
        case("control character", b"<Response><Say>a\x01</Say></Response>", (12100, E), (1, 17), false),
        // Well-formedness (12100).
        case("not XML at all", b"Hello world", (12100, E), (1, 1), false),
        case("unclosed root", b"<Response>\n  <Say>Hi</Say>\n", (12100, E), (1, 1), false),
        case("mismatched end tag", b"<Response>\n<Say>Hi</Play>\n</Response>", (12100, E), (2, 8), false),
        case("unquoted attribute", b"<Response><Pause length=5/></Response>", (12100, E), (1, 25), false),
        case("duplicate attribute", b"<Response><Pause length=\"1\" length=\"2\"/></Response>", (12100, E), (1, 29), false),
        case("bare ampersand in text", b"<Response><Say>Tom & Jerry</Say></Response>", (12100, E), (1, 20), false),
        case("bare ampersand in attribute", b"<Response><Redirect method=\"a&b\">/x</Redirect></Response>", (12100, E), (1, 30), false),
        case("less-than in attribute", b"<Response><Say voice=\"a<b\">x</Say></Response>", (12100, E), (1, 24), false),
        case("undefined entity", b"<Response>\n<Say>&nbsp;</Say></Response>", (12100, E), (2, 6), false),
        case("bad character reference", b"<Response><Say>&#0;</Say></Response>", (12100, E), (1, 16), false),
        case("DOCTYPE (billion laughs)", b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<Response><Say>&lol2;</Say></Response>", (12100, E), (2, 1), false),
        case("external entity", b"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Response><Say>&x;</Say></Response>", (12100, E), (1, 1), false),
        case("two roots", b"<Response/>\n<Response/>", (12100, E), (2, 1), false),
        case("text after root", b"<Response/>trailing", (12100, E), (1, 12), false),
        case("declaration in the middle", b"<Response><?xml version=\"1.0\"?></Response>", (12100, E), (1, 11), false),
        case("stray closing tag", b"<Response></Response></Say>", (12100, E), (1, 22), false),
        case("empty element name (fuzz find)", b"<Response>< /></Response>", (12100, E), (1, 12), false),
        case("broken declaration (fuzz find)", b"<?xml version=\" encoding=\"UTF-8\"?><Response/>", (12100, E), (1, 1), false),
        case("declaration without version", b"<?xml encoding=\"UTF-8\"?><Response/>", (12100, E), (1, 1), false),
        case("only a declaration", b"<?xml version=\"1.0\"?>", (12100, E), (1, 22), false),
        case("nesting too deep", b"<Response><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></Response>", (12100, E), (1, 104), false),
        // Root element (12102).
        case("wrong root", b"<?xml version=\"1.0\"?>\n<Reply><Say>Hi</Say></Reply>", (12102, E), (2, 1), false),
        case("lowercase root", b"<response><Say>Hi</Say></response>", (12102, E), (1, 1), false),
        // Schema warnings (12200): the document is still usable.
        case("lowercase verb", b"<Response>\n  <say>Hi</say>\n</Response>", (12200, W), (2, 3), true),
        case("unknown verb", b"<Response><Speak>Hi</Speak></Response>", (12200, W), (1, 11), true),
        case("unknown attribute", b"<Response><Say colour=\"red\">Hi</Say></Response>", (12200, W), (1, 16), true),
        case("text in Response", b"<Response>\n  Hello\n</Response>", (12200, W), (2, 3), true),
        case("bad nesting in Gather", b"<Response><Gather><Record/></Gather></Response>", (12200, W), (1, 19), true),
        case("attribute on Response", b"<Response version=\"1\"/>", (12200, W), (1, 11), true),
        // The Dial family.
        case("Dial timeout too small", b"<Response>\n<Dial timeout=\"2\">+14155550100</Dial></Response>", (13212, W), (2, 7), true),
        case("Dial timeout not a number", b"<Response><Dial timeout=\"soon\">+14155550100</Dial></Response>", (13212, W), (1, 17), true),
        case("Dial timeLimit", b"<Response><Dial timeLimit=\"-5\">+14155550100</Dial></Response>", (13216, W), (1, 17), true),
        case("Dial record", b"<Response><Dial record=\"yes\">+14155550100</Dial></Response>", (13217, W), (1, 17), true),
        case("Dial answerOnBridge", b"<Response><Dial answerOnBridge=\"TRUE\">+14155550100</Dial></Response>", (13219, W), (1, 17), true),
        case("Dial nested Say", b"<Response><Dial><Number>+14155550100</Number><Say>x</Say></Dial></Response>", (13215, W), (1, 46), true),
        case("Dial bad number", b"<Response><Dial>call me</Dial></Response>", (13223, W), (1, 17), true),
        case("Dial empty", b"<Response><Dial/></Response>", (13223, W), (1, 11), true),
        case("Dial method", b"<Response><Dial method=\"PATCH\">+14155550100</Dial></Response>", (13210, W), (1, 17), true),
        case("Dial conference with number", b"<Response><Dial><Number>+14155550100</Number><Conference>r</Conference></Dial></Response>", (13000, W), (1, 46), true),
        // WhatsApp rules.
        case("WhatsApp without callerId", b"<Response>\n<Dial><WhatsApp>+447700900123</WhatsApp></Dial></Response>", (13214, E), (2, 1), true),
        case("WhatsApp with phone callerId", b"<Response><Dial callerId=\"+14155550100\"><WhatsApp>+447700900123</WhatsApp></Dial></Response>", (13214, E), (1, 17), true),
        case("WhatsApp callerId not E.164", b"<Response><Dial callerId=\"whatsapp:14155550100\"><WhatsApp>+447700900123</WhatsApp></Dial></Response>", (13214, E), (1, 17), true),
        case("WhatsApp number not E.164", b"<Response><Dial callerId=\"whatsapp:+14155550100\">\n<WhatsApp> 07700 900123 </WhatsApp></Dial></Response>", (13223, E), (2, 12), true),
        case("WhatsApp mixed with Number", b"<Response><Dial callerId=\"whatsapp:+14155550100\"><WhatsApp>+447700900123</WhatsApp>\n<Number>+14155550111</Number></Dial></Response>", (13215, E), (2, 1), true),
        case("WhatsApp mixed with plain text", b"<Response><Dial callerId=\"whatsapp:+14155550100\">+14155550111<WhatsApp>+447700900123</WhatsApp></Dial></Response>", (13215, E), (1, 50), true),
        // Contexts.
        whisper(case("Dial in whisper", b"<Response><Say>Hi</Say>\n<Dial>+14155550100</Dial></Response>", (13201, E), (2, 1), false)),
        whisper(case("Record in whisper", b"<Response><Record/></Response>", (12200, E), (1, 11), false)),
        whisper(case("Redirect in whisper", b"<Response><Redirect>/x</Redirect></Response>", (12200, E), (1, 11), false)),
    ]
}

#[test]
fn invalid_documents_report_the_expected_first_diagnostic() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let parsed = parse(c.input, c.context);
        let Some(d) = parsed.diagnostics.first() else {
            failures.push(format!("{}: no diagnostic", c.name));
            continue;
        };
        let got = (
            d.code.0,
            d.level,
            d.line,
            d.column,
            parsed.document.is_some(),
        );
        let want = (c.code, c.level, c.line, c.column, c.has_document);
        if got != want {
            failures.push(format!(
                "{}: got {got:?} ({}), want {want:?}",
                c.name, d.message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rest_context_limits_twiml_to_4000_characters() {
    let say = "é".repeat(3969);
    let doc = format!("<Response><Say>{say}</Say></Response>");
    assert_eq!(doc.chars().count(), 4001);
    let parsed = parse(doc.as_bytes(), Context::Rest);
    assert_eq!(parsed.diagnostics[0].code.0, 32018);
    assert_eq!(
        (parsed.diagnostics[0].line, parsed.diagnostics[0].column),
        (1, 1)
    );
    assert!(parsed.document.is_none());
    // The same document is fine for a webhook (limit 64 kB), and 4000 characters are fine.
    assert!(!parse(doc.as_bytes(), Context::Call).has_errors());
    let ok = format!("<Response><Say>{}</Say></Response>", "é".repeat(3968));
    assert!(!parse(ok.as_bytes(), Context::Rest).has_errors());
}

#[test]
fn documents_over_64_kb_are_rejected_before_parsing() {
    let big = format!("<Response><Say>{}</Say></Response>", "a".repeat(64 * 1024));
    let parsed = parse(big.as_bytes(), Context::Call);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.first_error().map(|d| d.code.0), Some(11750));
    let just_fits = format!(
        "<Response><Say>{}</Say></Response>",
        "a".repeat(64 * 1024 - 32)
    );
    assert_eq!(just_fits.len(), 64 * 1024);
    assert!(!parse(just_fits.as_bytes(), Context::Call).has_errors());
}

#[test]
fn bom_is_tolerated_and_columns_ignore_it() {
    let parsed = parse(
        b"\xEF\xBB\xBF<?xml version=\"1.0\"?><Response><say/></Response>",
        Context::Call,
    );
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(
        (parsed.diagnostics[0].line, parsed.diagnostics[0].column),
        (1, 32)
    );
    assert!(parsed.document.is_some());
}

#[test]
fn warnings_keep_the_document_and_errors_are_reported() {
    let parsed = parse(
        b"<Response><say>Hi</say><Hangup/></Response>",
        Context::Call,
    );
    assert!(!parsed.has_errors());
    assert_eq!(parsed.first_error(), None);
    assert_eq!(parsed.document.map(|d| d.verbs.len()), Some(2));
    let parsed = parse(b"<Response><Say>", Context::Call);
    assert!(parsed.has_errors());
    assert_eq!(parsed.first_error().map(|d| d.code.0), Some(12100));
}

#[test]
fn hostile_inputs_are_bounded() {
    // 20 000 levels of nesting stop at the depth limit.
    let deep = format!("<Response>{}", "<a>".repeat(20_000));
    let parsed = parse(deep.as_bytes(), Context::Call);
    assert_eq!(
        parsed.first_error().map(|d| (d.code.0, d.column)),
        Some((12100, 104))
    );
    // A 60 kB attribute value is just a long value.
    let huge = format!(
        "<Response><Say voice=\"{}\">x</Say></Response>",
        "v".repeat(60_000)
    );
    let parsed = parse(huge.as_bytes(), Context::Call);
    assert!(!parsed.has_errors());
    // Thousands of attributes, one repeated at the end: found, without quadratic work.
    let many = (0..5_000).fold(String::new(), |mut acc, i| {
        let _ = write!(acc, " a{i}=\"\"");
        acc
    });
    let doc = format!("<Response><Hangup{many} a4999=\"\"/></Response>");
    let parsed = parse(doc.as_bytes(), Context::Call);
    assert_eq!(parsed.first_error().map(|d| d.code.0), Some(12100));
    assert!(
        parsed
            .first_error()
            .unwrap()
            .message
            .contains("'a4999' is repeated")
    );
    // Entity expansion is never attempted, even without a DOCTYPE.
    let parsed = parse(b"<Response><Say>&lol9;</Say></Response>", Context::Call);
    assert_eq!(parsed.first_error().map(|d| d.code.0), Some(12100));
}
