//! Full ↔ Lite legs on loopback, in both offer directions: connect, media, RTCP, digits.

use std::time::Duration;

use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg, MediaStats};

const WAIT: Duration = Duration::from_secs(15);

async fn next_event(leg: &mut MediaLeg) -> MediaEvent {
    tokio::time::timeout(WAIT, leg.event())
        .await
        .expect("an event within 15 s")
        .expect("the leg is still running")
}

/// Waits until `done(stats)` holds for the leg (polling; no timing assertion).
async fn wait_stats(leg: &MediaLeg, done: impl Fn(&MediaStats) -> bool) -> MediaStats {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let stats = leg.stats();
        if done(&stats) {
            return stats;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stats never got there: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn flowing(stats: &MediaStats) -> bool {
    stats.rtp_sent >= 25
        && stats.rtp_received >= 25
        && stats.rtcp_sent > 0
        && stats.rtcp_received > 0
}

async fn exercise(mut digits_from: MediaLeg, mut digits_to: MediaLeg) {
    assert_eq!(next_event(&mut digits_from).await, MediaEvent::Connected);
    assert_eq!(next_event(&mut digits_to).await, MediaEvent::Connected);
    for leg in [&digits_from, &digits_to] {
        let stats = wait_stats(leg, flowing).await;
        assert_eq!(stats.rtp_lost, 0, "{stats:?}");
        // The far end's receiver reports come back: it got everything we sent up to them.
        let stats = wait_stats(leg, |s| s.remote_expected >= 25).await;
        assert_eq!(stats.remote_lost, 0, "{stats:?}");
        assert!(stats.remote_expected <= stats.rtp_sent, "{stats:?}");
    }
    digits_from.send_digits("1x#");
    assert_eq!(next_event(&mut digits_to).await, MediaEvent::Digit('1'));
    assert_eq!(next_event(&mut digits_to).await, MediaEvent::Digit('#'));
    // Nothing else arrives: no repeated digit before the leg is quiet for a while.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), digits_to.event())
            .await
            .is_err()
    );
    for leg in [&digits_from, &digits_to] {
        assert_eq!(leg.stats().rtp_lost, 0);
    }
    digits_from.close();
    drop(digits_to);
}

#[tokio::test]
async fn full_offers_lite_answers() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let offer = full.offer().await.unwrap();
    let (lite_leg, answer) = lite.answer(offer.sdp()).await.unwrap();
    assert!(answer.contains("a=setup:active\r\n"), "{answer}");
    let full_leg = offer.accept(&answer).unwrap();
    exercise(full_leg, lite_leg).await;
}

#[tokio::test]
async fn lite_offers_full_answers() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let offer = lite.offer().await.unwrap();
    let (full_leg, answer) = full.answer(offer.sdp()).await.unwrap();
    assert!(answer.contains("a=setup:active\r\n"), "{answer}");
    let lite_leg = offer.accept(&answer).unwrap();
    exercise(lite_leg, full_leg).await;
}

#[tokio::test]
async fn an_offer_without_candidate_lines_is_reached_at_its_connection_address() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let offer = full.offer().await.unwrap();
    // Some peers put their address only in c= and the m= port; the leg uses it as a host
    // candidate.
    let mut bare = String::new();
    for line in offer
        .sdp()
        .lines()
        .filter(|l| !l.starts_with("a=candidate:"))
    {
        bare.push_str(line);
        bare.push_str("\r\n");
    }
    assert!(bare.contains("c=IN IP4 127.0.0.1\r\n"));
    let (mut lite_leg, answer) = lite.answer(&bare).await.unwrap();
    let mut full_leg = offer.accept(&answer).unwrap();
    assert_eq!(next_event(&mut full_leg).await, MediaEvent::Connected);
    assert_eq!(next_event(&mut lite_leg).await, MediaEvent::Connected);
}
