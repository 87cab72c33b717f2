//! Making and answering offers: binds the leg's socket, configures str0m through its direct
//! API, writes our SDP and starts the leg task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use str0m::format::Codec;
use str0m::format::FormatParams;
use str0m::media::{Frequency, MediaKind, Mid};
use str0m::rtp::Ssrc;
use str0m::{Candidate, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::driver::{Codecs, Driver, Remote, Socket};
use crate::leg::SharedStats;
use crate::port::AudioLink;
use crate::sdp::{LocalSdp, OPUS_FMTP, OPUS_PT, RemoteSdp, Setup, TELEPHONE_EVENT_PT};
use crate::shard::Pool;
use crate::{IceMode, MediaConfig, MediaError, MediaLeg};

/// Our SDP's `a=mid` when we offer (Meta's own SDPs use `audio`).
const OFFER_MID: &str = "audio";

/// Creates media legs with one configuration; cheap to clone.
#[derive(Clone, Debug)]
pub struct MediaEngine {
    config: Arc<MediaConfig>,
    /// The shards that serve this engine's connected legs.
    pool: Arc<Pool>,
}

impl MediaEngine {
    /// An engine whose legs all use `config`.
    pub fn new(config: MediaConfig) -> Self {
        Self {
            pool: Arc::new(Pool::new(config.ptime)),
            config: Arc::new(config),
        }
    }

    /// The configuration of this engine's legs.
    pub fn config(&self) -> &MediaConfig {
        &self.config
    }

    /// True when remote SDPs without candidates are accepted (ICE-lite and `learn_remote`).
    fn learns_remote(&self) -> bool {
        self.config.learn_remote && self.config.ice == IceMode::Lite
    }

    /// Binds a UDP socket and makes an SDP offer; media starts once the answer is accepted.
    pub async fn offer(&self) -> Result<MediaOffer, MediaError> {
        let codecs = Codecs {
            opus: OPUS_PT,
            telephone_event: Some((TELEPHONE_EVENT_PT, 8000)),
        };
        let mut prepared = Prepared::new(&self.config, &self.pool, codecs).await?;
        let sdp = prepared.sdp("actpass", OFFER_MID, OPUS_FMTP);
        Ok(MediaOffer { sdp, prepared })
    }

    /// Answers a remote offer: returns the running leg and our SDP answer.
    pub async fn answer(&self, remote_offer: &str) -> Result<(MediaLeg, String), MediaError> {
        let remote = RemoteSdp::parse(remote_offer, true, self.learns_remote())?;
        let codecs = Codecs {
            opus: remote.opus_pt,
            telephone_event: remote.telephone_event(),
        };
        let mut prepared = Prepared::new(&self.config, &self.pool, codecs).await?;
        // Answer `active` (DTLS client) to `actpass`, as Meta does and as Meta expects of us.
        let (setup, dtls_active) = match remote.setup {
            Setup::ActPass | Setup::Passive => ("active", true),
            Setup::Active => ("passive", false),
        };
        let mid = remote.mid.clone().unwrap_or_else(|| "0".to_owned());
        let fmtp = remote
            .opus_fmtp
            .clone()
            .unwrap_or_else(|| OPUS_FMTP.to_owned());
        let sdp = prepared.sdp(setup, &mid, &fmtp);
        let leg = prepared.start(Remote {
            sdp: remote,
            dtls_active,
        })?;
        Ok((leg, sdp))
    }
}

/// Our pending offer: a bound socket and an SDP waiting for the remote answer.
#[derive(Debug)]
pub struct MediaOffer {
    sdp: String,
    prepared: Prepared,
}

impl MediaOffer {
    /// Our SDP offer (CRLF line endings).
    pub fn sdp(&self) -> &str {
        &self.sdp
    }

    /// Applies the remote answer and starts the leg (needs a tokio runtime).
    pub fn accept(self, remote_answer: &str) -> Result<MediaLeg, MediaError> {
        let remote = RemoteSdp::parse(remote_answer, false, self.prepared.config.learn_remote)?;
        let ours = self.prepared.codecs;
        if remote.opus_pt != ours.opus {
            return Err(MediaError::Sdp(format!(
                "answer uses payload type {} for Opus, the offer said {}",
                remote.opus_pt, ours.opus
            )));
        }
        let mut prepared = self.prepared;
        prepared.codecs.telephone_event = ours
            .telephone_event
            .filter(|ev| remote.telephone_events.contains(ev));
        // The answerer chose; we take the other role.
        let dtls_active = remote.setup == Setup::Passive;
        prepared.start(Remote {
            sdp: remote,
            dtls_active,
        })
    }
}

/// A configured `Rtc` with its bound socket, before the remote SDP is applied.
struct Prepared {
    /// Boxed: an `Rtc` is large, and offers are held across awaits.
    rtc: Box<Rtc>,
    socket: UdpSocket,
    local: SocketAddr,
    candidate: String,
    ssrc: Ssrc,
    codecs: Codecs,
    config: MediaConfig,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("local", &self.local)
            .field("ssrc", &self.ssrc)
            .field("codecs", &self.codecs)
            .finish_non_exhaustive()
    }
}

