//! Who hears whom: the audio routes between the media legs of bridged calls.
//!
//! The engine says `Bridge { parent, child }`; the legs under those calls may belong to
//! different connectors and may connect their media before or after that (a WhatsApp child is
//! bridged only once its media is up; a WhatsApp parent's media comes up when the user's call is
//! accepted). Each connector attaches a call's [`LegControl`] once its media is connected and
//! detaches it when the leg goes; whichever of bridge and attach comes last connects the two
//! legs. A bridge forwards Opus payloads both ways and decodes nothing
//! ([`BridgeMode::Forward`]), unless the runtime was told to transcode
//! ([`BridgeMode::Transcode`]): then each leg decodes what it receives and its partner
//! re-encodes it (`dialtone_media`'s `transcode` module), and a `PcmSink` on either leg hears
//! that leg's direction as PCM.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use dialtone_media::{Background, LegControl};
use dialtone_types::Sid;

use crate::BridgeMode;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct AudioRoutes {
    mode: BridgeMode,
    inner: Mutex<Routes>,
}

#[derive(Debug, Default)]
struct Routes {
    legs: HashMap<Sid, LegControl>,
    partners: HashMap<Sid, Sid>,
}

impl AudioRoutes {
    /// Routes whose bridges carry audio as `mode` says.
    pub(crate) fn new(mode: BridgeMode) -> Self {
        Self {
            mode,
            inner: Mutex::default(),
        }
    }

    /// `call`'s media leg is connected.
    pub(crate) fn attach(&self, call: Sid, leg: LegControl) {
        let mut routes = self.lock();
        if let Some(partner) = routes.partners.get(&call).and_then(|p| routes.legs.get(p)) {
            connect(self.mode, &leg, partner);
        }
        routes.legs.insert(call, leg);
    }

    /// `call`'s media leg, if connected.
    pub(crate) fn leg(&self, call: Sid) -> Option<LegControl> {
        self.lock().legs.get(&call).cloned()
    }

    /// `call`'s media leg is gone: its partner hears silence.
    pub(crate) fn detach(&self, call: Sid) {
        let mut routes = self.lock();
        routes.legs.remove(&call);
        if let Some(partner) = routes.partners.remove(&call) {
            routes.partners.remove(&partner);
            if let Some(leg) = routes.legs.get(&partner) {
                disconnect(leg);
            }
        }
    }

    /// The engine bridged `a` and `b`.
    pub(crate) fn bridge(&self, a: Sid, b: Sid) {
        let mut routes = self.lock();
        routes.partners.insert(a, b);
        routes.partners.insert(b, a);
        if let (Some(x), Some(y)) = (routes.legs.get(&a), routes.legs.get(&b)) {
            connect(self.mode, x, y);
        }
    }

    /// The engine unbridged `a` and `b`.
    pub(crate) fn unbridge(&self, a: Sid, b: Sid) {
        let mut routes = self.lock();
        if routes.partners.get(&a) == Some(&b) {
            routes.partners.remove(&a);
            routes.partners.remove(&b);
        }
        for call in [a, b] {
            if let Some(leg) = routes.legs.get(&call) {
                disconnect(leg);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn connect(mode: BridgeMode, a: &LegControl, b: &LegControl) {
    for (leg, partner) in [(a, b), (b, a)] {
        match mode {
            BridgeMode::Forward => {
                leg.forward_to(Some(partner.link()));
                leg.set_background(Background::Forwarded);
            }
            BridgeMode::Transcode => {
                leg.decode_to(Some(partner.link()));
                leg.set_background(Background::Transcoded);
            }
        }
    }
}

fn disconnect(leg: &LegControl) {
    leg.forward_to(None);
    leg.decode_to(None);
    leg.set_background(Background::Silence);
}
