//! A running leg as its owner sees it: events in, digits out, counters.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::mpsc;

use crate::port::{AudioLink, Background, PayloadSink, PayloadSource, PortCommand};
use crate::transcode::PcmSink;

/// What a leg reports to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// ICE and DTLS completed; audio is flowing from our side.
    Connected,
    /// The remote sent an RFC 4733 digit (reported once per digit).
    Digit(char),
    /// The leg stopped: connect timeout, remote gone, or a fatal WebRTC error.
    Failed(String),
    /// The source started by [`MediaLeg::play`] with this id ended, or was stopped or replaced.
    Played(u64),
}

/// Packet counters of one leg.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaStats {
    /// RTP packets sent (audio and telephone-event).
    pub rtp_sent: u64,
    /// RTP packets received.
    pub rtp_received: u64,
    /// RTP packets missing according to the remote's sequence numbers.
    pub rtp_lost: u64,
    /// RTCP packets sent.
    pub rtcp_sent: u64,
    /// RTCP packets received.
    pub rtcp_received: u64,
    /// Audio frames missing between the remote's Opus packets by RTP timestamp: lost on the
    /// way (those are in `rtp_lost` too) or never sent by a remote that fell behind.
    pub audio_gaps: u64,
    /// Audio frames this leg skipped because it woke too late to send them in time (its RTP
    /// timestamps jump over them).
    pub rtp_skipped: u64,
    /// Our RTP packets the remote should have received by its latest RTCP receiver report:
    /// from our first packet to the highest sequence number it reported (0 before a report).
    pub remote_expected: u64,
    /// Our RTP packets lost by the remote's latest receiver report (its cumulative count, from
    /// the first packet it received).
    pub remote_lost: u64,
}

/// Counters and signals shared between the running leg (its task, then its shard) and its handle.
#[derive(Debug, Default)]
pub(crate) struct SharedStats {
    pub(crate) rtp_sent: AtomicU64,
    pub(crate) rtp_received: AtomicU64,
    pub(crate) rtp_lost: AtomicU64,
    pub(crate) rtcp_sent: AtomicU64,
    pub(crate) rtcp_received: AtomicU64,
    pub(crate) audio_gaps: AtomicU64,
    pub(crate) rtp_skipped: AtomicU64,
    pub(crate) remote_expected: AtomicU64,
    pub(crate) remote_lost: AtomicU64,
    /// Set by the handle after queueing a command: a shard reads the command channel only then
    /// (an empty channel read per leg per tick is measurable at thousands of legs).
    pub(crate) commands_waiting: AtomicBool,
    /// Set when the handle is dropped: the shard stops the leg on its next tick.
    pub(crate) dropped: AtomicBool,
}

impl Drop for SharedStats {
    fn drop(&mut self) {
        crate::totals::retire(self);
    }
}

impl SharedStats {
    fn snapshot(&self) -> MediaStats {
        MediaStats {
            rtp_sent: self.rtp_sent.load(Ordering::Relaxed),
            rtp_received: self.rtp_received.load(Ordering::Relaxed),
            rtp_lost: self.rtp_lost.load(Ordering::Relaxed),
            rtcp_sent: self.rtcp_sent.load(Ordering::Relaxed),
            rtcp_received: self.rtcp_received.load(Ordering::Relaxed),
            audio_gaps: self.audio_gaps.load(Ordering::Relaxed),
            rtp_skipped: self.rtp_skipped.load(Ordering::Relaxed),
            remote_expected: self.remote_expected.load(Ordering::Relaxed),
            remote_lost: self.remote_lost.load(Ordering::Relaxed),
        }
    }
}

/// Commands from the handle to the running leg.
#[derive(Debug)]
pub(crate) enum Command {
    Digits(String),
    Port(PortCommand),
}

/// A running media leg; dropping it stops the leg and frees the socket.
pub struct MediaLeg {
    events: mpsc::UnboundedReceiver<MediaEvent>,
    control: LegControl,
    task: tokio::task::AbortHandle,
    local: SocketAddr,
}

/// What others may do to a running leg's audio (play, forward, digits) without owning it: the
/// leg's owner keeps the [`MediaLeg`] (its events and its life), a bridge or a prompt player
/// holds a control. Cheap to clone; commands to a stopped leg go nowhere.
#[derive(Clone)]
pub struct LegControl {
    commands: mpsc::UnboundedSender<Command>,
    stats: Arc<SharedStats>,
    link: AudioLink,
    next_play: Arc<AtomicU64>,
}

