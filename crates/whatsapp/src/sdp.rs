//! Checks that an SDP has what Meta's WebRTC profile requires, before it is sent to Meta or
//! applied to the media leg: ICE credentials and candidates (Meta is ICE-lite and uses no
//! trickle, so every candidate must be in the SDP), exactly one DTLS `sha-256`-style
//! fingerprint, a DTLS `setup` role, and exactly one audio m-line (`UDP/TLS/RTP/SAVPF`) offering
//! Opus 48000/2. This is not a WebRTC stack (str0m comes later); it only refuses SDPs that Meta
//! or the media leg could never use, naming every missing part.

use std::fmt;

use crate::graph::SdpType;

/// Something an SDP lacks or has wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdpProblem {
    /// The text is empty or has no `v=0` line.
    NotSdp,
    /// No `m=audio` line.
    NoAudio,
    /// More than one m-line (Meta accepts exactly one).
    SeveralMedia(usize),
    /// The m-line transport is not `UDP/TLS/RTP/SAVPF` (SDES/plain RTP are not supported yet).
    Transport(String),
    /// No `a=rtpmap:<pt> opus/48000/2` for a format of the m-line.
    NoOpus,
    /// No `a=ice-ufrag`.
    IceUfrag,
    /// No `a=ice-pwd`.
    IcePwd,
    /// No `a=candidate` line.
    NoCandidates,
    /// No `a=fingerprint`.
    Fingerprint,
    /// More than one `a=fingerprint` (integrators report Meta refuses these).
    SeveralFingerprints(usize),
    /// No `a=setup`, or one that does not fit (offers must be `actpass`, answers must not be).
    Setup,
}

impl fmt::Display for SdpProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSdp => f.write_str("not an SDP (no v=0)"),
            Self::NoAudio => f.write_str("no audio m-line"),
            Self::SeveralMedia(n) => write!(f, "{n} m-lines (exactly one audio m-line allowed)"),
            Self::Transport(proto) => write!(f, "transport {proto} (UDP/TLS/RTP/SAVPF required)"),
            Self::NoOpus => f.write_str("no opus/48000/2 codec"),
            Self::IceUfrag => f.write_str("no ICE ufrag"),
            Self::IcePwd => f.write_str("no ICE pwd"),
            Self::NoCandidates => f.write_str("no ICE candidates"),
            Self::Fingerprint => f.write_str("no DTLS fingerprint"),
            Self::SeveralFingerprints(n) => {
                write!(f, "{n} DTLS fingerprints (exactly one allowed)")
            }
            Self::Setup => f.write_str("no fitting DTLS setup role"),
        }
    }
}

/// Why an SDP was refused: every problem found, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SDP refused: {}", join(.problems))]
pub struct SdpError {
    /// What is missing or wrong.
    pub problems: Vec<SdpProblem>,
}

