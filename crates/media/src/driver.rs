//! One leg's str0m `Rtc` and UDP socket, and the task that connects it.
//!
//! Every mutation (a received datagram, a timeout, an RTP write, a direct-API call) is followed
//! by draining `poll_output` until it returns the next timeout (str0m's single-mutation
//! contract). Until ICE and DTLS complete, the leg has its own task that wakes on each datagram,
//! command or timer, so the handshake is not slowed down. Once connected, the leg is handed to a
//! shard ([`crate::shard`]) that serves many legs on one shared audio tick: a connected leg then
//! costs no task, no timer and no reactor registration of its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use str0m::media::{Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo, Ssrc};
use str0m::{Candidate, Event, IceConnectionState, IceCreds, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use tracing::debug;

use crate::MediaEvent;
use crate::counters::{GapCounter, LossCounter, Wire, classify, rtp_ssrc};
use crate::dtmf::{DigitReceiver, DigitSender};
use crate::leg::{Command, SharedStats};
use crate::port::{AudioLink, Port};
use crate::sdp::RemoteSdp;
use crate::shard::Pool;

/// A connected leg that hears nothing (no STUN, no RTP, no RTCP) for this long has lost its peer.
pub(crate) const REMOTE_SILENCE_LIMIT: Duration = Duration::from_secs(10);
/// At most this many remote SSRCs are latched (a remote normally uses one).
const MAX_REMOTE_SSRCS: usize = 4;
/// After a stall, at most this many late audio ticks are sent back to back.
const MAX_CATCH_UP: u32 = 3;
/// Receive buffer: str0m's maximum datagram size.
pub(crate) const BUF_SIZE: usize = 2000;
/// At most this many datagrams are read from one leg's socket per shard tick.
const MAX_RECV_PER_TICK: usize = 32;

/// The leg's socket: registered with tokio while connecting, a plain non-blocking socket read on
/// the shard's tick once connected.
#[derive(Debug)]
pub(crate) enum Socket {
    Tokio(UdpSocket),
    Polled(std::net::UdpSocket),
}

impl Socket {
    fn try_send_to(&self, data: &[u8], to: SocketAddr) -> std::io::Result<usize> {
        match self {
            Self::Tokio(s) => s.try_send_to(data, to),
            Self::Polled(s) => s.send_to(data, to),
        }
    }

    fn try_recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
        match self {
            Self::Tokio(s) => s.try_recv_from(buf),
            Self::Polled(s) => s.recv_from(buf),
        }
    }

    /// Waits for a datagram (only a socket still registered with tokio can wait).
    async fn recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
        match self {
            Self::Tokio(s) => s.recv_from(buf).await,
            Self::Polled(_) => std::future::pending().await,
        }
    }

    /// Takes the socket out of tokio's reactor (it stays non-blocking).
    fn into_polled(self) -> std::io::Result<Self> {
        match self {
            Self::Tokio(s) => s.into_std().map(Self::Polled),
            polled @ Self::Polled(_) => Ok(polled),
        }
    }
}

/// The payload types and clocks the leg sends with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Codecs {
    pub(crate) opus: u8,
    pub(crate) telephone_event: Option<(u8, u32)>,
}

/// What the leg applies once the remote SDP is known.
#[derive(Debug)]
pub(crate) struct Remote {
    pub(crate) sdp: RemoteSdp,
    /// `true` when we are the DTLS client.
    pub(crate) dtls_active: bool,
}

/// A leg ready to run: built by the engine, consumed by [`Driver::run`].
pub(crate) struct Driver {
    pub(crate) rtc: Box<Rtc>,
    pub(crate) socket: Socket,
    pub(crate) local: SocketAddr,
    pub(crate) mid: Mid,
    pub(crate) ssrc: Ssrc,
    pub(crate) codecs: Codecs,
    pub(crate) ptime: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) controlling: bool,
    pub(crate) events: mpsc::UnboundedSender<MediaEvent>,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) stats: Arc<SharedStats>,
    /// The inbox other legs forward audio to.
    pub(crate) link: AudioLink,
    /// Where the leg goes once connected (taken at the handoff).
    pub(crate) pool: Option<Arc<Pool>>,
}

