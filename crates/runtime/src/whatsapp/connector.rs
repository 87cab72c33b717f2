//! [`WhatsApp`]: the [`LegConnector`] for `whatsapp:` legs, and the entry point for Meta's
//! webhooks.

use std::fmt;
use std::sync::Arc;

use dialtone_types::Sid;
use tokio::sync::mpsc;

use super::config::WhatsAppConfig;
use super::context::{CallMsg, Ctx};
use super::media::MediaBackend;
use super::outbound;
use crate::driver::Command;
use crate::legs::{LegConnector, LegEnd, LegEvents, LegStart};
use crate::shared::Shared;

/// The WhatsApp connector; cheap to clone.
#[derive(Clone)]
pub struct WhatsApp {
    pub(crate) ctx: Arc<Ctx>,
}

impl fmt::Debug for WhatsApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsApp")
            .field("graph", &self.ctx.config.graph)
            .field("live_calls", &self.ctx.live_calls())
            .finish_non_exhaustive()
    }
}

impl WhatsApp {
    pub(crate) fn new(
        config: WhatsAppConfig,
        shared: Arc<Shared>,
        commands: mpsc::Sender<Command>,
        media: Arc<dyn MediaBackend>,
    ) -> Self {
        let ctx = Arc::new(Ctx::new(config, shared, commands, media));
        let _ = ctx.messaging.set(super::messaging::start_worker(&ctx));
        Self { ctx }
    }

    /// Calls with a live task (business- or user-initiated).
    pub fn live_calls(&self) -> usize {
        self.ctx.live_calls()
    }

    /// Whether a live call task owns Meta's call id `call_id` (webhooks about it are routed).
    pub fn tracks(&self, call_id: &str) -> bool {
        self.ctx.by_wacid(call_id).is_some()
    }

    fn tell(&self, call: Sid, msg: CallMsg) {
        if let Some(tx) = self.ctx.by_sid(call) {
            let _ = tx.send(msg);
        }
    }
}

impl LegConnector for WhatsApp {
    fn carries_media(&self) -> bool {
        true
    }

    fn start_leg(&self, leg: LegStart, events: LegEvents) {
        outbound::start(Arc::clone(&self.ctx), leg, events);
    }

    fn answer_leg(&self, call: Sid) {
        self.tell(call, CallMsg::Answer);
    }

    fn end_leg(&self, call: Sid, how: LegEnd) {
        self.tell(call, CallMsg::End(how));
    }

    /// Audio between bridged legs is forwarded by the audio routes (`crate::audio`), which
    /// each connector feeds by attaching its connected legs; nothing to do here.
    fn bridge(&self, parent: Sid, child: Sid) {
        tracing::trace!(%parent, %child, "WhatsApp leg bridged");
    }

    fn unbridge(&self, parent: Sid, child: Sid) {
        tracing::trace!(%parent, %child, "WhatsApp leg unbridged");
    }

    fn release(&self, call: Sid) {
        self.tell(call, CallMsg::Release);
    }
}
