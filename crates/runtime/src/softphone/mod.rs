//! Simulated softphones: `client:` endpoints that answer, refuse or ignore calls as told.
//!
//! They stand in for the Voice SDK in a browser, so that a newcomer can place a call to
//! `client:alice` and watch it ring, be answered, press digits and hang up, with every webhook
//! Twilio would send. Each answered call has a real WebRTC media leg ([`media`]): prompts play
//! on it and bridges forward its audio, as for a browser. They are registered per account (an
//! identity of another account is not reachable), and an identity nobody registered is
//! unreachable, as an offline Voice SDK client is.
//!
//! A softphone is both a [`LegConnector`] for legs that ring it (REST `To=client:x`,
//! `<Dial><Client>`) and the caller of calls it places into an application
//! ([`Handle::start_softphone_call`](crate::Handle::start_softphone_call)).

mod leg;
mod media;

pub(crate) use media::SoftphoneMedia;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use dialtone_types::{Redacted, Sid};
use tokio::task::AbortHandle;

use crate::config::SoftphoneTiming;
use crate::legs::{LegConnector, LegEnd, LegEvents, LegStart};

/// Softphones one account may register through [`Softphones::try_register`].
pub const MAX_SOFTPHONES_PER_ACCOUNT: usize = 10_000;

/// What a softphone does when it rings. For a softphone: `answer` rings, then answers after
/// `answer_after`; `busy` ends the call `busy` at once; `reject` rings, then declines after
/// `answer_after` (reported `busy`, as a declined call); `no-answer` rings until the caller gives
/// up (`no-answer` at the call's timeout); `unreachable` ends the call `failed`, code 21214.
pub type Behavior = dialtone_types::SimulatedBehavior;

/// How a softphone behaves (`POST /sim/v1/Clients`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftphoneConfig {
    /// The Voice SDK identity: `client:{identity}` reaches it.
    pub identity: String,
    /// What it does when it rings.
    pub behavior: Behavior,
    /// Ringing time before answering or declining (default 1 s).
    pub answer_after: Duration,
    /// Hangs up this long after the call is answered; `None` stays until the other side
    /// hangs up.
    pub hangup_after: Option<Duration>,
    /// DTMF digits pressed once the call is answered.
    pub digits: Option<String>,
    /// What the softphone's microphone sends once its media connects (`Audio` of
    /// `POST /sim/v1/Clients`, as for simulated WhatsApp users): the browser side of its media
    /// leg plays it (a WAV fetched once per call, looped).
    pub audio: dialtone_types::SimulatedAudio,
}

impl SoftphoneConfig {
    /// A softphone that answers after 1 s and stays on the call.
    pub fn new(identity: impl Into<String>) -> Self {
        Self {
            identity: identity.into(),
            behavior: Behavior::Answer,
            answer_after: Duration::from_secs(1),
            hangup_after: None,
            digits: None,
            audio: dialtone_types::SimulatedAudio::Silence,
        }
    }
}

/// A registered softphone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Softphone {
    /// The account it belongs to.
    pub account: Sid,
    /// Its settings.
    pub config: SoftphoneConfig,
}

/// What the softphones side holds for one live leg.
#[derive(Debug)]
struct LegState {
    account: Sid,
    config: SoftphoneConfig,
    events: LegEvents,
    task: Option<AbortHandle>,
}

#[derive(Debug)]
struct Inner {
    registry: Mutex<HashMap<Sid, BTreeMap<String, SoftphoneConfig>>>,
    legs: Mutex<HashMap<Sid, LegState>>,
    timing: SoftphoneTiming,
    /// Real media legs; `None` (unit tests) leaves calls without media.
    media: Option<SoftphoneMedia>,
    /// Voice SDK Devices: a `client:` leg whose identity has a registered Device rings it.
    devices: Option<crate::devices::Devices>,
}

/// The registry of simulated softphones and their live legs; cheap to clone.
#[derive(Debug, Clone)]
pub struct Softphones {
    inner: Arc<Inner>,
}