/// Mutable state of a running leg.
pub(crate) struct State {
    rtc_timeout: Instant,
    connect_deadline: Instant,
    connected: bool,
    last_heard: Instant,
    next_tick: Option<Instant>,
    seq: u64,
    /// The sequence number of our first packet (the base of the remote's reports).
    first_seq: u64,
    rtp_time: u32,
    digits: DigitSender,
    digit_rx: DigitReceiver,
    loss: LossCounter,
    latched: Vec<u32>,
    gaps: GapCounter,
    port: Port,
}

impl Driver {
    /// Applies the remote SDP and runs until failure or until the handle is dropped.
    pub(crate) async fn run(mut self, remote: Remote) {
        let now = Instant::now();
        let first_seq = u64::from(rand_u16());
        let mut state = State {
            rtc_timeout: now,
            connect_deadline: now + self.connect_timeout,
            connected: false,
            last_heard: now,
            next_tick: None,
            seq: first_seq,
            first_seq,
            rtp_time: rand_u32(),
            digits: DigitSender::default(),
            digit_rx: DigitReceiver::default(),
            loss: LossCounter::default(),
            latched: Vec::new(),
            gaps: GapCounter::default(),
            port: Port::new(self.link.clone()),
        };
        let result = match self.apply(&mut state, &remote) {
            Ok(()) => self.run_loop(&mut state).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(true) => self.hand_off(state),
            Ok(false) => {}
            Err(reason) => self.fail(reason),
        }
    }

    /// Reports the leg's failure to its owner.
    pub(crate) fn fail(&self, reason: String) {
        debug!(local = %self.local, %reason, "media leg failed");
        let _ = self.events.send(MediaEvent::Failed(reason));
    }

    /// Gives the connected leg to a shard: its socket leaves tokio's reactor and is read on the
    /// shard's tick from now on.
    fn hand_off(mut self, state: State) {
        let Some(pool) = self.pool.take() else {
            return;
        };
        self.socket = match self.socket.into_polled() {
            Ok(socket) => socket,
            Err(e) => {
                debug!(local = %self.local, error = %e, "media socket handoff");
                let _ = self
                    .events
                    .send(MediaEvent::Failed(format!("media socket: {e}")));
                return;
            }
        };
        pool.adopt(self, state);
    }

