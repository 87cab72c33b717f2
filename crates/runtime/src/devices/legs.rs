//! Devices as a [`LegConnector`]: ringing `client:` legs and the legs of calls they placed.

use dialtone_core::LegEvent;
use dialtone_media::MediaLeg;
use dialtone_types::{DeviceId, Sid, ToDevice, TwilioCode};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::call::{DeviceCall, State};
use super::{Devices, lock};
use crate::legs::{LegConnector, LegEnd, LegEvents, LegStart};

/// `Params` of an incoming `invite`: the `<Client>` parameters, URL-encoded as Twilio sends
/// them.
fn encode_params(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Devices {
    /// Rings `devices` for `leg`: one offer each, then `invite`s; `Ringing` once any was sent.
    pub(crate) fn ring(&self, leg: &LegStart, devices: Vec<DeviceId>, events: LegEvents) {
        let call = leg.call;
        lock(&self.inner.calls).insert(
            call,
            DeviceCall {
                events: events.clone(),
                state: State::Ringing {
                    offers: Vec::new(),
                    pending: devices.len(),
                },
            },
        );
        let mut parameters = vec![
            ("CallSid".to_owned(), call.to_string()),
            ("AccountSid".to_owned(), leg.account.to_string()),
            ("From".to_owned(), leg.from.to_string()),
            ("To".to_owned(), leg.to.to_string()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        ];
        if !leg.parameters.is_empty() {
            parameters.push(("Params".to_owned(), encode_params(&leg.parameters)));
        }
        let this = self.clone();
        tokio::spawn(async move {
            let mut sent = 0usize;
            for device in devices {
                let offer = this.inner.media.offer().await;
                let mut calls = lock(&this.inner.calls);
                let Some(DeviceCall {
                    state: State::Ringing { offers, pending },
                    ..
                }) = calls.get_mut(&call)
                else {
                    return; // cancelled meanwhile
                };
                *pending -= 1;
                match offer {
                    Ok(offer) => {
                        let invite = ToDevice::Invite {
                            call: call.to_string(),
                            sdp: offer.sdp().to_owned(),
                            parameters: parameters.clone(),
                        };
                        if this.send(device, invite) {
                            offers.push((device, offer));
                            sent += 1;
                        }
                    }
                    Err(e) => tracing::warn!(%call, error = %e, "no media offer for a Device"),
                }
            }
            let none_left = lock(&this.inner.calls).get(&call).is_some_and(
                |c| matches!(&c.state, State::Ringing { offers, pending: 0 } if offers.is_empty()),
            );
            if sent == 0 || none_left {
                lock(&this.inner.calls).remove(&call);
                events
                    .send(LegEvent::Failed {
                        code: TwilioCode(21214),
                        message: "no registered Device could be offered the call".into(),
                    })
                    .await;
            } else {
                events.send(LegEvent::Ringing).await;
            }
        });
    }

    /// The call Device `id` placed got its CallSid (`events`): remembers `temp`, tells the
    /// Device it rings, and keeps our SDP `answer` (with the running `leg`) for the answer.
    pub(crate) fn placed(
        &self,
        id: DeviceId,
        temp: &str,
        events: LegEvents,
        leg: MediaLeg,
        answer: String,
    ) {
        let call = events.call();
        self.remember_temp(id, temp, call);
        lock(&self.inner.calls).insert(
            call,
            DeviceCall {
                events,
                state: State::Placed {
                    device: id,
                    leg: Some(leg),
                    answer,
                },
            },
        );
        self.send(
            id,
            ToDevice::Ringing {
                call: call.to_string(),
            },
        );
    }

    /// True when `call` is a Device call.
    pub(crate) fn owns(&self, call: Sid) -> bool {
        lock(&self.inner.calls).contains_key(&call)
    }
}

impl LegConnector for Devices {
    fn carries_media(&self) -> bool {
        true
    }

    fn start_leg(&self, leg: LegStart, events: LegEvents) {
        let identity = leg.to.strip_prefix("client:").unwrap_or(&leg.to).to_owned();
        let devices = self.registered(leg.account, &identity);
        self.ring(&leg, devices, events);
    }

    fn answer_leg(&self, call: Sid) {
        let started = {
            let mut calls = lock(&self.inner.calls);
            let Some(entry) = calls.get_mut(&call) else {
                return;
            };
            let State::Placed {
                device,
                leg,
                answer,
            } = &mut entry.state
            else {
                return;
            };
            let (device, leg, answer) = (*device, leg.take(), std::mem::take(answer));
            entry.state = State::Live { device, task: None };
            leg.map(|leg| (device, leg, answer, entry.events.clone()))
        };
        if let Some((device, leg, answer, events)) = started {
            self.send(
                device,
                ToDevice::Answer {
                    call: call.to_string(),
                    sdp: Some(answer),
                },
            );
            self.run_media(call, device, leg, events, false);
        }
    }

    fn end_leg(&self, call: Sid, how: LegEnd) {
        let Some(entry) = lock(&self.inner.calls).remove(&call) else {
            return;
        };
        tracing::debug!(%call, ?how, "Device leg ended");
        match &entry.state {
            State::Ringing { offers, .. } => {
                for (device, _) in offers {
                    self.send(
                        *device,
                        ToDevice::Cancel {
                            call: call.to_string(),
                        },
                    );
                }
            }
            State::Placed { device, .. } | State::Live { device, .. } => {
                let error = match how {
                    LegEnd::Reject(_) => Some((31603, "Decline".to_owned())),
                    LegEnd::Cancel | LegEnd::Hangup => None,
                };
                self.send(
                    *device,
                    ToDevice::Hangup {
                        call: call.to_string(),
                        error,
                    },
                );
            }
        }
    }

    fn bridge(&self, parent: Sid, child: Sid) {
        tracing::trace!(%parent, %child, "Device legs bridged");
    }

    fn unbridge(&self, parent: Sid, child: Sid) {
        tracing::trace!(%parent, %child, "Device legs unbridged");
    }

    fn release(&self, call: Sid) {
        if let Some(entry) = lock(&self.inner.calls).remove(&call)
            && let State::Placed { device, .. } | State::Live { device, .. } = &entry.state
        {
            self.send(
                *device,
                ToDevice::Hangup {
                    call: call.to_string(),
                    error: None,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::encode_params;

    #[test]
    fn params_are_url_encoded_in_order() {
        let params = vec![
            ("k".to_owned(), "v w".to_owned()),
            ("a b".to_owned(), "é&=".to_owned()),
        ];
        assert_eq!(encode_params(&params), "k=v%20w&a%20b=%C3%A9%26%3D");
    }
}
