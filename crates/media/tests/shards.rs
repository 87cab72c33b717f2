//! Connected legs are served by shards: more legs than one shard holds all carry media and
//! digits, and a dropped leg's socket is freed by its shard.

use std::net::UdpSocket;
use std::time::Duration;

use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg, MediaStats};

const WAIT: Duration = Duration::from_secs(20);
/// More pairs than one shard's 64 legs, so each engine runs at least two shards.
const PAIRS: usize = 70;

async fn connected(leg: &mut MediaLeg) {
    let event = tokio::time::timeout(WAIT, leg.event())
        .await
        .expect("an event in time");
    assert_eq!(event, Some(MediaEvent::Connected));
}

async fn pair(full: &MediaEngine, lite: &MediaEngine) -> (MediaLeg, MediaLeg) {
    let offer = full.offer().await.unwrap();
    let (mut lite_leg, answer) = lite.answer(offer.sdp()).await.unwrap();
    let mut full_leg = offer.accept(&answer).unwrap();
    connected(&mut full_leg).await;
    connected(&mut lite_leg).await;
    (full_leg, lite_leg)
}

/// Polls until every leg's counters satisfy `done` (no timing assertion).
async fn wait_all(legs: &[MediaLeg], done: impl Fn(&MediaStats) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !legs.iter().all(|l| done(&l.stats())) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            legs.iter().map(MediaLeg::stats).find(|s| !done(s))
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legs_beyond_one_shard_all_carry_media_and_digits() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let mut legs = Vec::new();
    for _ in 0..PAIRS {
        let (f, l) = pair(&full, &lite).await;
        legs.push(f);
        legs.push(l);
    }
    wait_all(&legs, |s| {
        s.rtp_sent >= 10 && s.rtp_received >= 10 && s.rtcp_received > 0
    })
    .await;
    for leg in &legs {
        let stats = leg.stats();
        assert_eq!(stats.rtp_lost, 0, "{stats:?}");
    }
    // The last pair lives on the second shard of each engine: digits still cross.
    let mut lite_last = legs.pop().unwrap();
    let full_last = legs.pop().unwrap();
    full_last.send_digits("7");
    let event = tokio::time::timeout(WAIT, lite_last.event()).await.unwrap();
    assert_eq!(event, Some(MediaEvent::Digit('7')));
}

#[tokio::test]
async fn a_dropped_leg_frees_its_socket() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let (full_leg, lite_leg) = pair(&full, &lite).await;
    wait_all(std::slice::from_ref(&full_leg), |s| s.rtp_sent >= 5).await;
    let addr = full_leg.local_addr();
    // While the leg runs its port is taken.
    assert!(UdpSocket::bind(addr).is_err());
    drop(full_leg);
    // Its shard notices on its next tick and closes the socket.
    let deadline = tokio::time::Instant::now() + WAIT;
    while UdpSocket::bind(addr).is_err() {
        assert!(tokio::time::Instant::now() < deadline, "{addr} still bound");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(lite_leg);
}
