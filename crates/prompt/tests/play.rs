//! `<Play>` against a real HTTP server on 127.0.0.1: formats, faults and their codes,
//! `Cache-Control`, and single flight under a thousand concurrent plays.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dialtone_media::audio::detect::{dominant_tone, tone_present};
use dialtone_media::audio::{Clip, Wav};
use dialtone_prompt::{PromptConfig, PromptSource, Prompts};
use dialtone_types::WebUrl;
use tokio::io::AsyncWriteExt;

const MP3: &[u8] = include_bytes!("fixtures/tone-1khz-1s.mp3");

#[derive(Default)]
struct Server {
    hits: Mutex<HashMap<String, usize>>,
    full_bodies: Mutex<HashMap<String, usize>>,
}

impl Server {
    fn hits(&self, name: &str) -> usize {
        self.hits.lock().unwrap().get(name).copied().unwrap_or(0)
    }
    fn bodies(&self, name: &str) -> usize {
        self.full_bodies
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]
fn tone_wav(rate: u32, hz: f32, seconds: f32) -> Vec<u8> {
    let n = (rate as f32 * seconds) as usize;
    let samples = (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            (f32::sin(std::f32::consts::TAU * hz * t) * 12_000.0) as i16
        })
        .collect();
    Wav::mono(rate, samples).write().unwrap()
}

fn wav_header(channels: u16, rate: u32, data_len: u32) -> Vec<u8> {
    let mut v = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    v.extend(16u32.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(channels.to_le_bytes());
    v.extend(rate.to_le_bytes());
    v.extend(rate.wrapping_mul(2).to_le_bytes());
    v.extend(2u16.to_le_bytes());
    v.extend(16u16.to_le_bytes());
    v.extend(b"data");
    v.extend(data_len.to_le_bytes());
    v
}

fn audio(kind: &'static str, body: Vec<u8>, cache: Option<&'static str>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Some(c) = cache {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(c));
    }
    (headers, body).into_response()
}

async fn serve(
    State(server): State<Arc<Server>>,
    Path(name): Path<String>,
    request_headers: HeaderMap,
) -> Response {
    *server.hits.lock().unwrap().entry(name.clone()).or_default() += 1;
    let response = match name.as_str() {
        "tone.wav" => audio("audio/wav", tone_wav(16_000, 1000.0, 1.0), None),
        "tone8k.wav" => audio("audio/x-wav", tone_wav(8000, 1000.0, 2.0), None),
        "tone.mp3" => audio("audio/mpeg", MP3.to_vec(), None),
        "octet.wav" => audio(
            "application/octet-stream",
            tone_wav(16_000, 1000.0, 0.5),
            None,
        ),
        "page.html" => audio(
            "text/html; charset=utf-8",
            b"<html>hi</html>".to_vec(),
            None,
        ),
        "huge.wav" => audio("audio/wav", vec![0; 20 * 1024 * 1024], None),
        "lying.wav" => {
            let mut b = wav_header(1, 8000, 1_000_000);
            b.extend([0; 1000]);
            audio("audio/wav", b, None)
        }
        "no-channels.wav" => {
            let mut b = wav_header(0, 8000, 1000);
            b.extend([0; 1000]);
            audio("audio/wav", b, None)
        }
        "absurd-rate.wav" => {
            let mut b = wav_header(1, 4_000_000_000, 1000);
            b.extend([0; 1000]);
            audio("audio/wav", b, None)
        }
        "not-really.mp3" => audio("audio/mpeg", b"this is no mpeg audio".repeat(100), None),
        "slow.wav" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            audio("audio/wav", tone_wav(16_000, 1000.0, 0.2), None)
        }
        "max-age.wav" => audio(
            "audio/wav",
            tone_wav(16_000, 1000.0, 0.2),
            Some("max-age=60"),
        ),
        "no-store.wav" => audio("audio/wav", tone_wav(16_000, 1000.0, 0.2), Some("no-store")),
        "no-cache.wav" => {
            if request_headers
                .get(header::IF_NONE_MATCH)
                .is_some_and(|v| v == "\"v1\"")
            {
                return (StatusCode::NOT_MODIFIED, [(header::ETAG, "\"v1\"")]).into_response();
            }
            let mut r = audio("audio/wav", tone_wav(16_000, 1000.0, 0.2), Some("no-cache"));
            r.headers_mut()
                .insert(header::ETAG, HeaderValue::from_static("\"v1\""));
            r
        }
        "popular.wav" => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            audio(
                "audio/wav",
                tone_wav(16_000, 1000.0, 1.0),
                Some("max-age=60"),
            )
        }
        "loop" => (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response(),
        "gone" => (StatusCode::SERVICE_UNAVAILABLE, "down").into_response(),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    *server.full_bodies.lock().unwrap().entry(name).or_default() += 1;
    response
}

async fn start() -> (String, Arc<Server>) {
    let server = Arc::new(Server::default());
    let app = Router::new()
        .route("/{name}", get(serve))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, server)
}

fn prompts(config: PromptConfig) -> Prompts {
    Prompts::new(config).expect("prompts")
}

async fn play(p: &Prompts, url: &str) -> Result<Clip, dialtone_prompt::PromptError> {
    p.play(&WebUrl::parse(url).expect("url")).await
}

fn pcm(clip: &Clip) -> Vec<i16> {
    clip.frames().iter().flat_map(|f| f.0).collect()
}

