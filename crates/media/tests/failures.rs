//! A leg that cannot connect, or whose remote disappears, reports `Failed` and stops.

use std::net::UdpSocket;
use std::time::Duration;

use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg};

async fn next_event(leg: &mut MediaLeg, within: Duration) -> Option<MediaEvent> {
    tokio::time::timeout(within, leg.event())
        .await
        .expect("an event in time")
}

#[tokio::test]
async fn an_answer_pointing_at_a_dead_port_fails_after_the_connect_timeout() {
    let lite = MediaEngine::new(MediaConfig::lite());
    let mut config = MediaConfig::full();
    config.connect_timeout = Duration::from_millis(300);
    let full = MediaEngine::new(config);
    let offer = full.offer().await.unwrap();
    let (lite_leg, answer) = lite.answer(offer.sdp()).await.unwrap();
    // Point the answer at a port that was bound and released: nobody answers there.
    let dead = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    drop(lite_leg);
    let live = lite_port(&answer);
    let answer = answer.replace(&format!(" {live} "), &format!(" {} ", dead.port()));
    let mut leg = offer.accept(&answer).unwrap();
    assert_eq!(
        next_event(&mut leg, Duration::from_secs(10)).await,
        Some(MediaEvent::Failed(
            "ICE/DTLS did not complete within 300 ms".to_owned()
        ))
    );
    assert_eq!(next_event(&mut leg, Duration::from_secs(1)).await, None);
    assert_eq!(leg.stats().rtp_sent, 0);
}

fn lite_port(sdp: &str) -> u16 {
    sdp.lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|port| port.parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_remote_that_disappears_fails_the_leg() {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let offer = full.offer().await.unwrap();
    let (mut lite_leg, answer) = lite.answer(offer.sdp()).await.unwrap();
    let mut full_leg = offer.accept(&answer).unwrap();
    let wait = Duration::from_secs(15);
    assert_eq!(
        next_event(&mut full_leg, wait).await,
        Some(MediaEvent::Connected)
    );
    assert_eq!(
        next_event(&mut lite_leg, wait).await,
        Some(MediaEvent::Connected)
    );
    full_leg.close();
    let Some(MediaEvent::Failed(reason)) = next_event(&mut lite_leg, Duration::from_secs(30)).await
    else {
        panic!("the lite leg did not fail");
    };
    assert!(
        reason == "no packets from the remote for 10 s"
            || reason == "ICE disconnected: the remote stopped answering",
        "{reason}"
    );
    assert_eq!(
        next_event(&mut lite_leg, Duration::from_secs(1)).await,
        None
    );
}

#[tokio::test]
async fn an_unspecified_ip_is_refused() {
    let mut config = MediaConfig::full();
    config.ip = std::net::Ipv4Addr::UNSPECIFIED.into();
    let error = MediaEngine::new(config).offer().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "media configuration: ip 0.0.0.0 is unspecified; it must be the address peers reach \
         (it is the ICE candidate)"
    );
}

#[tokio::test]
async fn accepting_outside_a_runtime_is_an_error() {
    let lite = MediaEngine::new(MediaConfig::lite());
    let full = MediaEngine::new(MediaConfig::full());
    let offer = full.offer().await.unwrap();
    let (_lite_leg, answer) = lite.answer(offer.sdp()).await.unwrap();
    // A plain thread has no tokio runtime to run the leg on.
    let result = std::thread::spawn(move || offer.accept(&answer).map(|_| ()))
        .join()
        .unwrap();
    assert!(
        matches!(result, Err(dialtone_media::MediaError::NoRuntime)),
        "{result:?}"
    );
}