fn join(problems: &[SdpProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The DTLS role an SDP announces (`a=setup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `actpass`: the offerer lets the answerer choose.
    ActPass,
    /// `active`: this side is the DTLS client.
    Active,
    /// `passive`: this side is the DTLS server.
    Passive,
}

/// What an accepted SDP says, for the media leg and for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpSummary {
    /// `a=ice-ufrag`.
    pub ice_ufrag: String,
    /// Whether the peer is ICE-lite (Meta always is).
    pub ice_lite: bool,
    /// Number of `a=candidate` lines.
    pub candidates: usize,
    /// The fingerprint's hash function, lower case (e.g. `sha-256`).
    pub fingerprint_hash: String,
    /// The DTLS role.
    pub setup: Setup,
    /// Opus's payload type.
    pub opus_payload_type: u8,
    /// `telephone-event/8000`'s payload type, when offered.
    pub telephone_event_payload_type: Option<u8>,
}

/// Checks `sdp` (an `offer` or an `answer`) against Meta's WebRTC profile.
pub fn check(sdp: &str, kind: SdpType) -> Result<SdpSummary, SdpError> {
    let scan = Scan::of(sdp);
    let mut problems = Vec::new();
    if !scan.has_version {
        problems.push(SdpProblem::NotSdp);
    }
    match scan.media.len() {
        0 => problems.push(SdpProblem::NoAudio),
        1 => {}
        n => problems.push(SdpProblem::SeveralMedia(n)),
    }
    let audio = scan.media.iter().find(|m| m.kind == "audio");
    if let Some(audio) = audio {
        if audio.proto != "UDP/TLS/RTP/SAVPF" {
            problems.push(SdpProblem::Transport(audio.proto.clone()));
        }
    } else if !scan.media.is_empty() {
        problems.push(SdpProblem::NoAudio);
    }
    let formats = audio.map(|m| m.formats.as_slice()).unwrap_or_default();
    let opus = scan.rtpmap_for(formats, "opus/48000/2");
    if opus.is_none() {
        problems.push(SdpProblem::NoOpus);
    }
    if scan.ice_ufrag.is_none() {
        problems.push(SdpProblem::IceUfrag);
    }
    if !scan.has_ice_pwd {
        problems.push(SdpProblem::IcePwd);
    }
    if scan.candidates == 0 {
        problems.push(SdpProblem::NoCandidates);
    }
    match scan.fingerprints.len() {
        0 => problems.push(SdpProblem::Fingerprint),
        1 => {}
        n => problems.push(SdpProblem::SeveralFingerprints(n)),
    }
    let setup = scan.setup.filter(|setup| match kind {
        SdpType::Offer => *setup == Setup::ActPass,
        SdpType::Answer => *setup != Setup::ActPass,
    });
    if setup.is_none() {
        problems.push(SdpProblem::Setup);
    }
    let telephone_event = scan.rtpmap_for(formats, "telephone-event/8000");
    match (problems.is_empty(), opus, setup, scan.ice_ufrag) {
        (true, Some(opus), Some(setup), Some(ice_ufrag)) => Ok(SdpSummary {
            ice_ufrag,
            ice_lite: scan.ice_lite,
            candidates: scan.candidates,
            fingerprint_hash: scan.fingerprints.into_iter().next().unwrap_or_default(),
            setup,
            opus_payload_type: opus,
            telephone_event_payload_type: telephone_event,
        }),
        _ => Err(SdpError { problems }),
    }
}

/// `sdp` with every line ending in CRLF, as Meta requires (RFC 8866).
pub fn to_crlf(sdp: &str) -> String {
    let mut out = String::with_capacity(sdp.len() + 64);
    for line in sdp.lines().filter(|line| !line.is_empty()) {
        out.push_str(line.trim_end_matches('\r'));
        out.push_str("\r\n");
    }
    out
}

struct Media {
    kind: String,
    proto: String,
    formats: Vec<u8>,
}

#[derive(Default)]
struct Scan {
    has_version: bool,
    media: Vec<Media>,
    rtpmaps: Vec<(u8, String)>,
    ice_ufrag: Option<String>,
    has_ice_pwd: bool,
    ice_lite: bool,
    candidates: usize,
    fingerprints: Vec<String>,
    setup: Option<Setup>,
}

impl Scan {
    fn of(sdp: &str) -> Self {
        let mut scan = Self::default();
        for line in sdp.lines().map(str::trim) {
            if line == "v=0" {
                scan.has_version = true;
            } else if let Some(media) = line.strip_prefix("m=") {
                let mut fields = media.split_ascii_whitespace();
                let kind = fields.next().unwrap_or_default().to_owned();
                let proto = fields.nth(1).unwrap_or_default().to_owned();
                let formats = fields.filter_map(|f| f.parse().ok()).collect();
                scan.media.push(Media {
                    kind,
                    proto,
                    formats,
                });
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
            "ice-ufrag" if !value.is_empty() => self.ice_ufrag = Some(value.to_owned()),
            "ice-pwd" if !value.is_empty() => self.has_ice_pwd = true,
            "ice-lite" => self.ice_lite = true,
            "candidate" if !value.is_empty() => self.candidates += 1,
            "fingerprint" => {
                if let Some((hash, digest)) = value.split_once(' ')
                    && !digest.trim().is_empty()
                {
                    self.fingerprints.push(hash.to_ascii_lowercase());
                }
            }
            "setup" => {
                self.setup = match value.to_ascii_lowercase().as_str() {
                    "actpass" => Some(Setup::ActPass),
                    "active" => Some(Setup::Active),
                    "passive" => Some(Setup::Passive),
                    _ => self.setup,
                };
            }
            "rtpmap" => {
                if let Some((pt, codec)) = value.split_once(' ')
                    && let Ok(pt) = pt.parse()
                {
                    self.rtpmaps.push((pt, codec.trim().to_ascii_lowercase()));
                }
            }
            _ => {}
        }
    }

    fn rtpmap_for(&self, formats: &[u8], codec: &str) -> Option<u8> {
        self.rtpmaps
            .iter()
            .find(|(pt, name)| name == codec && formats.contains(pt))
            .map(|(pt, _)| *pt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{BUSINESS_OFFER, META_ANSWER, META_OFFER};

    #[test]
    fn meta_shaped_sdps_pass_with_their_summary() {
        let offer = check(META_OFFER, SdpType::Offer).expect("valid offer");
        assert_eq!(
            offer,
            SdpSummary {
                ice_ufrag: "Qw3rTy7uIoPaSdFg".to_owned(),
                ice_lite: true,
                candidates: 2,
                fingerprint_hash: "sha-256".to_owned(),
                setup: Setup::ActPass,
                opus_payload_type: 111,
                telephone_event_payload_type: Some(126),
            }
        );
        let answer = check(META_ANSWER, SdpType::Answer).expect("valid answer");
        assert_eq!(answer.setup, Setup::Active);
        assert_eq!(answer.candidates, 2);
        let ours = check(BUSINESS_OFFER, SdpType::Offer).expect("valid business offer");
        assert!(!ours.ice_lite);
        assert_eq!(ours.candidates, 1);
    }

    #[test]
    fn missing_ice_and_fingerprint_are_named() {
        let stripped: String = META_ANSWER
            .split_inclusive("\r\n")
            .filter(|l| {
                !l.starts_with("a=ice-")
                    && !l.starts_with("a=fingerprint")
                    && !l.starts_with("a=candidate")
            })
            .collect();
        let error = check(&stripped, SdpType::Answer).expect_err("refused");
        assert_eq!(
            error.problems,
            vec![
                SdpProblem::IceUfrag,
                SdpProblem::IcePwd,
                SdpProblem::NoCandidates,
                SdpProblem::Fingerprint
            ]
        );
        assert_eq!(
            error.to_string(),
            "SDP refused: no ICE ufrag, no ICE pwd, no ICE candidates, no DTLS fingerprint"
        );
    }

    #[test]
    fn codec_media_setup_and_fingerprint_count_are_checked() {
        let no_opus = META_ANSWER.replace("opus/48000/2", "PCMU/8000");
        assert_eq!(
            check(&no_opus, SdpType::Answer)
                .expect_err("refused")
                .problems,
            vec![SdpProblem::NoOpus]
        );
        let two_fp = META_ANSWER.replace(
            "a=setup:active\r\n",
            "a=setup:active\r\na=fingerprint:sha-384 AB:CD\r\n",
        );
        assert_eq!(
            check(&two_fp, SdpType::Answer)
                .expect_err("refused")
                .problems,
            vec![SdpProblem::SeveralFingerprints(2)]
        );
        assert_eq!(
            check(META_OFFER, SdpType::Answer)
                .expect_err("actpass answer")
                .problems,
            vec![SdpProblem::Setup]
        );
        let video = format!("{META_ANSWER}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
        assert_eq!(
            check(&video, SdpType::Answer)
                .expect_err("two m-lines")
                .problems,
            vec![SdpProblem::SeveralMedia(2)]
        );
        let sdes = META_ANSWER.replace("UDP/TLS/RTP/SAVPF", "RTP/SAVP");
        assert_eq!(
            check(&sdes, SdpType::Answer).expect_err("sdes").problems,
            vec![SdpProblem::Transport("RTP/SAVP".to_owned())]
        );
    }

    #[test]
    fn empty_and_garbage_are_refused_not_panicking() {
        let error = check("", SdpType::Offer).expect_err("empty");
        assert_eq!(error.problems[0], SdpProblem::NotSdp);
        assert_eq!(error.problems[1], SdpProblem::NoAudio);
        assert!(check("m=\na=rtpmap:\na=fingerprint:\na=setup:", SdpType::Answer).is_err());
    }

    #[test]
    fn crlf_normalisation() {
        assert_eq!(
            to_crlf("v=0\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\n"),
            "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n"
        );
        assert_eq!(to_crlf(META_OFFER), META_OFFER);
    }
}
