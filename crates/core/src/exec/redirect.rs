//! `<Redirect method>url</Redirect>`: continue with the document at `url` (relative URLs
//! resolve against the current document). More than `redirect_limit` redirects in a row
//! without a verb that waits for the caller is a loop: 11215 and the application error.

use std::sync::Arc;

use dialtone_twiml::Redirect;
use dialtone_types::{Level, Sid, TwilioCode};

use super::Flow;
use crate::engine::Engine;
use crate::output::FetchPurpose;

impl Engine {
    pub(crate) fn exec_redirect(&mut self, sid: Sid, redirect: &Redirect) -> Flow {
        let Some(url) = self.resolve(sid, &redirect.url) else {
            return Flow::Next;
        };
        let limit = self.config.redirect_limit;
        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        call.redirects = call.redirects.saturating_add(1);
        if call.redirects > limit {
            self.io.notify(
                sid,
                TwilioCode::HTTP_TOO_MANY_REDIRECTS,
                Level::Error,
                format!("redirect loop: more than {limit} <Redirect> in a row without any verb that waits for the caller"),
                Some(Arc::clone(&url)),
                Some(redirect.method),
            );
            self.app_error(sid);
            return Flow::Wait;
        }
        self.request(sid, FetchPurpose::Redirect, url, redirect.method, |_| {});
        Flow::Wait
    }
}
