//! Every SDP the leg produces fits Meta's profile (`dialtone_whatsapp::sdp::check`), and bad
//! remote SDPs are refused with a clear `MediaError::Sdp`, never a panic.

use dialtone_media::{MediaConfig, MediaEngine, MediaError};
use dialtone_whatsapp::graph::SdpType;
use dialtone_whatsapp::sdp::{Setup, check};

/// Offers and answers of both modes: (label, sdp, kind, expected ice-lite, expected setup).
async fn all_sdps() -> Vec<(&'static str, String, SdpType, bool, Setup)> {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let full_offer = full.offer().await.unwrap();
    let (_lite_leg, lite_answer) = lite.answer(full_offer.sdp()).await.unwrap();
    let lite_offer = lite.offer().await.unwrap();
    let (_full_leg, full_answer) = full.answer(lite_offer.sdp()).await.unwrap();
    vec![
        (
            "full offer",
            full_offer.sdp().to_owned(),
            SdpType::Offer,
            false,
            Setup::ActPass,
        ),
        (
            "lite answer",
            lite_answer,
            SdpType::Answer,
            true,
            Setup::Active,
        ),
        (
            "lite offer",
            lite_offer.sdp().to_owned(),
            SdpType::Offer,
            true,
            Setup::ActPass,
        ),
        (
            "full answer",
            full_answer,
            SdpType::Answer,
            false,
            Setup::Active,
        ),
    ]
}

#[tokio::test]
async fn produced_sdps_pass_metas_profile_check() {
    for (label, sdp, kind, ice_lite, setup) in all_sdps().await {
        let summary = check(&sdp, kind).unwrap_or_else(|e| panic!("{label}: {e}\n{sdp}"));
        assert_eq!(summary.ice_lite, ice_lite, "{label}");
        assert_eq!(summary.setup, setup, "{label}");
        assert_eq!(summary.candidates, 1, "{label}");
        assert_eq!(summary.fingerprint_hash, "sha-256", "{label}");
        assert_eq!(summary.opus_payload_type, 111, "{label}");
        assert_eq!(summary.telephone_event_payload_type, Some(126), "{label}");
    }
}

#[tokio::test]
async fn produced_sdps_have_metas_shape() {
    for (label, sdp, _, ice_lite, _) in all_sdps().await {
        assert!(sdp.ends_with("\r\n"), "{label}");
        assert!(
            sdp.split("\r\n").all(|line| !line.contains('\n')),
            "{label}: bare LF"
        );
        let lines: Vec<&str> = sdp.split("\r\n").filter(|l| !l.is_empty()).collect();
        let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
        assert_eq!(lines[0], "v=0", "{label}");
        assert_eq!(count("m="), 1, "{label}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("m=audio ") && l.ends_with(" UDP/TLS/RTP/SAVPF 111 126")),
            "{label}: {sdp}"
        );
        assert_eq!(count("a=rtpmap:111 opus/48000/2"), 1, "{label}");
        assert_eq!(count("a=rtpmap:126 telephone-event/8000"), 1, "{label}");
        assert_eq!(count("a=fingerprint:sha-256 "), 1, "{label}");
        assert_eq!(count("a=fingerprint:"), 1, "{label}");
        assert_eq!(count("a=candidate:"), 1, "{label}");
        assert!(
            lines.iter().any(|l| l.starts_with("a=candidate:")
                && l.contains(" udp ")
                && l.contains(" 127.0.0.1 ")
                && l.contains(" typ host")),
            "{label}: {sdp}"
        );
        assert_eq!(count("a=ice-lite"), usize::from(ice_lite), "{label}");
        assert_eq!(count("a=rtcp-mux"), 1, "{label}");
        assert_eq!(count("a=ptime:20"), 1, "{label}");
        assert_eq!(count("a=ssrc:"), 1, "{label}");
        assert_eq!(count("c=IN IP4 127.0.0.1"), 1, "{label}");
        // Upper-case hex, as some integrators report Meta requires.
        let fingerprint = lines
            .iter()
            .find_map(|l| l.strip_prefix("a=fingerprint:sha-256 "))
            .unwrap();
        assert_eq!(fingerprint, fingerprint.to_ascii_uppercase(), "{label}");
        assert_eq!(fingerprint.split(':').count(), 32, "{label}");
    }
}