    /// Serves a connected leg on a shard tick: commands, received datagrams, due audio ticks
    /// (those scheduled up to `due_by`) and str0m's timers. `Ok(false)` when the owner dropped
    /// the leg.
    pub(crate) fn service(
        &mut self,
        state: &mut State,
        due_by: Instant,
        buf: &mut [u8],
    ) -> Result<bool, String> {
        if self.stats.dropped.load(Ordering::Acquire) {
            return Ok(false);
        }
        if self.stats.commands_waiting.load(Ordering::Relaxed)
            && self.stats.commands_waiting.swap(false, Ordering::Acquire)
        {
            loop {
                match self.commands.try_recv() {
                    Ok(command) => self.command(state, command),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return Ok(false),
                }
            }
        }
        for _ in 0..MAX_RECV_PER_TICK {
            match self.socket.try_recv_from(buf) {
                Ok((n, source)) => self.receive(state, &buf[..n], source)?,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    debug!(local = %self.local, error = %e, "media socket receive");
                    break;
                }
            }
        }
        self.on_timer(state, due_by)?;
        Ok(true)
    }

    fn command(&self, state: &mut State, command: Command) {
        match command {
            Command::Digits(digits) => state.digits.push(&digits),
            Command::Port(command) => {
                if let Some(stopped) = state.port.command(command) {
                    let _ = self.events.send(MediaEvent::Played(stopped));
                }
            }
        }
    }

    fn apply(&mut self, state: &mut State, remote: &Remote) -> Result<(), String> {
        let sdp = &remote.sdp;
        debug!(
            local = %self.local,
            remote_ice_lite = sdp.ice_lite,
            dtls_active = remote.dtls_active,
            "applying remote SDP"
        );
        let mut api = self.rtc.direct_api();
        api.set_ice_controlling(self.controlling);
        api.set_remote_ice_credentials(IceCreds {
            ufrag: sdp.ufrag.clone(),
            pass: sdp.pwd.clone(),
        });
        api.set_remote_fingerprint(sdp.fingerprint.clone());
        self.drain(state)?;
        let candidates: Vec<Candidate> = sdp.usable_candidates(self.local);
        for candidate in candidates {
            self.rtc.add_remote_candidate(candidate);
            self.drain(state)?;
        }
        self.rtc
            .direct_api()
            .start_dtls(remote.dtls_active)
            .map_err(|e| format!("DTLS start: {e}"))?;
        self.drain(state)?;
        // A passive DTLS side has no timer of its own yet; one timeout input starts the ICE
        // agent's checks now instead of at the next unrelated wake-up.
        self.rtc
            .handle_input(Input::Timeout(Instant::now()))
            .map_err(|e| format!("WebRTC: {e}"))?;
        self.drain(state)
    }

    /// Runs until the leg connects (`Ok(true)`: hand it off) or its owner drops it
    /// (`Ok(false)`).
    async fn run_loop(&mut self, state: &mut State) -> Result<bool, String> {
        let mut buf = vec![0u8; BUF_SIZE];
        // One timer for the leg's life, moved instead of re-created on every wake.
        let sleep = tokio::time::sleep_until(state.rtc_timeout.into());
        tokio::pin!(sleep);
        loop {
            if state.connected {
                return Ok(true);
            }
            let deadline = state.rtc_timeout.min(state.connect_deadline);
            let deadline = tokio::time::Instant::from_std(deadline);
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    Some(command) => self.command(state, command),
                    None => return Ok(false),
                },
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, source)) => self.receive(state, &buf[..n], source)?,
                    Err(e) => debug!(local = %self.local, error = %e, "media socket receive"),
                },
                () = &mut sleep => self.on_timer(state, Instant::now())?,
            }
        }
    }

    /// Sends the audio ticks scheduled up to `due_by` and runs str0m's timers.
    fn on_timer(&mut self, state: &mut State, due_by: Instant) -> Result<(), String> {
        let now = Instant::now();
        if !state.connected && now >= state.connect_deadline {
            return Err(format!(
                "ICE/DTLS did not complete within {} ms",
                self.connect_timeout.as_millis()
            ));
        }
        if state.connected && now >= state.last_heard + REMOTE_SILENCE_LIMIT {
            return Err(format!(
                "no packets from the remote for {} s",
                REMOTE_SILENCE_LIMIT.as_secs()
            ));
        }
        let mut sent = 0;
        while let Some(tick) = state.next_tick.filter(|t| *t <= due_by) {
            if sent < MAX_CATCH_UP {
                self.send_tick(state, tick)?;
                sent += 1;
            } else {
                // Too far behind: skip the frame but keep the media clock right.
                state.rtp_time = state.rtp_time.wrapping_add(self.samples_per_tick());
                self.stats.rtp_skipped.fetch_add(1, Ordering::Relaxed);
            }
            state.next_tick = Some(tick + self.ptime);
        }
        // str0m's own timers (ICE consent, DTLS, RTCP) run only when it asked for them: most
        // ticks just write and flush one packet.
        if now < state.rtc_timeout {
            return Ok(());
        }
        self.rtc
            .handle_input(Input::Timeout(now))
            .map_err(|e| format!("WebRTC: {e}"))?;
        self.drain(state)
    }

    fn samples_per_tick(&self) -> u32 {
        u32::try_from(self.ptime.as_micros() * 48 / 1000).unwrap_or(960)
    }

    /// Sends this tick's packet: a digit's event packet if one is due, else what the port gives
    /// (a playing source, forwarded audio) or Opus silence.
    fn send_tick(&mut self, state: &mut State, wallclock: Instant) -> Result<(), String> {
        let tone = self.codecs.telephone_event.and_then(|(pt, clock)| {
            let units = u32::try_from(self.ptime.as_micros() * u128::from(clock) / 1_000_000)
                .unwrap_or(160);
            state
                .digits
                .tick(state.rtp_time, units)
                .map(|tone| (pt, tone))
        });
        let write = if let Some((pt, tone)) = tone {
            RtpWrite::new(
                Pt::from(pt),
                SeqNo::from(state.seq),
                tone.timestamp,
                wallclock,
                tone.payload.to_vec(),
            )
            .marker(tone.marker)
        } else {
            let tick = state.port.tick(Instant::now());
            if let Some(id) = tick.ended {
                let _ = self.events.send(MediaEvent::Played(id));
            }
            RtpWrite::new(
                Pt::from(self.codecs.opus),
                SeqNo::from(state.seq),
                state.rtp_time,
                wallclock,
                tick.payload.unwrap_or_else(|| opus_silence(self.ptime)),
            )
        };
        state.seq += 1;
        state.rtp_time = state.rtp_time.wrapping_add(self.samples_per_tick());
        {
            let mut api = self.rtc.direct_api();
            let Some(stream) = api.stream_tx(&self.ssrc) else {
                return Err("send stream vanished".into());
            };
            stream.write_rtp(write);
        }
        self.drain(state)
    }

    fn receive(
        &mut self,
        state: &mut State,
        data: &[u8],
        source: SocketAddr,
    ) -> Result<(), String> {
        let now = Instant::now();
        state.last_heard = now;
        match classify(data) {
            Wire::Rtcp => {
                self.stats.rtcp_received.fetch_add(1, Ordering::Relaxed);
            }
            Wire::Rtp => {
                if let Some(ssrc) = rtp_ssrc(data)
                    && state.connected
                    && !state.latched.contains(&ssrc)
                    && state.latched.len() < MAX_REMOTE_SSRCS
                {
                    // Meta's SDP names no mid extension: latch the remote's SSRC on first sight.
                    state.latched.push(ssrc);
                    self.rtc
                        .direct_api()
                        .expect_stream_rx(Ssrc::from(ssrc), None, self.mid, None);
                    self.drain(state)?;
                }
            }
            Wire::Other => {}
        }
        let Ok(contents) = data.try_into() else {
            return Ok(());
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local,
                contents,
            },
        );
        if let Err(e) = self.rtc.handle_input(input) {
            debug!(local = %self.local, error = %e, "media packet refused");
        }
        self.drain(state)
    }

    /// Drains str0m's output until the next timeout.
    fn drain(&mut self, state: &mut State) -> Result<(), String> {
        loop {
            match self.rtc.poll_output().map_err(|e| format!("WebRTC: {e}"))? {
                Output::Timeout(at) => {
                    state.rtc_timeout = at;
                    return Ok(());
                }
                Output::Transmit(t) => {
                    let wire = classify(&t.contents);
                    match self.socket.try_send_to(&t.contents, t.destination) {
                        Ok(_) => match wire {
                            Wire::Rtp => {
                                self.stats.rtp_sent.fetch_add(1, Ordering::Relaxed);
                            }
                            Wire::Rtcp => {
                                self.stats.rtcp_sent.fetch_add(1, Ordering::Relaxed);
                            }
                            Wire::Other => {}
                        },
                        Err(e) => debug!(local = %self.local, error = %e, "media send"),
                    }
                }
                Output::Event(event) => self.on_event(state, event)?,
            }
        }
    }

    fn on_event(&mut self, state: &mut State, event: Event) -> Result<(), String> {
        match event {
            Event::Connected if !state.connected => {
                let now = Instant::now();
                state.connected = true;
                state.last_heard = now;
                state.next_tick = Some(now);
                let _ = self.events.send(MediaEvent::Connected);
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                return Err("ICE disconnected: the remote stopped answering".into());
            }
            Event::Closed => return Err("the remote closed the DTLS connection".into()),
            Event::RtpPacket(packet) => {
                self.stats.rtp_received.fetch_add(1, Ordering::Relaxed);
                state.loss.record(*packet.header.ssrc, *packet.seq_no);
                self.stats
                    .rtp_lost
                    .store(state.loss.lost(), Ordering::Relaxed);
                let pt = *packet.header.payload_type;
                if pt == self.codecs.opus {
                    if state.port.wants_received() {
                        state.port.received(
                            packet.header.sequence_number,
                            packet.header.timestamp,
                            &packet.payload,
                            Instant::now(),
                        );
                    }
                    state.gaps.audio(packet.header.timestamp);
                    self.stats
                        .audio_gaps
                        .store(state.gaps.missing(), Ordering::Relaxed);
                } else {
                    state.gaps.other();
                    for key in state
                        .digit_rx
                        .on_packet(packet.header.timestamp, &packet.payload)
                    {
                        let _ = self.events.send(MediaEvent::Digit(key));
                    }
                }
            }
            Event::MediaEgressStats(egress) => {
                // The remote's latest receiver report on our stream: how it received us.
                if let Some(remote) = egress.remote {
                    let highest = *remote.maximum_sequence_number;
                    if highest >= state.first_seq {
                        self.stats
                            .remote_expected
                            .store(highest - state.first_seq + 1, Ordering::Relaxed);
                        self.stats
                            .remote_lost
                            .store(remote.packets_lost, Ordering::Relaxed);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// One ptime of Opus silence: the 3-byte packet `F8 FF FE` (TOC: CELT fullband 20 ms, one
/// frame) per 20 ms, several frames in one code-3 packet (RFC 6716 §3.2.5, constant bitrate)
/// when ptime is 40–120 ms. No encoder needed.
pub(crate) fn opus_silence(ptime: Duration) -> Vec<u8> {
    const FRAME: [u8; 2] = [0xFF, 0xFE];
    let frames = (ptime.as_millis() / 20).clamp(1, 6);
    if frames == 1 {
        return vec![0xF8, FRAME[0], FRAME[1]];
    }
    let mut packet = vec![0xF8 | 0x03, u8::try_from(frames).unwrap_or(1)];
    for _ in 0..frames {
        packet.extend_from_slice(&FRAME);
    }
    packet
}

/// Random initial RTP sequence number and timestamp (RFC 3550 §5.1).
fn rand_u16() -> u16 {
    // Keep the first extended sequence number below 2^15 so the ROC starts at 0.
    u16::try_from(rand_u32() & 0x7FFF).unwrap_or(0)
}

fn rand_u32() -> u32 {
    *Ssrc::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_silence_fills_one_ptime() {
        let ms = Duration::from_millis;
        assert_eq!(opus_silence(ms(20)), [0xF8, 0xFF, 0xFE]);
        assert_eq!(opus_silence(ms(10)), [0xF8, 0xFF, 0xFE]);
        assert_eq!(opus_silence(ms(40)), [0xFB, 2, 0xFF, 0xFE, 0xFF, 0xFE]);
        assert_eq!(
            opus_silence(ms(60)),
            [0xFB, 3, 0xFF, 0xFE, 0xFF, 0xFE, 0xFF, 0xFE]
        );
        assert_eq!(opus_silence(ms(500)).len(), 2 + 6 * 2);
    }
}
