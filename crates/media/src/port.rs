//! A leg's audio port: what it sends on each tick, and where what it receives goes.
//!
//! A bridge must cost no codec work when both legs speak the same Opus: a leg can forward the
//! Opus payloads it receives to another leg's [`AudioLink`], and that leg sends them, one per
//! tick, as its own packets (its own SSRC, sequence numbers and timestamps). Something that
//! produces audio (a tone, a prompt, a file) is a [`PayloadSource`] the leg plays instead;
//! when it runs out the leg reports [`MediaEvent::Played`](crate::MediaEvent::Played) and goes
//! back to what it sent before. Everything here runs on the leg's own tick: no task, no timer.
//!
//! When something needs PCM the bridge transcodes instead ([`crate::transcode`]): the
//! receiving leg decodes to frames it pushes to the partner's link, and the partner encodes
//! them ([`Background::Transcoded`]).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::audio::Frame;
use crate::transcode::{Decoding, Encoding, PcmSink};

/// Payloads a link holds at most (160 ms): a partner on another shard ticks out of phase, so
/// a link holds one or two; more means the receiver fell behind, and the oldest are dropped.
const LINK_DEPTH: usize = 8;

/// A producer of 20 ms Opus payloads, one per tick; `None` when it has ended.
pub trait PayloadSource: Send + fmt::Debug {
    /// The next payload to send.
    fn next_payload(&mut self) -> Option<Vec<u8>>;
}

/// A consumer of the Opus payloads a leg receives (a recorder, the simulator's "heard" buffer),
/// called on the leg's tick: it must not block.
pub trait PayloadSink: Send + fmt::Debug {
    /// One received payload, in arrival order.
    fn payload(&mut self, payload: &[u8]);
}

/// The inbox of a leg that sends what other legs forward to it (Opus payloads, or decoded
/// frames for a transcoding bridge); cheap to clone.
#[derive(Clone, Default)]
pub struct AudioLink(Arc<Mutex<Inbox>>);

#[derive(Debug, Default)]
struct Inbox {
    payloads: VecDeque<Vec<u8>>,
    frames: VecDeque<Frame>,
}

/// Pushes onto a bounded queue, dropping the oldest when full.
fn push_bounded<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() >= LINK_DEPTH {
        queue.pop_front();
    }
    queue.push_back(item);
}

impl fmt::Debug for AudioLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioLink")
            .field("queued", &self.queued())
            .finish()
    }
}

impl AudioLink {
    /// Queues a payload; the oldest is dropped when the link is full.
    pub(crate) fn push(&self, payload: Vec<u8>) {
        push_bounded(&mut self.lock().payloads, payload);
    }

    /// Queues a decoded frame; the oldest is dropped when the link is full.
    pub(crate) fn push_frame(&self, frame: &Frame) {
        push_bounded(&mut self.lock().frames, *frame);
    }

    fn pop(&self) -> Option<Vec<u8>> {
        self.lock().payloads.pop_front()
    }

    pub(crate) fn pop_frame(&self) -> Option<Frame> {
        self.lock().frames.pop_front()
    }

    fn clear(&self) {
        let mut inbox = self.lock();
        inbox.payloads.clear();
        inbox.frames.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inbox> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes every payload waiting (a link no leg sends from is a tap: the last 160 ms of what
    /// was forwarded to it).
    pub fn drain(&self) -> Vec<Vec<u8>> {
        self.lock().payloads.drain(..).collect()
    }

    /// Payloads (or frames) waiting to be sent.
    pub fn queued(&self) -> usize {
        let inbox = self.lock();
        inbox.payloads.len() + inbox.frames.len()
    }
}

/// What a leg sends when nothing is playing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Background {
    /// Opus silence.
    #[default]
    Silence,
    /// What other legs forward to this leg's link (silence when the link is empty).
    Forwarded,
    /// The frames other legs decode into this leg's link, encoded by this leg (silence when
    /// the link is empty): the sending half of a transcoding bridge.
    Transcoded,
}

/// Commands that change the port, sent by the leg's handle.
#[derive(Debug)]
pub(crate) enum PortCommand {
    ForwardTo(Option<AudioLink>),
    DecodeTo(Option<AudioLink>),
    PcmTap(Option<Box<dyn PcmSink>>),
    Tap(Option<Box<dyn PayloadSink>>),
    SentTap(Option<Box<dyn PayloadSink>>),
    Background(Background),
    Play(u64, Box<dyn PayloadSource>),
    Stop(u64),
}

/// The port's state, owned by the leg's driver.
#[derive(Debug, Default)]
pub(crate) struct Port {
    link: AudioLink,
    forward_to: Option<AudioLink>,
    tap: Option<Box<dyn PayloadSink>>,
    /// Given every payload the leg sends (its outbound track: prompts, forwarded audio).
    sent_tap: Option<Box<dyn PayloadSink>>,
    /// Where decoded frames go (a transcoding bridge's partner).
    decode_to: Option<AudioLink>,
    pcm_tap: Option<Box<dyn PcmSink>>,
    /// Present while `decode_to` or `pcm_tap` is: nothing is decoded otherwise.
    decoding: Option<Decoding>,
    encoding: Encoding,
    background: Background,
    playing: Option<(u64, Box<dyn PayloadSource>)>,
}

/// What one tick sends.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tick {
    /// The payload, or `None` for silence.
    pub payload: Option<Vec<u8>>,
    /// A played source that ended on this tick.
    pub ended: Option<u64>,
}

