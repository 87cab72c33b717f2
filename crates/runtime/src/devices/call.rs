//! One call of a Device: ringing (offers out to every registered Device of the identity),
//! placed (the Device's offer answered, waiting for the application to answer), live (media).

use dialtone_core::LegEvent;
use dialtone_media::{MediaEvent, MediaLeg, MediaOffer};
use dialtone_types::{DeviceId, Sid, ToDevice, TwilioCode};
use tokio::task::AbortHandle;

use super::{Devices, lock};
use crate::legs::LegEvents;

/// What the registry holds for one call.
pub(crate) struct DeviceCall {
    pub(super) events: LegEvents,
    pub(super) state: State,
}

pub(super) enum State {
    /// Offers sent (or still being made) to these Devices.
    Ringing {
        offers: Vec<(DeviceId, MediaOffer)>,
        /// Offers still being made.
        pending: usize,
    },
    /// A call the Device placed: our answer waits for the application to answer.
    Placed {
        device: DeviceId,
        leg: Option<MediaLeg>,
        answer: String,
    },
    /// Answered: the media task runs.
    Live {
        device: DeviceId,
        task: Option<AbortHandle>,
    },
}

impl DeviceCall {
    pub(super) fn involves(&self, id: DeviceId) -> bool {
        match &self.state {
            State::Ringing { offers, .. } => offers.iter().any(|(d, _)| *d == id),
            State::Placed { device, .. } | State::Live { device, .. } => *device == id,
        }
    }
}

impl Drop for DeviceCall {
    fn drop(&mut self) {
        if let State::Live {
            task: Some(task), ..
        } = &self.state
        {
            task.abort();
        }
    }
}

/// Detaches the call's media leg from bridges and prompts when the media task ends or is
/// aborted.
struct Attached {
    devices: Devices,
    call: Sid,
    live: bool,
}

impl Drop for Attached {
    fn drop(&mut self) {
        if self.live {
            self.devices.inner.shared.detach_leg(self.call);
        }
    }
}

impl Devices {
    /// Device `id` accepted the ringing `call` with `sdp`.
    pub(super) fn answered(&self, call: Sid, id: DeviceId, sdp: &str) {
        let (offer, others, events) = {
            let mut calls = lock(&self.inner.calls);
            let Some(entry) = calls.get_mut(&call) else {
                return;
            };
            let State::Ringing { offers, .. } = &mut entry.state else {
                drop(calls);
                self.send(
                    id,
                    ToDevice::Error {
                        code: 31100,
                        message: "the call is not ringing".into(),
                        call: Some(call.to_string()),
                    },
                );
                return;
            };
            let Some(pos) = offers.iter().position(|(d, _)| *d == id) else {
                return;
            };
            let (_, offer) = offers.remove(pos);
            let others: Vec<DeviceId> = offers.drain(..).map(|(d, _)| d).collect();
            entry.state = State::Live {
                device: id,
                task: None,
            };
            (offer, others, entry.events.clone())
        };
        for other in others {
            self.send(
                other,
                ToDevice::Cancel {
                    call: call.to_string(),
                },
            );
        }
        match offer.accept(sdp) {
            Ok(leg) => self.run_media(call, id, leg, events, true),
            Err(e) => {
                tracing::info!(%call, error = %e, "a Device's SDP answer was refused");
                self.send(
                    id,
                    ToDevice::Hangup {
                        call: call.to_string(),
                        error: Some((31100, format!("SDP answer refused: {e}"))),
                    },
                );
                lock(&self.inner.calls).remove(&call);
                events.send_later(LegEvent::Failed {
                    code: TwilioCode::INTERNAL_FAILURE,
                    message: format!("the browser's SDP answer was refused: {e}"),
                });
            }
        }
    }

    /// Device `id` declined, hung up or went away.
    pub(super) fn device_left(&self, call: Sid, id: DeviceId) {
        let mut calls = lock(&self.inner.calls);
        let Some(entry) = calls.get_mut(&call) else {
            return;
        };
        let event = match &mut entry.state {
            State::Ringing { offers, pending } => {
                offers.retain(|(d, _)| *d != id);
                if !offers.is_empty() || *pending > 0 {
                    return;
                }
                LegEvent::Rejected
            }
            State::Placed { device, .. } | State::Live { device, .. } if *device == id => {
                LegEvent::HungUp
            }
            _ => return,
        };
        if let Some(entry) = calls.remove(&call) {
            entry.events.send_later(event);
        }
    }

    /// Digits Device `id` sent over signalling.
    pub(super) fn digits(&self, call: Sid, id: DeviceId, digits: &str) {
        let events = match lock(&self.inner.calls).get(&call) {
            Some(DeviceCall {
                events,
                state: State::Live { device, .. },
            }) if *device == id => events.clone(),
            _ => return,
        };
        let digits: Vec<String> = digits
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '*' || *c == '#')
            .map(|c| c.to_string())
            .collect();
        tokio::spawn(async move {
            for d in digits {
                if !events.send(LegEvent::Digits(d)).await {
                    return;
                }
            }
        });
    }

    /// Runs `call`'s media leg to Device `id`: attaches it once connected (and reports the
    /// answer of an incoming call), forwards digits, hangs up when media fails.
    pub(super) fn run_media(
        &self,
        call: Sid,
        id: DeviceId,
        mut leg: MediaLeg,
        events: LegEvents,
        report_answer: bool,
    ) {
        let devices = self.clone();
        let task = tokio::spawn(async move {
            let mut guard = Attached {
                devices: devices.clone(),
                call,
                live: false,
            };
            let reason = loop {
                match leg.event().await {
                    Some(MediaEvent::Connected) => {
                        devices.inner.shared.attach_leg(call, leg.control());
                        guard.live = true;
                        if report_answer && !events.send(LegEvent::Answered).await {
                            return;
                        }
                    }
                    Some(MediaEvent::Digit(d)) => {
                        if guard.live && !events.send(LegEvent::Digits(d.to_string())).await {
                            return;
                        }
                    }
                    Some(MediaEvent::Played(played)) => {
                        devices.inner.shared.playback.played(call, played);
                    }
                    Some(MediaEvent::Failed(reason)) => break reason,
                    None => break "the media leg closed".to_owned(),
                }
            };
            tracing::info!(%call, %reason, "browser media failed; hanging up");
            let connected = guard.live;
            drop(guard);
            drop(leg);
            devices.send(
                id,
                ToDevice::Hangup {
                    call: call.to_string(),
                    error: Some((31005, format!("media failed: {reason}"))),
                },
            );
            // Forget the call without aborting this task (it is ending).
            if let Some(mut entry) = lock(&devices.inner.calls).remove(&call) {
                entry.state = State::Live {
                    device: id,
                    task: None,
                };
            }
            let event = if connected {
                LegEvent::HungUp
            } else {
                LegEvent::Failed {
                    code: TwilioCode::INTERNAL_FAILURE,
                    message: format!("browser media did not connect: {reason}"),
                }
            };
            events.send(event).await;
        });
        match lock(&self.inner.calls).get_mut(&call) {
            Some(DeviceCall {
                state: State::Live { task: slot, .. },
                ..
            }) => *slot = Some(task.abort_handle()),
            _ => task.abort(),
        }
    }
}
