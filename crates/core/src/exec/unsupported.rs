//! Verbs Dialtone does not run yet (`<Enqueue>`, `<Leave>`, `<Refer>`, `<Pay>`, `<Echo>`, `<Sms>`): a 13750 error notification,
//! then the verb is skipped and the document goes on. Unknown elements were already reported
//! by the parser (12200) and are skipped silently.

use dialtone_twiml::Verb;
use dialtone_types::{Level, Sid, TwilioCode};

use super::Flow;
use crate::engine::Engine;

impl Engine {
    pub(crate) fn exec_unsupported(&mut self, sid: Sid, verb: &Verb) -> Flow {
        if let Verb::Unknown(element) = verb {
            tracing::trace!(%sid, name = %element.name, "unknown verb skipped");
            return Flow::Next;
        }
        let url = self.doc_url(sid);
        self.io.notify(
            sid,
            TwilioCode::VERB_NOT_SUPPORTED,
            Level::Error,
            format!("<{}> is not supported by Dialtone; skipped", verb.name()),
            url,
            None,
        );
        Flow::Next
    }
}