impl Prepared {
    async fn new(
        config: &MediaConfig,
        pool: &Arc<Pool>,
        codecs: Codecs,
    ) -> Result<Self, MediaError> {
        if config.ip.is_unspecified() {
            return Err(MediaError::Config(format!(
                "ip {} is unspecified; it must be the address peers reach (it is the ICE candidate)",
                config.ip
            )));
        }
        let socket = UdpSocket::bind(SocketAddr::new(config.ip, 0)).await?;
        let local = socket.local_addr()?;
        let mut rtc = Box::new(build_rtc(config, codecs));
        let candidate =
            Candidate::host(local, "udp").map_err(|e| MediaError::Rtc(e.to_string()))?;
        let candidate = rtc
            .add_local_candidate(candidate)
            .map(Candidate::to_sdp_string)
            .ok_or_else(|| MediaError::Rtc(format!("local candidate {local} refused")))?;
        let mid = Mid::from("0");
        let mut api = rtc.direct_api();
        api.declare_media(mid, MediaKind::Audio);
        let ssrc = api.new_ssrc();
        api.declare_stream_tx(ssrc, None, mid, None);
        settle(&mut rtc)?;
        Ok(Self {
            rtc,
            socket,
            local,
            candidate,
            ssrc,
            codecs,
            config: config.clone(),
            pool: Arc::clone(pool),
        })
    }

    fn sdp(&mut self, setup: &'static str, mid: &str, opus_fmtp: &str) -> String {
        let api = self.rtc.direct_api();
        let creds = api.local_ice_credentials();
        let fingerprint = api.local_dtls_fingerprint().to_string();
        LocalSdp {
            ice: self.config.ice,
            addr: self.local,
            session_id: session_id(),
            ufrag: creds.ufrag,
            pwd: creds.pass,
            fingerprint,
            setup,
            mid: mid.to_owned(),
            candidates: vec![self.candidate.clone()],
            opus_pt: self.codecs.opus,
            opus_fmtp: opus_fmtp.to_owned(),
            telephone_event: self.codecs.telephone_event,
            ptime_ms: u64::try_from(self.config.ptime.as_millis()).unwrap_or(20),
            ssrc: *self.ssrc,
            cname: format!("dialtone-{}", *self.ssrc),
        }
        .render()
    }

    /// Spawns the leg task with `remote` applied.
    fn start(self, remote: Remote) -> Result<MediaLeg, MediaError> {
        let learns = self.config.learn_remote && self.config.ice == IceMode::Lite;
        if !learns && remote.sdp.usable_candidates(self.local).is_empty() {
            return Err(MediaError::Sdp(format!(
                "no remote candidate of the same address family as our socket {}",
                self.local.ip()
            )));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let stats = Arc::new(SharedStats::default());
        crate::totals::register(&stats);
        let link = AudioLink::default();
        let driver = Driver {
            rtc: self.rtc,
            socket: Socket::Tokio(self.socket),
            local: self.local,
            mid: Mid::from("0"),
            ssrc: self.ssrc,
            codecs: self.codecs,
            ptime: self.config.ptime,
            connect_timeout: self.config.connect_timeout,
            controlling: self.config.ice == IceMode::Full,
            events: events_tx,
            commands: commands_rx,
            stats: Arc::clone(&stats),
            link: link.clone(),
            pool: Some(self.pool),
        };
        let span = tracing::debug_span!("media_leg", local = %self.local);
        let task = runtime.spawn(driver.run(remote).instrument(span));
        Ok(MediaLeg::new(
            events_rx,
            commands_tx,
            stats,
            task.abort_handle(),
            self.local,
            link,
        ))
    }
}

/// str0m in RTP mode with exactly our codecs and no header extensions (Meta's SDP has none).
fn build_rtc(config: &MediaConfig, codecs: Codecs) -> Rtc {
    let mut rtc_config = RtcConfig::new()
        .set_rtp_mode(true)
        .set_ice_lite(config.ice == IceMode::Lite)
        .clear_codecs()
        .clear_extension_map()
        .set_rtcp_report_interval_audio(std::time::Duration::from_secs(1))
        // A stats event per second carries the remote's latest receiver report on our stream
        // (`MediaStats::remote_expected`, `remote_lost`).
        .set_stats_interval(Some(std::time::Duration::from_secs(1)));
    let codec_config = rtc_config.codec_config();
    codec_config.add_config(
        codecs.opus.into(),
        None,
        Codec::Opus,
        Frequency::FORTY_EIGHT_KHZ,
        Some(2),
        FormatParams {
            min_p_time: Some(20),
            use_inband_fec: Some(true),
            ..FormatParams::default()
        },
    );
    if let Some((pt, clock)) = codecs.telephone_event {
        codec_config.add_config(
            pt.into(),
            None,
            Codec::Tele,
            Frequency::new(clock).unwrap_or(Frequency::EIGHT_KHZ),
            None,
            FormatParams::default(),
        );
    }
    rtc_config.build(Instant::now())
}

/// Drains output produced by setup mutations (there is nothing to send before the remote
/// SDP is applied).
fn settle(rtc: &mut Rtc) -> Result<(), MediaError> {
    loop {
        match rtc.poll_output() {
            Ok(str0m::Output::Timeout(_)) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(MediaError::Rtc(e.to_string())),
        }
    }
}

fn session_id() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0))
}
