//! A softphone's media: two WebRTC legs on loopback, joined by a real SDP offer/answer.
//!
//! A Voice SDK browser offers (Opus, ICE, DTLS-SRTP) and Dialtone answers; so here the
//! "browser" side is an offerer owned by the softphone simulation and Dialtone's side is the
//! answerer, a leg of the media plane like a WhatsApp leg. Once Dialtone's side is connected it
//! is attached to the call (bridges and prompts use it, [`Shared::attach_leg`]) and detached
//! when the [`Session`] is dropped (the leg task ends or is aborted). The browser side plays the
//! softphone's `Audio` (`dialtone_prompt::device`, as a simulated WhatsApp user's) and keeps
//! what it receives in the heard log, if one is set: the leg is found by its CallSid (the
//! `<Dial><Client>` child, or the call the softphone placed) and ends when the session drops.
//!
//! The browser side uses ICE-lite so that the pair connects on loopback without candidate
//! gathering; Dialtone's side runs full ICE, as it does with Meta.

use std::fmt;
use std::sync::{Arc, Mutex};

use dialtone_media::heard::{HeardCall, HeardLeg, HeardLog};
use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg};
use dialtone_types::{Sid, SimulatedAudio};

use crate::shared::Shared;

/// The engines and the shared state softphone media needs.
pub(crate) struct SoftphoneMedia {
    browser: MediaEngine,
    dialtone: MediaEngine,
    shared: Arc<Shared>,
    heard: Mutex<Option<HeardLog>>,
    /// Fetches the softphones' `Audio` WAV files.
    fetcher: reqwest::Client,
}

impl fmt::Debug for SoftphoneMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftphoneMedia").finish_non_exhaustive()
    }
}

impl SoftphoneMedia {
    /// Dialtone's side uses `dialtone` (the media plane's settings).
    pub(crate) fn new(dialtone: MediaConfig, shared: Arc<Shared>) -> Self {
        Self {
            browser: MediaEngine::new(MediaConfig::lite()),
            dialtone: MediaEngine::new(dialtone),
            shared,
            heard: Mutex::new(None),
            fetcher: dialtone_prompt::device::client(),
        }
    }

    pub(crate) fn set_heard(&self, log: Option<HeardLog>) {
        *self
            .heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = log;
    }

    fn heard(&self) -> Option<HeardLog> {
        self.heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Both legs of one softphone call.
pub(super) struct Session {
    account: Sid,
    call: Sid,
    shared: Arc<Shared>,
    heard: Option<HeardLog>,
    fetcher: reqwest::Client,
    audio: SimulatedAudio,
    browser: MediaLeg,
    dialtone: MediaLeg,
    attached: bool,
}

enum Step {
    Browser(Option<MediaEvent>),
    Dialtone(Option<MediaEvent>),
}

impl Session {
    /// Offers from the browser side, answers on Dialtone's and accepts the answer.
    pub(super) async fn start(
        media: &SoftphoneMedia,
        account: Sid,
        call: Sid,
        audio: SimulatedAudio,
    ) -> Result<Self, String> {
        let offer = media.browser.offer().await.map_err(|e| e.to_string())?;
        let (dialtone, answer) = media
            .dialtone
            .answer(offer.sdp())
            .await
            .map_err(|e| e.to_string())?;
        let browser = offer.accept(&answer).map_err(|e| e.to_string())?;
        Ok(Self {
            account,
            call,
            shared: Arc::clone(&media.shared),
            heard: media.heard(),
            fetcher: media.fetcher.clone(),
            audio,
            browser,
            dialtone,
            attached: false,
        })
    }

    /// Waits until Dialtone's side is connected and attached.
    pub(super) async fn connected(&mut self) -> Result<(), String> {
        while !self.attached {
            self.step().await?;
        }
        Ok(())
    }

    /// Keeps the media going; returns why it stopped.
    pub(super) async fn run(&mut self) -> String {
        loop {
            if let Err(reason) = self.step().await {
                return reason;
            }
        }
    }

    async fn step(&mut self) -> Result<(), String> {
        let step = {
            let (browser, dialtone) = (&mut self.browser, &mut self.dialtone);
            tokio::select! {
                e = browser.event() => Step::Browser(e),
                e = dialtone.event() => Step::Dialtone(e),
            }
        };
        match step {
            Step::Browser(Some(MediaEvent::Connected)) => {
                let control = self.browser.control();
                if let Some(log) = &self.heard {
                    let sink = log.start(HeardLeg {
                        id: self.call.to_string(),
                        account: self.account,
                        call: HeardCall::Sid(self.call.to_string()),
                        placed_at: crate::clock::now(),
                    });
                    control.tap(Some(Box::new(sink)));
                }
                dialtone_prompt::device::play(
                    &self.fetcher,
                    control,
                    self.audio.clone(),
                    self.call.to_string(),
                );
                Ok(())
            }
            Step::Dialtone(Some(MediaEvent::Failed(reason)))
            | Step::Browser(Some(MediaEvent::Failed(reason))) => Err(reason),
            Step::Browser(Some(_)) | Step::Dialtone(Some(MediaEvent::Digit(_))) => Ok(()),
            Step::Browser(None) => Err("the browser side closed".to_owned()),
            Step::Dialtone(Some(MediaEvent::Connected)) => {
                self.shared.attach_leg(self.call, self.dialtone.control());
                self.attached = true;
                Ok(())
            }
            Step::Dialtone(Some(MediaEvent::Played(id))) => {
                self.shared.playback.played(self.call, id);
                Ok(())
            }
            Step::Dialtone(None) => Err("Dialtone's side closed".to_owned()),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.attached {
            self.shared.detach_leg(self.call);
        }
    }
}
