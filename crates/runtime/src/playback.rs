//! Prompt playback: `<Say>`, `<Play>`, `<Play digits>`, the application-error message and
//! `<Dial>` ringback, played on a call's media leg.
//!
//! The engine says `Media`/`StopMedia`/`Ringback`/`StopRingback`; the driver hands them here
//! without waiting. A prompt is made by the [`PromptSource`] in a spawned task (text to speech
//! and HTTP fetches take time the driver must not spend), then played on the leg as Opus
//! ([`Encoded`] over a [`Clip`] cursor). The leg reports the end of what it played
//! ([`dialtone_media::MediaEvent::Played`]); its connector passes that here and it goes back to
//! the engine as `LegEvent::MediaFinished`. A prompt that cannot be made goes back as
//! `LegEvent::MediaFailed`.
//!
//! A call whose connector carries media (WhatsApp) may get its leg after its first command (a
//! user's call is answered before its media connects): commands wait for the leg a short grace
//! ([`MediaTiming::attach_grace`]); if none comes they go back to the driver, which plays them
//! on its simulated clock, as it does for calls that never have a leg (simulated softphones).
//!
//! One command plays per call at a time (the engine waits for each). A clip that arrives for a
//! command stopped meanwhile, or a call that ended, is dropped; stopped commands report
//! nothing.
//!
//! [`MediaTiming::attach_grace`]: crate::MediaTiming::attach_grace

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use dialtone_core::{LegEvent, MediaCommand, MediaId, MediaRequest};
use dialtone_media::audio::{Clip, Ringback};
use dialtone_media::{Encoded, LegControl, PayloadSource};
use dialtone_prompt::{PromptError, PromptSource, SayRequest};
use dialtone_types::Sid;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::config::MediaTiming;

/// Twilio's words before it hangs up on a broken application.
pub(crate) const APPLICATION_ERROR_TEXT: &str =
    "We are sorry, an application error has occurred. Goodbye.";

/// How long a leg takes to send one RFC 4733 digit: `dialtone-media` sends 5 event ticks, 2
/// more end packets and 3 ticks of audio before the next digit, 20 ms each.
const DIGIT_ON_LEG: Duration = Duration::from_millis(200);

/// What playback tells the driver.
#[derive(Debug)]
pub(crate) enum Report {
    /// An event for the engine (`MediaFinished`, `MediaFailed`).
    Leg(Sid, LegEvent),
    /// No leg came for this command: play it on the simulated clock.
    Simulate(MediaRequest),
}

/// See the module docs.
pub(crate) struct Playback {
    prompts: Arc<dyn PromptSource>,
    timing: MediaTiming,
    reports: mpsc::UnboundedSender<Report>,
    calls: Mutex<HashMap<Sid, CallPlay>>,
}

impl std::fmt::Debug for Playback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Playback")
            .field("prompts", &self.prompts)
            .finish_non_exhaustive()
    }
}

/// The playback state of one call.
#[derive(Debug, Default)]
struct CallPlay {
    leg: Option<LegControl>,
    current: Option<(MediaId, State)>,
    ringback: Ring,
}

/// Where the call's media command is.
#[derive(Debug)]
enum State {
    /// Waiting for the call's leg.
    Queued(MediaRequest),
    /// The prompt is being made.
    Making,
    /// Playing on the leg as the leg's source `id`.
    Playing(u64),
    /// Digits being sent by a task.
    Digits(tokio::task::AbortHandle),
}

/// The call's ringback.
#[derive(Debug, Default)]
enum Ring {
    #[default]
    Off,
    /// Wanted, waiting for the leg.
    Wanted(Arc<str>),
    /// Playing as the leg's source `id`.
    Playing(u64),
}

impl Playback {
    /// The prompt source's cache answers, for metrics.
    pub(crate) fn prompt_stats(&self) -> Option<dialtone_prompt::CacheStats> {
        self.prompts.cache_stats()
    }

