//! `<Redirect method>url</Redirect>`: continue with the document at `url` (relative URLs
//! resolve against the current document). Loops are caught by the guard in `fetch.rs`.

use dialtone_twiml::Redirect;
use dialtone_types::Sid;

use super::Flow;
use crate::engine::Engine;
use crate::output::FetchPurpose;

impl Engine {
    pub(crate) fn exec_redirect(&mut self, sid: Sid, redirect: &Redirect) -> Flow {
        let Some(url) = self.resolve(sid, &redirect.url) else {
            return Flow::Next;
        };
        self.request(sid, FetchPurpose::Redirect, url, redirect.method, |_| {});
        Flow::Wait
    }
}