impl Port {
    pub(crate) fn new(link: AudioLink) -> Self {
        Self {
            link,
            ..Self::default()
        }
    }

    /// Applies a command; returns the id of a source it stopped.
    pub(crate) fn command(&mut self, command: PortCommand) -> Option<u64> {
        match command {
            PortCommand::ForwardTo(link) => {
                self.forward_to = link;
                None
            }
            PortCommand::Tap(sink) => {
                self.tap = sink;
                None
            }
            PortCommand::SentTap(sink) => {
                self.sent_tap = sink;
                None
            }
            PortCommand::DecodeTo(link) => {
                self.decode_to = link;
                self.update_decoding();
                None
            }
            PortCommand::PcmTap(sink) => {
                self.pcm_tap = sink;
                self.update_decoding();
                None
            }
            PortCommand::Background(background) => {
                if background != self.background {
                    // What was forwarded while nobody listened is stale.
                    self.link.clear();
                }
                self.background = background;
                None
            }
            PortCommand::Play(id, source) => {
                let replaced = self.playing.take().map(|(old, _)| old);
                self.playing = Some((id, source));
                replaced
            }
            PortCommand::Stop(id) => {
                if self.playing.as_ref().is_some_and(|(p, _)| *p == id) {
                    self.playing = None;
                    return Some(id);
                }
                None
            }
        }
    }

    /// Makes the decoder when PCM is first wanted, drops it when nobody wants PCM any more.
    fn update_decoding(&mut self) {
        if self.decode_to.is_none() && self.pcm_tap.is_none() {
            self.decoding = None;
        } else if self.decoding.is_none() {
            self.decoding = Decoding::new();
        }
    }

    /// Frames decoded so far by the decoder in use (0 when the port decodes nothing).
    #[cfg(test)]
    pub(crate) fn decoded_frames(&self) -> u64 {
        self.decoding.as_ref().map_or(0, |d| d.frames)
    }

    /// True when received audio is wanted by someone.
    pub(crate) fn wants_received(&self) -> bool {
        self.forward_to.is_some() || self.tap.is_some() || self.decoding.is_some()
    }

    /// A received Opus payload (RTP sequence number and timestamp, arrival time).
    pub(crate) fn received(&mut self, seq: u16, timestamp: u32, payload: &[u8], now: Instant) {
        if let Some(link) = &self.forward_to {
            link.push(payload.to_vec());
        }
        if let Some(tap) = &mut self.tap {
            tap.payload(payload);
        }
        if let Some(decoding) = &mut self.decoding {
            decoding.push(seq, timestamp, payload, now);
        }
    }

    /// What to send on the tick at `now` (and, when decoding, this tick's received frame);
    /// the sent tap sees the payload (nothing on a silent tick).
    pub(crate) fn tick(&mut self, now: Instant) -> Tick {
        let tick = self.next_tick(now);
        if let (Some(sink), Some(payload)) = (&mut self.sent_tap, &tick.payload) {
            sink.payload(payload);
        }
        tick
    }