    pub(crate) fn new(
        prompts: Arc<dyn PromptSource>,
        timing: MediaTiming,
        reports: mpsc::UnboundedSender<Report>,
    ) -> Self {
        Self {
            prompts,
            timing,
            reports,
            calls: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Sid, CallPlay>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn report(&self, report: Report) {
        // The driver is gone only at shutdown; nothing waits for the report then.
        let _ = self.reports.send(report);
    }

    /// Plays `request` on its call's leg; gives it back when the call has no leg and will not
    /// get one (`carries_media` is false): the caller simulates it.
    pub(crate) fn media(
        self: &Arc<Self>,
        request: MediaRequest,
        carries_media: bool,
    ) -> Option<MediaRequest> {
        let mut calls = self.lock();
        let attached = calls.get(&request.call).is_some_and(|c| c.leg.is_some());
        if !attached && !carries_media {
            return Some(request);
        }
        let (call, id) = (request.call, request.id);
        let entry = calls.entry(call).or_default();
        if let Some(leg) = entry.leg.clone() {
            let state = self.start(&leg, request);
            entry.current = Some((id, state));
        } else {
            tracing::debug!(%call, media = id.0, "media waits for the call's leg");
            entry.current = Some((id, State::Queued(request)));
            let this = Arc::clone(self);
            let grace = self.timing.attach_grace;
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                this.grace_over(call, id);
            });
        }
        None
    }

    /// No leg came within the grace: the driver simulates the command.
    fn grace_over(&self, call: Sid, id: MediaId) {
        let mut calls = self.lock();
        let Some(entry) = calls.get_mut(&call) else {
            return;
        };
        if matches!(&entry.current, Some((m, State::Queued(_))) if *m == id)
            && let Some((_, State::Queued(request))) = entry.current.take()
        {
            tracing::debug!(%call, media = id.0, "no media leg in time; media simulated");
            self.report(Report::Simulate(request));
        }
    }

    /// Starts `request` on `leg`.
    fn start(self: &Arc<Self>, leg: &LegControl, request: MediaRequest) -> State {
        let (call, id) = (request.call, request.id);
        let span = tracing::debug_span!("playback", %call, media = id.0);
        match request.command {
            MediaCommand::Digits { digits } => {
                let this = Arc::clone(self);
                let leg = leg.clone();
                let per_digit = DIGIT_ON_LEG;
                let task = tokio::spawn(
                    async move {
                        send_digits(&leg, &digits, per_digit).await;
                        this.digits_sent(call, id);
                    }
                    .instrument(span),
                );
                State::Digits(task.abort_handle())
            }
            command => {
                let this = Arc::clone(self);
                tokio::spawn(
                    async move {
                        let made = this.make(&command).await;
                        this.made(call, id, made);
                    }
                    .instrument(span),
                );
                State::Making
            }
        }
    }

    /// The clip of `command` and how many times it plays.
    async fn make(&self, command: &MediaCommand) -> Result<(Clip, u32), PromptError> {
        match command {
            MediaCommand::Say {
                text,
                voice,
                language,
                loop_count,
            } => {
                let request = SayRequest {
                    text: text.clone(),
                    voice: voice.clone(),
                    language: language.clone(),
                };
                let clip = self.prompts.say(&request).await?;
                Ok((clip, self.passes(*loop_count)))
            }
            MediaCommand::Play { url, loop_count } => {
                let clip = self.prompts.play(url).await?;
                Ok((clip, self.passes(*loop_count)))
            }
            MediaCommand::ApplicationError => {
                let request = SayRequest {
                    text: APPLICATION_ERROR_TEXT.to_owned(),
                    voice: None,
                    language: None,
                };
                Ok((self.prompts.say(&request).await?, 1))
            }
            MediaCommand::Digits { .. } => Err(PromptError::Speech("digits are not a clip".into())),
        }
    }

