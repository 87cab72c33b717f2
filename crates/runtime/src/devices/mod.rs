//! Voice SDK Devices: browsers registered over the SDK's signalling, as `client:` endpoints.
//!
//! A Device is one signalling connection (the API crate speaks the PStream protocol on it and
//! hands us [`FromDevice`] messages; we answer with [`ToDevice`]). A Device that registered
//! with `incoming.allow` is rung for `client:{identity}` legs of its account: every registered
//! Device of the identity gets an `invite` with its own SDP offer, the first to answer wins and
//! the others get `cancel`. Calls a Device places go into its TwiML App
//! ([`Handle::submit_device_call`](crate::Handle::submit_device_call)). Each answered call has a
//! WebRTC leg on the media plane (ICE-lite, learning the browser's address from its checks),
//! attached to the call like a WhatsApp user's: bridges, prompts, recordings and digits
//! (RFC 4733, or the SDK's `dtmf` message) work the same.
//!
//! The simulated softphones stay: [`Softphones`](crate::Softphones) hands a `client:` leg here
//! when a Device of that identity is registered ([`legs`] rings both when both exist).

mod call;
mod legs;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use dialtone_media::{MediaConfig, MediaEngine};
use dialtone_types::{DeviceId, FromDevice, Sid, ToDevice};
use tokio::sync::mpsc;

use crate::shared::Shared;

pub(crate) use call::DeviceCall;

/// Where messages to one Device go.
pub type DeviceSender = mpsc::UnboundedSender<ToDevice>;

#[derive(Debug)]
struct Device {
    account: Sid,
    identity: String,
    registered: bool,
    tx: DeviceSender,
}

pub(crate) struct Inner {
    devices: Mutex<HashMap<DeviceId, Device>>,
    calls: Mutex<HashMap<Sid, DeviceCall>>,
    /// A placed call's temporary `TJS…` id, until the CallSid is known, and after.
    temp_ids: Mutex<HashMap<(DeviceId, String), Sid>>,
    next: AtomicU64,
    pub(crate) media: MediaEngine,
    pub(crate) shared: Arc<Shared>,
}

/// The registry of connected Devices and their calls; cheap to clone.
#[derive(Clone)]
pub struct Devices {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Devices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Devices")
            .field("connected", &lock(&self.inner.devices).len())
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Devices {
    pub(crate) fn new(media: MediaConfig, shared: Arc<Shared>) -> Self {
        Self {
            inner: Arc::new(Inner {
                devices: Mutex::new(HashMap::new()),
                calls: Mutex::new(HashMap::new()),
                temp_ids: Mutex::new(HashMap::new()),
                next: AtomicU64::new(1),
                media: MediaEngine::new(media),
                shared,
            }),
        }
    }

    /// A new Device connection of `identity` in `account` (an accepted token); not rung until
    /// it registers.
    pub fn connect(&self, account: Sid, identity: &str, tx: DeviceSender) -> DeviceId {
        let id = DeviceId(self.inner.next.fetch_add(1, Ordering::Relaxed));
        lock(&self.inner.devices).insert(
            id,
            Device {
                account,
                identity: identity.to_owned(),
                registered: false,
                tx,
            },
        );
        id
    }

    /// Registers (`true`) or unregisters the Device for incoming calls.
    pub fn set_registered(&self, id: DeviceId, registered: bool) {
        if let Some(d) = lock(&self.inner.devices).get_mut(&id) {
            d.registered = registered;
        }
    }

    /// The connection is gone: its ringing calls count as declined by it, its live calls
    /// hang up.
    pub fn disconnect(&self, id: DeviceId) {
        lock(&self.inner.devices).remove(&id);
        let calls: Vec<Sid> = lock(&self.inner.calls)
            .iter()
            .filter(|(_, c)| c.involves(id))
            .map(|(sid, _)| *sid)
            .collect();
        for call in calls {
            self.device_left(call, id);
        }
        lock(&self.inner.temp_ids).retain(|(d, _), _| *d != id);
    }

    /// Registered Devices of `identity` in `account`.
    pub fn registered(&self, account: Sid, identity: &str) -> Vec<DeviceId> {
        let mut ids: Vec<DeviceId> = lock(&self.inner.devices)
            .iter()
            .filter(|(_, d)| d.registered && d.account == account && d.identity == identity)
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids
    }

    /// Connected Devices (registered or not).
    pub fn connected(&self) -> usize {
        lock(&self.inner.devices).len()
    }

    /// Sends `msg` to Device `id`; `false` if it is gone.
    pub(crate) fn send(&self, id: DeviceId, msg: ToDevice) -> bool {
        lock(&self.inner.devices)
            .get(&id)
            .is_some_and(|d| d.tx.send(msg).is_ok())
    }

    /// The call a Device names (`CA…`, or a `TJS…` id of a call it placed).
    fn resolve(&self, id: DeviceId, name: &str) -> Option<Sid> {
        if let Some(sid) = lock(&self.inner.temp_ids).get(&(id, name.to_owned())) {
            return Some(*sid);
        }
        name.parse::<Sid>().ok()
    }

    pub(crate) fn remember_temp(&self, id: DeviceId, temp: &str, call: Sid) {
        lock(&self.inner.temp_ids).insert((id, temp.to_owned()), call);
    }

    /// A message from Device `id` about one of its calls.
    pub fn handle(&self, id: DeviceId, msg: FromDevice) {
        let (name, what) = match &msg {
            FromDevice::Answer { call, .. }
            | FromDevice::Reject { call }
            | FromDevice::Hangup { call }
            | FromDevice::Digits { call, .. } => (call.clone(), msg),
        };
        let Some(call) = self.resolve(id, &name) else {
            self.send(
                id,
                ToDevice::Error {
                    code: 31404,
                    message: format!("no call {name}"),
                    call: Some(name),
                },
            );
            return;
        };
        if !lock(&self.inner.calls).contains_key(&call) {
            self.send(
                id,
                ToDevice::Error {
                    code: 31404,
                    message: format!("no call {name} for this device"),
                    call: Some(name),
                },
            );
            return;
        }
        match what {
            FromDevice::Answer { sdp, .. } => self.answered(call, id, &sdp),
            FromDevice::Reject { .. } | FromDevice::Hangup { .. } => self.device_left(call, id),
            FromDevice::Digits { digits, .. } => self.digits(call, id, &digits),
        }
    }
}