    fn next_tick(&mut self, now: Instant) -> Tick {
        if let Some(frame) = self.decoding.as_mut().and_then(|d| d.pop(now)) {
            if let Some(sink) = &mut self.pcm_tap {
                sink.frame(&frame);
            }
            if let Some(link) = &self.decode_to {
                link.push_frame(&frame);
            }
        }
        let mut ended = None;
        if let Some((id, source)) = &mut self.playing {
            if let Some(payload) = source.next_payload() {
                // Keep the link drained while a source plays over it (without encoding).
                match self.background {
                    Background::Forwarded => drop(self.link.pop()),
                    Background::Transcoded => drop(self.link.pop_frame()),
                    Background::Silence => {}
                }
                return Tick {
                    payload: Some(payload),
                    ended: None,
                };
            }
            ended = Some(*id);
            self.playing = None;
        }
        let payload = match self.background {
            Background::Forwarded => self.link.pop(),
            Background::Transcoded => self.encoding.next(&self.link),
            Background::Silence => None,
        };
        Tick { payload, ended }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Count(u8, u8);

    impl PayloadSource for Count {
        fn next_payload(&mut self) -> Option<Vec<u8>> {
            (self.0 < self.1).then(|| {
                self.0 += 1;
                vec![self.0]
            })
        }
    }

    fn payloads(port: &mut Port, n: usize) -> Vec<Tick> {
        (0..n).map(|_| port.tick(Instant::now())).collect()
    }

    #[test]
    fn silence_by_default_and_sources_end_once() {
        let mut port = Port::new(AudioLink::default());
        assert_eq!(
            port.tick(Instant::now()),
            Tick {
                payload: None,
                ended: None
            }
        );
        assert_eq!(
            port.command(PortCommand::Play(7, Box::new(Count(0, 2)))),
            None
        );
        assert_eq!(
            payloads(&mut port, 4),
            [
                Tick {
                    payload: Some(vec![1]),
                    ended: None
                },
                Tick {
                    payload: Some(vec![2]),
                    ended: None
                },
                Tick {
                    payload: None,
                    ended: Some(7)
                },
                Tick {
                    payload: None,
                    ended: None
                },
            ]
        );
        port.command(PortCommand::Play(8, Box::new(Count(0, 9))));
        assert_eq!(
            port.command(PortCommand::Play(9, Box::new(Count(0, 9)))),
            Some(8),
            "a new source replaces the old one"
        );
        assert_eq!(port.command(PortCommand::Stop(8)), None);
        assert_eq!(port.command(PortCommand::Stop(9)), Some(9));
    }

    #[derive(Debug, Clone, Default)]
    struct Seen(Arc<Mutex<Vec<Vec<u8>>>>);

    impl PayloadSink for Seen {
        fn payload(&mut self, payload: &[u8]) {
            self.0.lock().unwrap().push(payload.to_vec());
        }
    }

    #[test]
    fn the_sent_tap_sees_what_the_leg_sends_and_the_tap_what_it_receives() {
        let link = AudioLink::default();
        let mut port = Port::new(link.clone());
        let (sent, received) = (Seen::default(), Seen::default());
        port.command(PortCommand::SentTap(Some(Box::new(sent.clone()))));
        port.command(PortCommand::Tap(Some(Box::new(received.clone()))));
        port.command(PortCommand::Background(Background::Forwarded));
        port.received(0, 0, &[9], Instant::now());
        link.push(vec![5]);
        port.command(PortCommand::Play(1, Box::new(Count(0, 1))));
        let sent_now: Vec<_> = payloads(&mut port, 3)
            .into_iter()
            .map(|t| t.payload)
            .collect();
        assert_eq!(sent_now, [Some(vec![1]), None, None]);
        // The forwarded payload was drained under the played one: only what went out is seen.
        assert_eq!(*sent.0.lock().unwrap(), [vec![1]]);
        link.push(vec![6]);
        port.tick(Instant::now());
        assert_eq!(*sent.0.lock().unwrap(), [vec![1], vec![6]]);
        assert_eq!(*received.0.lock().unwrap(), [vec![9]]);
        port.command(PortCommand::SentTap(None));
        link.push(vec![7]);
        port.tick(Instant::now());
        assert_eq!(sent.0.lock().unwrap().len(), 2);
    }

    #[test]
    fn forwarding_moves_payloads_between_ports_in_order() {
        let (a_link, b_link) = (AudioLink::default(), AudioLink::default());
        let mut a = Port::new(a_link.clone());
        let mut b = Port::new(b_link.clone());
        assert!(!a.wants_received());
        a.command(PortCommand::ForwardTo(Some(b_link.clone())));
        b.command(PortCommand::Background(Background::Forwarded));
        assert!(a.wants_received());
        for p in 0..3u8 {
            a.received(0, 0, &[p], Instant::now());
        }
        assert_eq!(b_link.queued(), 3);
        let sent: Vec<_> = payloads(&mut b, 4).into_iter().map(|t| t.payload).collect();
        assert_eq!(sent, [Some(vec![0]), Some(vec![1]), Some(vec![2]), None]);
        // A full link drops the oldest.
        for p in 0..20u8 {
            a.received(0, 0, &[p], Instant::now());
        }
        assert_eq!(b_link.queued(), LINK_DEPTH);
        assert_eq!(b.tick(Instant::now()).payload, Some(vec![12]));
        // A source plays over the forwarded audio, which keeps draining.
        b.command(PortCommand::Play(1, Box::new(Count(0, 1))));
        assert_eq!(b.tick(Instant::now()).payload, Some(vec![1]));
        assert_eq!(b_link.queued(), LINK_DEPTH - 2);
        // Back to silence: the stale payloads go.
        b.command(PortCommand::Background(Background::Silence));
        assert_eq!(b_link.queued(), 0);
        a.command(PortCommand::ForwardTo(None));
        a.received(0, 0, &[1], Instant::now());
        assert_eq!(b_link.queued(), 0);
    }
}