fn assert_about(clip: &Clip, expected: Duration) {
    let got = clip.duration();
    assert!(
        got.abs_diff(expected) <= Duration::from_millis(60),
        "duration {got:?}, expected {expected:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plays_a_16_bit_wav_tone() {
    let (base, _) = start().await;
    let p = prompts(PromptConfig::default());
    let clip = play(&p, &format!("{base}/tone.wav")).await.unwrap();
    assert_about(&clip, Duration::from_secs(1));
    let s = pcm(&clip);
    assert_eq!(
        dominant_tone(&s[1600..14_400], 16_000, &[500.0, 1000.0, 2000.0]),
        Some(1000.0)
    );
    assert!(tone_present(&s[1600..14_400], 16_000, 1000.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resamples_an_8k_wav_and_sniffs_octet_stream() {
    let (base, _) = start().await;
    let p = prompts(PromptConfig::default());
    let clip = play(&p, &format!("{base}/tone8k.wav")).await.unwrap();
    assert_about(&clip, Duration::from_secs(2));
    let s = pcm(&clip);
    assert!(tone_present(&s[3200..28_800], 16_000, 1000.0));
    let clip = play(&p, &format!("{base}/octet.wav")).await.unwrap();
    assert_about(&clip, Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decodes_an_mp3() {
    let (base, _) = start().await;
    let p = prompts(PromptConfig::default());
    let clip = play(&p, &format!("{base}/tone.mp3")).await.unwrap();
    // LAME pads the start and end with a frame or so of silence: 1 s of tone, 22 050 Hz.
    let d = clip.duration();
    assert!(
        d >= Duration::from_millis(950) && d <= Duration::from_millis(1200),
        "{d:?}"
    );
    let s = pcm(&clip);
    assert_eq!(
        dominant_tone(&s[3200..12_800], 16_000, &[500.0, 1000.0, 2000.0]),
        Some(1000.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_faults_have_the_fetch_codes() {
    let (base, _) = start().await;
    let p = prompts(PromptConfig {
        fetch_timeout: Duration::from_millis(500),
        ..PromptConfig::default()
    });
    let e = play(&p, &format!("{base}/missing.wav")).await.unwrap_err();
    assert_eq!(e.code().0, 11200, "{e}");
    assert!(e.to_string().contains("404"), "{e}");
    let e = play(&p, &format!("{base}/gone")).await.unwrap_err();
    assert_eq!(e.code().0, 11200, "{e}");

    let started = Instant::now();
    let e = play(&p, &format!("{base}/slow.wav")).await.unwrap_err();
    assert_eq!(e.code().0, 11205, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    let e = play(&p, &format!("{base}/loop")).await.unwrap_err();
    assert_eq!(e.code().0, 11215, "{e}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let e = play(&p, &format!("http://127.0.0.1:{port}/x.wav"))
        .await
        .unwrap_err();
    assert_eq!(e.code().0, 11205, "{e}");

    let e = play(&p, "http://no-such-host.invalid/x.wav")
        .await
        .unwrap_err();
    assert_eq!(e.code().0, 11210, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_stop_early() {
    let (base, _) = start().await;
    let p = prompts(PromptConfig::default());
    // Declared length: refused before reading.
    let e = play(&p, &format!("{base}/huge.wav")).await.unwrap_err();
    assert_eq!(e.code().0, 11200, "{e}");
    assert!(e.to_string().contains("limit"), "{e}");

    // No length (read to EOF): the fetch stops at the limit and hangs up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let written = Arc::new(Mutex::new(0usize));
    let counter = written.clone();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: audio/wav\r\nconnection: close\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![0u8; 64 * 1024];
        for _ in 0..(20 * 16) {
            if socket.write_all(&chunk).await.is_err() {
                break;
            }
            *counter.lock().unwrap() += chunk.len();
        }
    });
    let small = prompts(PromptConfig {
        max_fetch_bytes: 1024 * 1024,
        ..PromptConfig::default()
    });
    let e = play(&small, &format!("http://{addr}/stream.wav"))
        .await
        .unwrap_err();
    assert_eq!(e.code().0, 11200, "{e}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = *written.lock().unwrap();
    assert!(sent < 12 * 1024 * 1024, "server wrote {sent} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_audio_and_lying_files_are_13420() {
    let (base, _) = start().await;
    let p = prompts(PromptConfig::default());
    for (name, words) in [
        ("page.html", "Content-Type"),
        ("lying.wav", "1000000 bytes"),
        ("no-channels.wav", "0 channels"),
        ("absurd-rate.wav", "sample rate"),
        ("not-really.mp3", "MP3"),
    ] {
        let e = play(&p, &format!("{base}/{name}")).await.unwrap_err();
        assert_eq!(e.code().0, 13420, "{name}: {e}");
        assert!(e.to_string().contains(words), "{name}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_control_is_honoured() {
    let (base, server) = start().await;
    let p = prompts(PromptConfig::default());
    for _ in 0..3 {
        play(&p, &format!("{base}/max-age.wav")).await.unwrap();
        play(&p, &format!("{base}/no-store.wav")).await.unwrap();
        play(&p, &format!("{base}/no-cache.wav")).await.unwrap();
    }
    assert_eq!(server.hits("max-age.wav"), 1);
    assert_eq!(server.hits("no-store.wav"), 3);
    // no-cache: asked every time, but answered 304 after the first, and the clip reused.
    assert_eq!(server.hits("no-cache.wav"), 3);
    assert_eq!(server.bodies("no-cache.wav"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_plays_fetch_once() {
    let (base, server) = start().await;
    let p = Arc::new(prompts(PromptConfig::default()));
    let url = WebUrl::parse(&format!("{base}/popular.wav")).unwrap();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (p, url) = (p.clone(), url.clone());
            tokio::spawn(async move { p.play(&url).await })
        })
        .collect();
    let mut clips = Vec::new();
    for t in tasks {
        clips.push(t.await.unwrap().unwrap());
    }
    assert_eq!(server.hits("popular.wav"), 1);
    assert!(clips.iter().all(|c| *c == clips[0]));
    assert_about(&clips[0], Duration::from_secs(1));
}