/// Locks `m`; a poisoned lock is still consistent here (every critical section is a single
/// map operation), so it is used as is.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Softphones {
    #[cfg(test)]
    pub(crate) fn new(timing: SoftphoneTiming, media: Option<SoftphoneMedia>) -> Self {
        Self::with_devices(timing, media, None)
    }

    pub(crate) fn with_devices(
        timing: SoftphoneTiming,
        media: Option<SoftphoneMedia>,
        devices: Option<crate::devices::Devices>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry: Mutex::new(HashMap::new()),
                legs: Mutex::new(HashMap::new()),
                timing,
                media,
                devices,
            }),
        }
    }

    /// The Devices that take `call` (a Device call), if any.
    fn device_call(&self, call: Sid) -> Option<&crate::devices::Devices> {
        self.inner.devices.as_ref().filter(|d| d.owns(call))
    }

    /// Keeps what the browser side of each softphone call hears in `log`, found by the call's
    /// CallSid (`None` stops; calls already connected keep theirs). Without media (unit tests)
    /// nothing is heard.
    pub fn set_heard_log(&self, log: Option<dialtone_media::heard::HeardLog>) {
        if let Some(media) = &self.inner.media {
            media.set_heard(log);
        }
    }

    /// Registers (or replaces) the softphone `config.identity` of `account`, refusing a new
    /// identity beyond [`MAX_SOFTPHONES_PER_ACCOUNT`] (HTTP 400, Twilio's 20001 "invalid
    /// parameter"): what the REST API should call, so clients cannot grow memory without
    /// bound.
    pub fn try_register(
        &self,
        account: Sid,
        config: SoftphoneConfig,
    ) -> Result<Softphone, crate::RuntimeError> {
        let mut registry = lock(&self.inner.registry);
        let phones = registry.entry(account).or_default();
        if phones.len() >= MAX_SOFTPHONES_PER_ACCOUNT && !phones.contains_key(&config.identity) {
            return Err(crate::RuntimeError::invalid(
                dialtone_types::TwilioCode(20001),
                format!(
                    "An account may register at most {MAX_SOFTPHONES_PER_ACCOUNT} simulated softphones"
                ),
            ));
        }
        phones.insert(config.identity.clone(), config.clone());
        Ok(Softphone { account, config })
    }

    /// Registers (or replaces) the softphone `config.identity` of `account`, with no limit
    /// (for trusted callers: tests, `dialtone bench`).
    pub fn register(&self, account: Sid, config: SoftphoneConfig) -> Softphone {
        tracing::debug!(identity = %Redacted(&config.identity), behavior = %config.behavior, "softphone registered");
        lock(&self.inner.registry)
            .entry(account)
            .or_default()
            .insert(config.identity.clone(), config.clone());
        Softphone { account, config }
    }

    /// The softphones of `account`, by identity.
    pub fn list(&self, account: Sid) -> Vec<Softphone> {
        lock(&self.inner.registry)
            .get(&account)
            .map(|phones| {
                phones
                    .values()
                    .map(|config| Softphone {
                        account,
                        config: config.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The softphone `identity` of `account`, if registered.
    pub fn get(&self, account: Sid, identity: &str) -> Option<Softphone> {
        lock(&self.inner.registry)
            .get(&account)
            .and_then(|phones| phones.get(identity))
            .map(|config| Softphone {
                account,
                config: config.clone(),
            })
    }

    /// Unregisters `identity` of `account`; `false` if it was not registered. Calls in
    /// progress keep going.
    pub fn remove(&self, account: Sid, identity: &str) -> bool {
        let mut registry = lock(&self.inner.registry);
        let Some(phones) = registry.get_mut(&account) else {
            return false;
        };
        let removed = phones.remove(identity).is_some();
        if phones.is_empty() {
            registry.remove(&account);
        }
        removed
    }

    /// Live legs held (for tests and metrics).
    pub fn live_legs(&self) -> usize {
        lock(&self.inner.legs).len()
    }

    /// Takes the caller side of a call the softphone `identity` places into an application:
    /// once the application answers, it presses its digits and hangs up as configured.
    pub(crate) fn attach_caller(&self, account: Sid, identity: &str, events: LegEvents) {
        let config = self
            .get(account, identity)
            .map_or_else(|| SoftphoneConfig::new(identity), |s| s.config);
        lock(&self.inner.legs).insert(
            events.call(),
            LegState {
                account,
                config,
                events,
                task: None,
            },
        );
    }

    fn set_task(&self, call: Sid, task: AbortHandle) {
        match lock(&self.inner.legs).get_mut(&call) {
            Some(leg) => leg.task = Some(task),
            None => task.abort(),
        }
    }

    fn drop_leg(&self, call: Sid) {
        if let Some(leg) = lock(&self.inner.legs).remove(&call)
            && let Some(task) = leg.task
        {
            task.abort();
        }
    }

    /// Forgets a leg that ended by itself (its own task finishing), without aborting it.
    fn leg_done(&self, call: Sid) {
        lock(&self.inner.legs).remove(&call);
    }
}

impl LegConnector for Softphones {
    fn carries_media(&self) -> bool {
        self.inner.media.is_some()
    }

    fn start_leg(&self, leg: LegStart, events: LegEvents) {
        let identity = leg.to.strip_prefix("client:").unwrap_or(&leg.to);
        if let Some(devices) = &self.inner.devices {
            let registered = devices.registered(leg.account, identity);
            if !registered.is_empty() {
                tracing::debug!(call = %leg.call, devices = registered.len(), "ringing Voice SDK Devices");
                devices.ring(&leg, registered, events);
                return;
            }
        }
        let config = self.get(leg.account, identity).map_or_else(
            || SoftphoneConfig {
                behavior: Behavior::Unreachable,
                ..SoftphoneConfig::new(identity)
            },
            |s| s.config,
        );
        tracing::debug!(call = %leg.call, identity = %Redacted(identity), behavior = %config.behavior, "ringing softphone");
        lock(&self.inner.legs).insert(
            leg.call,
            LegState {
                account: leg.account,
                config: config.clone(),
                events: events.clone(),
                task: None,
            },
        );
        let task = tokio::spawn(leg::ring(self.clone(), leg.account, config, events));
        self.set_task(leg.call, task.abort_handle());
    }

    fn answer_leg(&self, call: Sid) {
        if let Some(devices) = self.device_call(call) {
            devices.answer_leg(call);
            return;
        }
        let state = lock(&self.inner.legs)
            .get(&call)
            .map(|leg| (leg.account, leg.config.clone(), leg.events.clone()));
        if let Some((account, config, events)) = state {
            let task = tokio::spawn(leg::answered(self.clone(), account, config, events));
            self.set_task(call, task.abort_handle());
        }
    }

    fn end_leg(&self, call: Sid, how: LegEnd) {
        if let Some(devices) = self.device_call(call) {
            devices.end_leg(call, how);
            return;
        }
        tracing::trace!(%call, ?how, "softphone leg ended");
        self.drop_leg(call);
    }

    fn bridge(&self, parent: Sid, child: Sid) {
        tracing::trace!(%parent, %child, "softphone legs bridged");
    }

    fn unbridge(&self, parent: Sid, child: Sid) {
        tracing::trace!(%parent, %child, "softphone legs unbridged");
    }

    fn release(&self, call: Sid) {
        if let Some(devices) = self.device_call(call) {
            devices.release(call);
        }
        self.drop_leg(call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::SidKind;

    #[test]
    fn registry_is_per_account_and_bounded() {
        let phones = Softphones::new(SoftphoneTiming::default(), None);
        let a = Sid::new(SidKind::Account, 1);
        let b = Sid::new(SidKind::Account, 2);
        phones.register(a, SoftphoneConfig::new("alice"));
        assert_eq!(phones.list(a).len(), 1);
        assert!(phones.list(b).is_empty());
        assert!(phones.get(b, "alice").is_none());
        assert!(!phones.remove(b, "alice"));
        for i in 1..MAX_SOFTPHONES_PER_ACCOUNT {
            phones
                .try_register(a, SoftphoneConfig::new(format!("p{i}")))
                .unwrap();
        }
        let err = phones
            .try_register(a, SoftphoneConfig::new("one-too-many"))
            .unwrap_err();
        assert_eq!((err.code.0, err.http_status), (20001, 400));
        // Replacing an existing identity is still allowed.
        let busy = SoftphoneConfig {
            behavior: Behavior::Busy,
            ..SoftphoneConfig::new("alice")
        };
        assert_eq!(
            phones.try_register(a, busy).unwrap().config.behavior,
            Behavior::Busy
        );
        assert!(phones.remove(a, "alice"));
        assert_eq!(phones.list(a).len(), MAX_SOFTPHONES_PER_ACCOUNT - 1);
        assert_eq!("no-answer".parse::<Behavior>(), Ok(Behavior::NoAnswer));
        assert!("maybe".parse::<Behavior>().is_err());
    }
}