/// Meta's captured user-initiated offer (reference §3.1), with a loopback candidate so that it
/// is usable here. Dialtone answers it `active` and mirrors Meta's Opus fmtp.
const META_OFFER: &str = "v=0\r\n\
o=- 1760681506762 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE audio\r\n\
a=msid-semantic: WMS c3867497\r\n\
a=ice-lite\r\n\
m=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\n\
c=IN IP4 127.0.0.1\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=candidate:3935165743 1 udp 2122260223 127.0.0.1 3484 typ host generation 0 network-cost 50\r\n\
a=candidate:2617197009 1 udp 2122262783 2a03:2880:f36b:131:face:b00c:0:699c 3484 typ host generation 0 network-cost 50\r\n\
a=ice-ufrag:AeinEGDfvqBctbtM\r\n\
a=ice-pwd:5QyWB2ZaCbhx8sCvHbbEf7Gv\r\n\
a=fingerprint:sha-256 A2:EC:6B:1F:4A:0B:88:95:D0:4E:8E:86:1C:2A:35:71:93:CE:1B:1D:2B:41:E2:2B:8E:5B:7D:A5:62:42:8A:D1\r\n\
a=setup:actpass\r\n\
a=mid:audio\r\n\
a=sendrecv\r\n\
a=msid:c3867497 WhatsAppTrack1\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtcp-fb:111 transport-cc\r\n\
a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=maxptime:20\r\n\
a=ptime:20\r\n\
a=ssrc:1047224411 cname:WhatsAppAudioStream1\r\n";

#[tokio::test]
async fn answers_metas_sample_offer_like_meta_expects() {
    let full = MediaEngine::new(MediaConfig::full());
    let (_leg, answer) = full.answer(META_OFFER).await.unwrap();
    let summary = check(&answer, SdpType::Answer).unwrap();
    assert_eq!(summary.setup, Setup::Active);
    assert!(!summary.ice_lite);
    assert_eq!(summary.opus_payload_type, 111);
    assert_eq!(summary.telephone_event_payload_type, Some(126));
    assert!(answer.contains("\r\na=mid:audio\r\n"), "{answer}");
    assert!(answer.contains("\r\na=group:BUNDLE audio\r\n"), "{answer}");
    assert!(
        answer.contains(
            "\r\na=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1\r\n"
        ),
        "{answer}"
    );
}

