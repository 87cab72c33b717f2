//! Writing our SDP in Meta's shape (see the reference's captured Meta offer): one audio
//! m-line, BUNDLE, rtcp-mux, every host candidate, one `sha-256` fingerprint, CRLF endings.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::IceMode;

/// Everything our SDP says.
#[derive(Debug, Clone)]
pub(crate) struct LocalSdp {
    pub(crate) ice: IceMode,
    /// Our socket's address: the only host candidate and the `c=` line.
    pub(crate) addr: SocketAddr,
    pub(crate) session_id: u64,
    pub(crate) ufrag: String,
    pub(crate) pwd: String,
    /// `sha-256 AA:BB:…`, upper-case hex.
    pub(crate) fingerprint: String,
    /// `actpass` in offers, `active` or `passive` in answers.
    pub(crate) setup: &'static str,
    pub(crate) mid: String,
    /// Our host candidate(s), already in `candidate:…` form.
    pub(crate) candidates: Vec<String>,
    pub(crate) opus_pt: u8,
    pub(crate) opus_fmtp: String,
    /// `telephone-event` payload type and clock, when negotiated.
    pub(crate) telephone_event: Option<(u8, u32)>,
    pub(crate) ptime_ms: u64,
    pub(crate) ssrc: u32,
    pub(crate) cname: String,
}

impl LocalSdp {
    /// The SDP text, every line ending in CRLF.
    pub(crate) fn render(&self) -> String {
        let ip = self.addr.ip();
        let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
        let mut formats = self.opus_pt.to_string();
        if let Some((pt, _)) = self.telephone_event {
            let _ = write!(formats, " {pt}");
        }
        let mut lines: Vec<String> = vec![
            "v=0".into(),
            format!("o=- {} 2 IN {family} {ip}", self.session_id),
            "s=-".into(),
            "t=0 0".into(),
            format!("a=group:BUNDLE {}", self.mid),
            "a=msid-semantic: WMS dialtone".into(),
        ];
        if self.ice == IceMode::Lite {
            lines.push("a=ice-lite".into());
        }
        lines.push(format!(
            "m=audio {} UDP/TLS/RTP/SAVPF {formats}",
            self.addr.port()
        ));
        lines.push(format!("c=IN {family} {ip}"));
        lines.extend(self.candidates.iter().map(|c| format!("a={c}")));
        lines.push(format!("a=ice-ufrag:{}", self.ufrag));
        lines.push(format!("a=ice-pwd:{}", self.pwd));
        lines.push(format!("a=fingerprint:{}", self.fingerprint));
        lines.push(format!("a=setup:{}", self.setup));
        lines.push(format!("a=mid:{}", self.mid));
        lines.push("a=sendrecv".into());
        lines.push(format!("a=msid:dialtone {}", self.cname));
        lines.push("a=rtcp-mux".into());
        lines.push(format!("a=rtpmap:{} opus/48000/2", self.opus_pt));
        if !self.opus_fmtp.is_empty() {
            lines.push(format!("a=fmtp:{} {}", self.opus_pt, self.opus_fmtp));
        }
        if let Some((pt, clock)) = self.telephone_event {
            lines.push(format!("a=rtpmap:{pt} telephone-event/{clock}"));
        }
        lines.push(format!("a=ptime:{}", self.ptime_ms));
        lines.push(format!("a=maxptime:{}", self.ptime_ms));
        lines.push(format!("a=ssrc:{} cname:{}", self.ssrc, self.cname));
        let mut out = String::with_capacity(1024);
        for line in lines {
            out.push_str(&line);
            out.push_str("\r\n");
        }
        out
    }
}
