//! Every document of the shared corpus (`../shared/corpus/twiml-valid/`, produced by Twilio's
//! Python helper library) parses with no error and round-trips; `whisper_*` ones also pass in
//! whisper context.

use std::path::PathBuf;

use dialtone_twiml::{Context, Document, parse};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/twiml-valid")
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("corpus folder {} is absent; skipping", dir.display());
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&p).expect("readable corpus file");
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

fn assert_clean(name: &str, bytes: &[u8], context: Context) -> Document {
    let parsed = parse(bytes, context);
    assert_eq!(parsed.diagnostics, [], "{name} in {context:?}");
    parsed
        .document
        .unwrap_or_else(|| panic!("{name}: no document"))
}

#[test]
fn every_corpus_document_parses_without_diagnostics_and_round_trips() {
    let files = corpus();
    if files.is_empty() {
        return;
    }
    assert!(files.len() >= 26, "corpus shrank to {}", files.len());
    for (name, bytes) in &files {
        let mut contexts = vec![Context::Call, Context::Rest];
        if name.starts_with("whisper_") {
            contexts.push(Context::Whisper);
        }
        for context in contexts {
            let document = assert_clean(name, bytes, context);
            let xml = document.to_xml();
            let again = assert_clean(name, xml.as_bytes(), context);
            assert_eq!(again, document, "{name}: round trip through {xml}");
        }
    }
}

#[test]
fn helper_library_output_serializes_back_byte_for_byte_where_defaults_are_not_spelled_out() {
    // The helper library writes attributes alphabetically; the serializer writes them in the
    // model's order and drops values equal to the default, so byte equality holds only for
    // documents without such attributes. These are the ones that do.
    for (name, bytes) in corpus() {
        if matches!(
            name.as_str(),
            "hangup.xml"
                | "leave.xml"
                | "reject_default.xml"
                | "whisper_say.xml"
                | "dial_plain_text.xml"
        ) {
            let document = assert_clean(&name, &bytes, Context::Call);
            let expected = String::from_utf8(bytes.clone()).expect("UTF-8 corpus");
            let expected = expected.trim_end().replace(" />", "/>").replace(
                "<Dial>415-123-4567</Dial>",
                "<Dial><Number>415-123-4567</Number></Dial>",
            );
            assert_eq!(document.to_xml(), expected, "{name}");
        }
    }
}

#[test]
fn corpus_highlights_have_the_expected_model() {
    use dialtone_twiml::{DialNoun, Method, StatusCallbackEvents, Verb};
    let path = corpus_dir().join("dial_whatsapp_full.xml");
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let document = assert_clean("dial_whatsapp_full.xml", &bytes, Context::Call);
    let Verb::Dial(dial) = &document.verbs[0] else {
        panic!("first verb is not Dial")
    };
    assert_eq!(dial.action.as_deref(), Some("/dial-done"));
    assert_eq!(dial.method, Method::Get);
    assert_eq!((dial.timeout, dial.time_limit), (20, 600));
    assert!(dial.answer_on_bridge);
    assert_eq!(dial.caller_id.as_deref(), Some("whatsapp:+558551234567"));
    let DialNoun::WhatsApp(wa) = &dial.nouns[0] else {
        panic!("noun is not WhatsApp")
    };
    assert_eq!(wa.number.as_str(), "+555551234567");
    assert_eq!(wa.url.as_deref(), Some("https://app.example.com/whisper"));
    assert_eq!(wa.method, Method::Get);
    assert_eq!(wa.status_callback_events, StatusCallbackEvents::ALL);
    assert_eq!(document.verbs[1].name(), "Say");
}