fn without(sdp: &str, prefix: &str) -> String {
    let mut out = String::new();
    for line in sdp.lines().filter(|line| !line.starts_with(prefix)) {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

fn sdp_error(result: Result<impl std::fmt::Debug, MediaError>) -> String {
    match result {
        Err(MediaError::Sdp(message)) => message,
        other => panic!("expected MediaError::Sdp, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_offers_are_refused_with_the_reason() {
    let full = MediaEngine::new(MediaConfig::full());
    let cases = [
        (
            without(META_OFFER, "a=ice-ufrag"),
            "no ICE ufrag (a=ice-ufrag)",
        ),
        (
            without(META_OFFER, "a=ice-pwd"),
            "no ICE password (a=ice-pwd)",
        ),
        (
            without(&without(META_OFFER, "a=ice-ufrag"), "a=ice-pwd"),
            "no ICE ufrag (a=ice-ufrag), no ICE password (a=ice-pwd)",
        ),
        (
            without(META_OFFER, "a=fingerprint"),
            "no DTLS fingerprint (a=fingerprint)",
        ),
        (
            META_OFFER.replace("m=audio 3484", "m=video 3484"),
            "m=video instead of an audio m-line",
        ),
        (
            without(&without(META_OFFER, "m=audio"), "a=rtpmap"),
            "no audio m-line",
        ),
        (without(META_OFFER, "a=rtpmap:111"), "no opus/48000/2 codec"),
        (
            META_OFFER.replace("UDP/TLS/RTP/SAVPF", "RTP/SAVP"),
            "transport RTP/SAVP (UDP/TLS/RTP/SAVPF required)",
        ),
        (
            META_OFFER.replace("a=setup:actpass", "a=setup:holdconn"),
            "unsupported a=setup:holdconn",
        ),
        (
            format!("{META_OFFER}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"),
            "2 m-lines (exactly one audio m-line allowed)",
        ),
        (
            "hello, this is not an SDP".to_owned(),
            "not an SDP (no v=0 line), no audio m-line, no ICE ufrag (a=ice-ufrag), \
             no ICE password (a=ice-pwd), no DTLS fingerprint (a=fingerprint), \
             no ICE candidates (a=candidate) and no usable c= address",
        ),
        (
            String::new(),
            "not an SDP (no v=0 line), no audio m-line, no ICE ufrag (a=ice-ufrag), \
             no ICE password (a=ice-pwd), no DTLS fingerprint (a=fingerprint), \
             no ICE candidates (a=candidate) and no usable c= address",
        ),
    ];
    for (sdp, expected) in cases {
        assert_eq!(sdp_error(full.answer(&sdp).await), expected, "{sdp}");
    }
}

#[tokio::test]
async fn offers_without_any_reachable_address_are_refused() {
    let full = MediaEngine::new(MediaConfig::full());
    let no_candidates =
        without(META_OFFER, "a=candidate").replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    assert_eq!(
        sdp_error(full.answer(&no_candidates).await),
        "no ICE candidates (a=candidate) and no usable c= address"
    );
    let only_v6 = without(META_OFFER, "a=candidate:3935165743");
    assert_eq!(
        sdp_error(full.answer(&only_v6).await),
        "no remote candidate of the same address family as our socket 127.0.0.1"
    );
    let bad_candidate = META_OFFER.replace("127.0.0.1 3484 typ host", "not-an-ip 3484 typ host");
    let message = sdp_error(full.answer(&bad_candidate).await);
    assert!(message.starts_with("bad ICE candidate: "), "{message}");
}

#[tokio::test]
async fn bad_answers_are_refused_with_the_reason() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let offer_sdp = full.offer().await.unwrap().sdp().to_owned();
    let (_leg, good) = lite.answer(&offer_sdp).await.unwrap();
    let cases = [
        (
            without(&good, "a=ice-ufrag"),
            "no ICE ufrag (a=ice-ufrag)".to_owned(),
        ),
        (
            without(&good, "a=fingerprint"),
            "no DTLS fingerprint (a=fingerprint)".to_owned(),
        ),
        (
            good.replace("a=setup:active", "a=setup:actpass"),
            "a=setup:actpass in an answer".to_owned(),
        ),
        (
            good.replace("a=rtpmap:111 opus", "a=rtpmap:111 xopus"),
            "no opus/48000/2 codec".to_owned(),
        ),
        (
            good.replace("UDP/TLS/RTP/SAVPF 111 126", "UDP/TLS/RTP/SAVPF 109 126")
                .replace("a=rtpmap:111 opus", "a=rtpmap:109 opus"),
            "answer uses payload type 109 for Opus, the offer said 111".to_owned(),
        ),
        (
            "garbage".to_owned(),
            "not an SDP (no v=0 line), no audio m-line, no ICE ufrag (a=ice-ufrag), \
             no ICE password (a=ice-pwd), no DTLS fingerprint (a=fingerprint), \
             no ICE candidates (a=candidate) and no usable c= address"
                .to_owned(),
        ),
    ];
    for (sdp, expected) in cases {
        let offer = full.offer().await.unwrap();
        assert_eq!(sdp_error(offer.accept(&sdp)), expected, "{sdp}");
    }
}
