//! Any bytes, in every context: `parse` must not panic, and every document it produces must
//! survive serialize → parse unchanged.
#![no_main]

use dialtone_twiml::{Context, MAX_DOCUMENT_BYTES, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for context in [Context::Call, Context::Whisper, Context::Rest] {
        let parsed = parse(data, context);
        for d in &parsed.diagnostics {
            assert!(d.line >= 1 && d.column >= 1, "{d:?}");
        }
        if let Some(document) = parsed.document {
            let xml = document.to_xml();
            if xml.len() > MAX_DOCUMENT_BYTES {
                // Escaping can grow a document past the size limit; nothing to compare then.
                continue;
            }
            // Call context: a re-serialized whisper or REST document is still a valid document,
            // and serializing may grow it past the REST limit.
            let again = parse(xml.as_bytes(), Context::Call);
            assert_eq!(
                again.document.as_ref(),
                Some(&document),
                "round trip through {xml}"
            );
        }
    }
});
