//! Reading the remote SDP: only what the leg needs, and a clear error for what is missing.

use std::net::{IpAddr, SocketAddr};

use str0m::Candidate;
use str0m::config::Fingerprint;

use crate::MediaError;

/// The DTLS role the remote announces (`a=setup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setup {
    /// The remote lets us choose (offers only).
    ActPass,
    /// The remote is the DTLS client.
    Active,
    /// The remote is the DTLS server.
    Passive,
}

/// What the leg takes from the remote SDP.
#[derive(Debug, Clone)]
pub(crate) struct RemoteSdp {
    pub(crate) ice_lite: bool,
    pub(crate) ufrag: String,
    pub(crate) pwd: String,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) setup: Setup,
    pub(crate) mid: Option<String>,
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) opus_pt: u8,
    pub(crate) opus_fmtp: Option<String>,
    /// `telephone-event` payload types with their clock rate, in SDP order.
    pub(crate) telephone_events: Vec<(u8, u32)>,
}

impl RemoteSdp {
    /// The telephone-event payload type to send digits with: 8 kHz (Meta's only clock) first.
    pub(crate) fn telephone_event(&self) -> Option<(u8, u32)> {
        self.telephone_events
            .iter()
            .find(|(_, clock)| *clock == 8000)
            .or_else(|| self.telephone_events.first())
            .copied()
    }

    /// Candidates our socket at `local` can reach: UDP and the same address family.
    pub(crate) fn usable_candidates(&self, local: SocketAddr) -> Vec<Candidate> {
        self.candidates
            .iter()
            .filter(|c| c.addr().is_ipv4() == local.is_ipv4())
            .cloned()
            .collect()
    }

    /// Parses `sdp`; `is_offer` decides which `a=setup` values are valid; `learn_remote`
    /// accepts an SDP without candidates (the peer is learnt from its checks).
    pub(crate) fn parse(sdp: &str, is_offer: bool, learn_remote: bool) -> Result<Self, MediaError> {
        let scan = Scan::of(sdp);
        let mut problems: Vec<String> = Vec::new();
        if !scan.has_version {
            problems.push("not an SDP (no v=0 line)".into());
        }
        let audio = match scan.media.as_slice() {
            [] => {
                problems.push("no audio m-line".into());
                None
            }
            [one] if one.kind == "audio" => Some(one),
            [one] => {
                problems.push(format!("m={} instead of an audio m-line", one.kind));
                None
            }
            several => {
                problems.push(format!(
                    "{} m-lines (exactly one audio m-line allowed)",
                    several.len()
                ));
                None
            }
        };
        if let Some(audio) = audio {
            if !audio.proto.starts_with("UDP/TLS/RTP/SAVP") {
                problems.push(format!(
                    "transport {} (UDP/TLS/RTP/SAVPF required)",
                    audio.proto
                ));
            }
            if audio.port == 0 {
                problems.push("audio m-line rejected (port 0)".into());
            }
        }
        let formats = audio.map(|a| a.formats.as_slice()).unwrap_or_default();
        let opus_pt = scan.rtpmap_for(formats, |codec| {
            codec.eq_ignore_ascii_case("opus/48000/2") || codec.eq_ignore_ascii_case("opus/48000")
        });
        if audio.is_some() && opus_pt.is_none() {
            problems.push("no opus/48000/2 codec".into());
        }
        let ufrag = scan.value("ice-ufrag");
        if ufrag.is_none() {
            problems.push("no ICE ufrag (a=ice-ufrag)".into());
        }
        let pwd = scan.value("ice-pwd");
        if pwd.is_none() {
            problems.push("no ICE password (a=ice-pwd)".into());
        }
        let fingerprint = scan.fingerprint();
        if let Err(problem) = &fingerprint {
            problems.push(problem.clone());
        }
        let setup = scan.setup(is_offer);
        if let Err(problem) = &setup {
            problems.push(problem.clone());
        }
        let candidates = match scan.candidates(audio) {
            Err(_) if learn_remote && scan.candidates.is_empty() => Ok(Vec::new()),
            other => other,
        };
        if let Err(problem) = &candidates {
            problems.push(problem.clone());
        }
        match (ufrag, pwd, fingerprint, setup, candidates, opus_pt) {
            (Some(ufrag), Some(pwd), Ok(fingerprint), Ok(setup), Ok(candidates), Some(opus_pt))
                if problems.is_empty() =>
            {
                let telephone_events = scan
                    .rtpmaps
                    .iter()
                    .filter(|(pt, _)| formats.contains(pt))
                    .filter_map(|(pt, codec)| {
                        let (name, rate) = codec.split_once('/')?;
                        let rate = rate.split('/').next()?.parse().ok()?;
                        name.eq_ignore_ascii_case("telephone-event")
                            .then_some((*pt, rate))
                    })
                    .collect();
                Ok(Self {
                    ice_lite: scan.ice_lite,
                    ufrag,
                    pwd,
                    fingerprint,
                    setup,
                    mid: scan.value("mid"),
                    candidates,
                    opus_pt,
                    opus_fmtp: scan.fmtp(opus_pt),
                    telephone_events,
                })
            }
            _ => Err(MediaError::Sdp(problems.join(", "))),
        }
    }
}

struct Media {
    kind: String,
    port: u16,
    proto: String,
    formats: Vec<u8>,
    connection: Option<IpAddr>,
}

/// A line-by-line pass; media-level attributes win over session-level ones.
#[derive(Default)]
struct Scan {
    has_version: bool,
    media: Vec<Media>,
    session_connection: Option<IpAddr>,
    rtpmaps: Vec<(u8, String)>,
    fmtps: Vec<(u8, String)>,
    session_values: Vec<(String, String)>,
    media_values: Vec<(String, String)>,
    ice_lite: bool,
    candidates: Vec<String>,
    fingerprints: Vec<String>,
}