impl fmt::Debug for LegControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegControl")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MediaLeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaLeg")
            .field("local", &self.local)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl MediaLeg {
    pub(crate) fn new(
        events: mpsc::UnboundedReceiver<MediaEvent>,
        commands: mpsc::UnboundedSender<Command>,
        stats: Arc<SharedStats>,
        task: tokio::task::AbortHandle,
        local: SocketAddr,
        link: AudioLink,
    ) -> Self {
        Self {
            events,
            control: LegControl {
                commands,
                stats,
                link,
                next_play: Arc::new(AtomicU64::new(1)),
            },
            task,
            local,
        }
    }

    /// A handle on this leg's audio for others (see [`LegControl`]).
    pub fn control(&self) -> LegControl {
        self.control.clone()
    }

    /// The local address of the leg's UDP socket (its only ICE candidate).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Next event; `None` once the leg stopped and all events were read.
    pub async fn event(&mut self) -> Option<MediaEvent> {
        self.events.recv().await
    }

    /// Sends RFC 4733 digits (`0-9 * # A-D`, others ignored) one after the other.
    pub fn send_digits(&self, digits: &str) {
        self.control.send_digits(digits);
    }

    /// See [`LegControl::link`].
    pub fn link(&self) -> AudioLink {
        self.control.link()
    }

    /// See [`LegControl::forward_to`].
    pub fn forward_to(&self, link: Option<AudioLink>) {
        self.control.forward_to(link);
    }

    /// See [`LegControl::set_background`].
    pub fn set_background(&self, background: Background) {
        self.control.set_background(background);
    }

    /// See [`LegControl::play`].
    pub fn play(&self, source: Box<dyn PayloadSource>) -> u64 {
        self.control.play(source)
    }

    /// See [`LegControl::stop`].
    pub fn stop(&self, id: u64) {
        self.control.stop(id);
    }

    /// Packet counters so far.
    pub fn stats(&self) -> MediaStats {
        self.control.stats.snapshot()
    }

    /// Stops the leg and frees its socket.
    pub fn close(self) {
        drop(self);
    }
}

impl Drop for MediaLeg {
    fn drop(&mut self) {
        self.control.stats.dropped.store(true, Ordering::Release);
        self.task.abort();
    }
}

impl LegControl {
    /// Sends RFC 4733 digits (`0-9 * # A-D`, others ignored) one after the other.
    pub fn send_digits(&self, digits: &str) {
        // A stopped leg has nobody to send to; dropping the digits is all there is to do.
        let _ = self.commands.send(Command::Digits(digits.to_owned()));
        self.stats.commands_waiting.store(true, Ordering::Release);
    }

    /// This leg's inbox: another leg [forwarding](Self::forward_to) here has its received audio
    /// sent by this leg (once it sends [`Background::Forwarded`]).
    pub fn link(&self) -> AudioLink {
        self.link.clone()
    }

    /// Forwards every Opus payload this leg receives to `link` (`None` stops), undecoded.
    pub fn forward_to(&self, link: Option<AudioLink>) {
        self.port(PortCommand::ForwardTo(link));
    }

    /// Decodes every Opus payload this leg receives (jitter buffer, PLC) and queues the frames
    /// on `link`, whose leg encodes them ([`Background::Transcoded`]); `None` stops. See
    /// [`crate::transcode`].
    pub fn decode_to(&self, link: Option<AudioLink>) {
        self.port(PortCommand::DecodeTo(link));
    }

    /// Gives every frame this leg receives, decoded, to `sink` (`None` removes it); the leg
    /// decodes while a sink or [`decode_to`](Self::decode_to) is set.
    pub fn pcm_tap(&self, sink: Option<Box<dyn PcmSink>>) {
        self.port(PortCommand::PcmTap(sink));
    }

    /// What the leg sends when nothing plays: silence, or what is forwarded to its link.
    pub fn set_background(&self, background: Background) {
        self.port(PortCommand::Background(background));
    }

    /// Gives every Opus payload this leg receives to `sink` as well (`None` removes it).
    pub fn tap(&self, sink: Option<Box<dyn PayloadSink>>) {
        self.port(PortCommand::Tap(sink));
    }

    /// Gives every Opus payload this leg sends (played sources, forwarded or transcoded audio;
    /// not digits, not silence) to `sink` as well (`None` removes it): the leg's outbound track.
    pub fn sent_tap(&self, sink: Option<Box<dyn PayloadSink>>) {
        self.port(PortCommand::SentTap(sink));
    }

    /// Plays `source` over the background until it ends ([`MediaEvent::Played`] with the
    /// returned id), replacing whatever played.
    pub fn play(&self, source: Box<dyn PayloadSource>) -> u64 {
        let id = self.next_play.fetch_add(1, Ordering::Relaxed);
        self.port(PortCommand::Play(id, source));
        id
    }

    /// Stops the source `id` if it still plays ([`MediaEvent::Played`] follows).
    pub fn stop(&self, id: u64) {
        self.port(PortCommand::Stop(id));
    }

    fn port(&self, command: PortCommand) {
        // A stopped leg sends nothing any more; the command has nowhere to go.
        let _ = self.commands.send(Command::Port(command));
        self.stats.commands_waiting.store(true, Ordering::Release);
    }
}
