//! Bridging without decoding: two WhatsApp-like pairs on loopback (user ↔ Dialtone leg), the
//! two Dialtone legs forwarding each other's received Opus payloads. What one user plays reaches
//! the other user byte for byte, in order, and nothing of it comes back to the sender.

use std::time::Duration;

use dialtone_media::{
    AudioLink, Background, MediaConfig, MediaEngine, MediaEvent, MediaLeg, PayloadSource,
};

const WAIT: Duration = Duration::from_secs(15);
/// Opus silence (what every leg sends when nothing plays).
const SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];

async fn next_event(leg: &mut MediaLeg) -> MediaEvent {
    tokio::time::timeout(WAIT, leg.event())
        .await
        .expect("an event within 15 s")
        .expect("the leg is still running")
}

/// A connected (user, Dialtone) pair.
async fn pair(full: &MediaEngine, lite: &MediaEngine) -> (MediaLeg, MediaLeg) {
    let offer = full.offer().await.unwrap();
    let (mut user, answer) = lite.answer(offer.sdp()).await.unwrap();
    let mut ours = offer.accept(&answer).unwrap();
    assert_eq!(next_event(&mut ours).await, MediaEvent::Connected);
    assert_eq!(next_event(&mut user).await, MediaEvent::Connected);
    (user, ours)
}

/// `count` numbered payloads `F8 hi lo`: a valid Opus TOC, and each one recognisable.
#[derive(Debug)]
struct Numbered {
    next: u16,
    count: u16,
}

impl PayloadSource for Numbered {
    fn next_payload(&mut self) -> Option<Vec<u8>> {
        (self.next < self.count).then(|| {
            let [hi, lo] = self.next.to_be_bytes();
            self.next += 1;
            vec![0xF8, hi, lo]
        })
    }
}

/// Collects what a tap received until `done` holds.
async fn collect(tap: &AudioLink, into: &mut Vec<Vec<u8>>, done: impl Fn(&[Vec<u8>]) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(into) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tap got {} payloads",
            into.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        into.extend(tap.drain());
    }
}

#[tokio::test]
async fn bridged_legs_forward_payloads_undecoded() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let (mut alice, a) = pair(&full, &lite).await;
    let (bob, b) = pair(&full, &lite).await;
    // The bridge.
    a.forward_to(Some(b.link()));
    b.forward_to(Some(a.link()));
    a.set_background(Background::Forwarded);
    b.set_background(Background::Forwarded);
    // Taps on what each user receives.
    let (to_alice, to_bob) = (AudioLink::default(), AudioLink::default());
    alice.forward_to(Some(to_alice.clone()));
    bob.forward_to(Some(to_bob.clone()));

    let id = alice.play(Box::new(Numbered {
        next: 0,
        count: 100,
    }));
    let mut heard_by_bob = Vec::new();
    collect(&to_bob, &mut heard_by_bob, |got| {
        got.iter().any(|p| p[..] == [0xF8, 0, 99])
    })
    .await;
    assert_eq!(next_event(&mut alice).await, MediaEvent::Played(id));
    let numbers: Vec<u16> = heard_by_bob
        .iter()
        .filter(|p| p[..] != SILENCE)
        .map(|p| {
            assert_eq!(p.len(), 3, "{p:?}");
            u16::from_be_bytes([p[1], p[2]])
        })
        .collect();
    // Every payload arrives once and in order (a tap keeps the last 8, so poll often enough).
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert!(
        numbers.len() >= 90,
        "{} of 100 forwarded: {numbers:?}",
        numbers.len()
    );
    assert_eq!(numbers.last(), Some(&99));
    // Alice hears only Bob's silence, never her own payloads.
    let heard_by_alice = to_alice.drain();
    assert!(!heard_by_alice.is_empty());
    assert!(
        heard_by_alice.iter().all(|p| p[..] == SILENCE),
        "{heard_by_alice:?}"
    );
    // Nothing was lost on any leg.
    for leg in [&alice, &a, &bob, &b] {
        assert_eq!(leg.stats().rtp_lost, 0, "{:?}", leg.stats());
    }
    // Unbridged: Bob hears silence again.
    a.forward_to(None);
    tokio::time::sleep(Duration::from_millis(100)).await;
    to_bob.drain();
    alice.play(Box::new(Numbered { next: 0, count: 20 }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(to_bob.drain().iter().all(|p| p[..] == SILENCE));
}