impl Scan {
    fn of(sdp: &str) -> Self {
        let mut scan = Self::default();
        for line in sdp.lines().map(str::trim) {
            if line == "v=0" {
                scan.has_version = true;
            } else if let Some(media) = line.strip_prefix("m=") {
                let mut fields = media.split_ascii_whitespace();
                let kind = fields.next().unwrap_or_default().to_ascii_lowercase();
                let port = fields
                    .next()
                    .and_then(|p| p.split('/').next()?.parse().ok())
                    .unwrap_or(0);
                let proto = fields.next().unwrap_or_default().to_owned();
                let formats = fields.filter_map(|f| f.parse().ok()).collect();
                scan.media.push(Media {
                    kind,
                    port,
                    proto,
                    formats,
                    connection: None,
                });
            } else if let Some(connection) = line.strip_prefix("c=") {
                let address = connection
                    .split_ascii_whitespace()
                    .nth(2)
                    .and_then(|a| a.split('/').next()?.parse().ok());
                match scan.media.last_mut() {
                    Some(media) => media.connection = address,
                    None => scan.session_connection = address,
                }
            } else if let Some(attribute) = line.strip_prefix("a=") {
                scan.attribute(attribute);
            }
        }
        scan
    }

    fn attribute(&mut self, attribute: &str) {
        let (name, value) = attribute.split_once(':').unwrap_or((attribute, ""));
        let value = value.trim();
        match name {
            "ice-lite" => self.ice_lite = true,
            "candidate" => self.candidates.push(format!("candidate:{value}")),
            "fingerprint" => self.fingerprints.push(value.to_owned()),
            "rtpmap" | "fmtp" => {
                if let Some((pt, rest)) = value.split_once(' ')
                    && let Ok(pt) = pt.parse()
                {
                    let list = if name == "rtpmap" {
                        &mut self.rtpmaps
                    } else {
                        &mut self.fmtps
                    };
                    list.push((pt, rest.trim().to_owned()));
                }
            }
            _ if !value.is_empty() => {
                let list = if self.media.is_empty() {
                    &mut self.session_values
                } else {
                    &mut self.media_values
                };
                list.push((name.to_owned(), value.to_owned()));
            }
            _ => {}
        }
    }

    fn value(&self, name: &str) -> Option<String> {
        let find = |list: &[(String, String)]| {
            list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        };
        find(&self.media_values).or_else(|| find(&self.session_values))
    }

    fn rtpmap_for(&self, formats: &[u8], matches: impl Fn(&str) -> bool) -> Option<u8> {
        self.rtpmaps
            .iter()
            .find(|(pt, codec)| formats.contains(pt) && matches(codec))
            .map(|(pt, _)| *pt)
    }

    fn fmtp(&self, pt: u8) -> Option<String> {
        self.fmtps
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, v)| v.clone())
    }

    /// The `sha-256` fingerprint (or `sha-1`, the only other hash str0m verifies).
    fn fingerprint(&self) -> Result<Fingerprint, String> {
        if self.fingerprints.is_empty() {
            return Err("no DTLS fingerprint (a=fingerprint)".into());
        }
        let parsed: Vec<Fingerprint> = self
            .fingerprints
            .iter()
            .filter_map(|f| {
                let (hash, digest) = f.split_once(' ')?;
                format!("{} {}", hash.to_ascii_lowercase(), digest.trim())
                    .parse::<Fingerprint>()
                    .ok()
            })
            .filter(|f| !f.bytes.is_empty())
            .collect();
        ["sha-256", "sha-1"]
            .iter()
            .find_map(|hash| parsed.iter().find(|f| f.hash_func == *hash))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "no usable DTLS fingerprint (sha-256 or sha-1) in {:?}",
                    self.fingerprints
                )
            })
    }

    fn setup(&self, is_offer: bool) -> Result<Setup, String> {
        let value = self.value("setup").map(|v| v.to_ascii_lowercase());
        match (value.as_deref(), is_offer) {
            // RFC 5763: an offer without a=setup means actpass; an answer without it, active.
            (None | Some("actpass"), true) => Ok(Setup::ActPass),
            (None, false) | (Some("active"), _) => Ok(Setup::Active),
            (Some("passive"), _) => Ok(Setup::Passive),
            (Some("actpass"), false) => Err("a=setup:actpass in an answer".into()),
            (Some(other), _) => Err(format!("unsupported a=setup:{other}")),
        }
    }

    /// UDP candidates of component 1 (RTP; rtcp-mux), or the `c=`/port address when the SDP
    /// lists none.
    fn candidates(&self, audio: Option<&Media>) -> Result<Vec<Candidate>, String> {
        let mut out = Vec::new();
        for line in &self.candidates {
            let candidate =
                Candidate::from_sdp_string(line).map_err(|e| format!("bad ICE candidate: {e}"))?;
            let is_udp = line
                .split_ascii_whitespace()
                .nth(2)
                .is_some_and(|p| p.eq_ignore_ascii_case("udp"));
            let is_rtp = line.split_ascii_whitespace().nth(1) == Some("1");
            if is_udp && is_rtp {
                out.push(candidate);
            }
        }
        if out.is_empty()
            && let Some(audio) = audio
            && let Some(ip) = audio.connection.or(self.session_connection)
            && !ip.is_unspecified()
            && audio.port > 9
        {
            let addr = SocketAddr::new(ip, audio.port);
            out.push(
                Candidate::host(addr, "udp")
                    .map_err(|e| format!("bad connection address {addr}: {e}"))?,
            );
        }
        if out.is_empty() {
            return Err("no ICE candidates (a=candidate) and no usable c= address".into());
        }
        Ok(out)
    }
}