    /// `loop="0"` repeats until the call moves on, capped as Twilio caps it (1000 passes).
    fn passes(&self, loop_count: u32) -> u32 {
        if loop_count == 0 {
            self.timing.endless_loops
        } else {
            loop_count
        }
    }

    /// The prompt of `id` is made (or failed): play it if it is still wanted.
    fn made(&self, call: Sid, id: MediaId, made: Result<(Clip, u32), PromptError>) {
        let mut calls = self.lock();
        let Some(entry) = calls.get_mut(&call) else {
            tracing::debug!("prompt for an ended call dropped");
            return;
        };
        if !matches!(&entry.current, Some((m, State::Making)) if *m == id) {
            tracing::debug!("prompt for a stopped command dropped");
            return;
        }
        let (clip, passes) = match made {
            Ok(made) => made,
            Err(e) => {
                tracing::info!(error = %e, code = e.code().0, "prompt failed");
                entry.current = None;
                self.report(Report::Leg(
                    call,
                    LegEvent::MediaFailed {
                        id,
                        code: e.code(),
                        message: e.to_string(),
                    },
                ));
                return;
            }
        };
        let Some(leg) = &entry.leg else {
            // The leg went while the prompt was made: nothing to play it on.
            entry.current = None;
            self.report(Report::Leg(call, LegEvent::MediaFinished(id)));
            return;
        };
        match Encoded::new(clip.player(Some(passes))) {
            Ok(source) => {
                tracing::debug!(frames = clip.len(), passes, "prompt plays");
                let played = leg.play(Box::new(source));
                entry.current = Some((id, State::Playing(played)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "no Opus encoder; media simulated");
                entry.current = None;
                let request = MediaRequest {
                    call,
                    id,
                    command: MediaCommand::Say {
                        text: String::new(),
                        voice: None,
                        language: None,
                        loop_count: passes,
                    },
                };
                self.report(Report::Simulate(request));
            }
        }
    }

    fn digits_sent(&self, call: Sid, id: MediaId) {
        let mut calls = self.lock();
        let Some(entry) = calls.get_mut(&call) else {
            return;
        };
        if matches!(&entry.current, Some((m, State::Digits(_))) if *m == id) {
            entry.current = None;
            self.report(Report::Leg(call, LegEvent::MediaFinished(id)));
        }
    }

    /// The engine stopped `id` early (a `<Gather>` digit): the leg stops it on its next
    /// 20 ms tick; nothing is reported.
    pub(crate) fn stop(&self, call: Sid, id: MediaId) {
        let mut calls = self.lock();
        let Some(entry) = calls.get_mut(&call) else {
            return;
        };
        if !matches!(&entry.current, Some((m, _)) if *m == id) {
            return;
        }
        match entry.current.take() {
            Some((_, State::Playing(played))) => {
                if let Some(leg) = &entry.leg {
                    leg.stop(played);
                }
            }
            Some((_, State::Digits(task))) => task.abort(),
            _ => {}
        }
    }

    /// The caller of a ringing `<Dial>` hears `tone`, now or once its leg attaches.
    pub(crate) fn ringback(&self, call: Sid, tone: Arc<str>) {
        let mut calls = self.lock();
        let entry = calls.entry(call).or_default();
        entry.ringback = Ring::Wanted(tone);
        start_ringback(call, entry);
    }

    /// The `<Dial>` bridged or ended: the ringback stops (before the bridge forwards audio).
    pub(crate) fn stop_ringback(&self, call: Sid) {
        let mut calls = self.lock();
        if let Some(entry) = calls.get_mut(&call)
            && let Ring::Playing(played) = std::mem::take(&mut entry.ringback)
            && let Some(leg) = &entry.leg
        {
            leg.stop(played);
        }
    }

    /// `call`'s leg is connected: what waited for it starts.
    pub(crate) fn attach(self: &Arc<Self>, call: Sid, leg: LegControl) {
        let mut calls = self.lock();
        let entry = calls.entry(call).or_default();
        start_ringback_on(call, entry, &leg);
        if matches!(entry.current, Some((_, State::Queued(_))))
            && let Some((id, State::Queued(request))) = entry.current.take()
        {
            tracing::debug!(%call, media = id.0, "queued media starts on the attached leg");
            let state = self.start(&leg, request);
            entry.current = Some((id, state));
        }
        entry.leg = Some(leg);
    }

    /// `call`'s leg is gone: what it played will not end by itself.
    pub(crate) fn detach(&self, call: Sid) {
        let Some(entry) = self.lock().remove(&call) else {
            return;
        };
        match entry.current {
            Some((id, State::Playing(_) | State::Making)) => {
                self.report(Report::Leg(call, LegEvent::MediaFinished(id)));
            }
            Some((_, State::Digits(task))) => task.abort(),
            _ => {}
        }
    }

    /// The leg of `call` finished playing its source `played` (ended, stopped or replaced).
    pub(crate) fn played(&self, call: Sid, played: u64) {
        let mut calls = self.lock();
        let Some(entry) = calls.get_mut(&call) else {
            return;
        };
        if matches!(entry.ringback, Ring::Playing(p) if p == played) {
            entry.ringback = Ring::Off;
            return;
        }
        if let Some((id, State::Playing(p))) = &entry.current
            && *p == played
        {
            let id = *id;
            entry.current = None;
            self.report(Report::Leg(call, LegEvent::MediaFinished(id)));
        }
    }

    /// The call ended: everything about it is forgotten (a late clip is dropped).
    pub(crate) fn forget(&self, call: Sid) {
        let Some(entry) = self.lock().remove(&call) else {
            return;
        };
        if let Some((_, State::Digits(task))) = &entry.current {
            task.abort();
        }
        if let Some(leg) = &entry.leg {
            if let Some((_, State::Playing(played))) = entry.current {
                leg.stop(played);
            }
            if let Ring::Playing(played) = entry.ringback {
                leg.stop(played);
            }
        }
    }
}

fn start_ringback(call: Sid, entry: &mut CallPlay) {
    if let Some(leg) = entry.leg.clone() {
        start_ringback_on(call, entry, &leg);
    }
}

/// Starts the wanted ringback of `entry` on `leg`.
fn start_ringback_on(call: Sid, entry: &mut CallPlay, leg: &LegControl) {
    let Ring::Wanted(tone) = &entry.ringback else {
        return;
    };
    match Encoded::new(Ringback::for_country(tone)) {
        Ok(source) => {
            tracing::debug!(%call, %tone, "ringback plays");
            let source: Box<dyn PayloadSource> = Box::new(source);
            entry.ringback = Ring::Playing(leg.play(source));
        }
        Err(e) => {
            tracing::warn!(%call, error = %e, "no Opus encoder; no ringback");
            entry.ringback = Ring::Off;
        }
    }
}

/// Sends `digits` as RFC 4733 events, pausing 0.5 s for each `w` and 1 s for each `W`, and
/// returns once the last one has been sent (`per_digit` each).
async fn send_digits(leg: &LegControl, digits: &str, per_digit: Duration) {
    let mut run = String::new();
    for c in digits.chars() {
        let pause = match c {
            'w' => Duration::from_millis(500),
            'W' => Duration::from_secs(1),
            c => {
                run.push(c);
                continue;
            }
        };
        flush_digits(leg, &mut run, per_digit).await;
        tokio::time::sleep(pause).await;
    }
    flush_digits(leg, &mut run, per_digit).await;
}

async fn flush_digits(leg: &LegControl, run: &mut String, per_digit: Duration) {
    if run.is_empty() {
        return;
    }
    leg.send_digits(run);
    let n = u32::try_from(run.chars().count()).unwrap_or(u32::MAX);
    tokio::time::sleep(per_digit.saturating_mul(n)).await;
    run.clear();
}
