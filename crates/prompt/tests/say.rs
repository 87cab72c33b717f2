//! `<Say>` with the real espeak-ng (and wrapper scripts standing in for broken engines), and
//! with an HTTP TTS endpoint on 127.0.0.1.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use dialtone_media::audio::Wav;
use dialtone_media::audio::detect::speech_like_energy;
use dialtone_prompt::{
    MAX_SAY_CHARS, PromptConfig, PromptSource, Prompts, SayRequest, SpeechEngine,
};

/// espeak-ng must be installed (Debian: `apt-get install espeak-ng`); the tests fail, not skip,
/// without it.
fn espeak() -> PathBuf {
    let ok = std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "espeak-ng is missing: these tests need it on PATH (Debian: apt-get install espeak-ng)"
    );
    PathBuf::from("espeak-ng")
}

fn say(text: &str) -> SayRequest {
    SayRequest {
        text: text.to_owned(),
        voice: None,
        language: None,
    }
}

fn with_program(program: &Path, timeout: Duration) -> Prompts {
    Prompts::new(PromptConfig {
        engine: SpeechEngine::Espeak {
            program: program.to_owned(),
        },
        synth_timeout: timeout,
        ..PromptConfig::default()
    })
    .unwrap()
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A wrapper that counts its runs in `dir/count`, then is espeak-ng.
fn counting_espeak(dir: &Path) -> PathBuf {
    espeak();
    let count = dir.join("count");
    script(
        dir,
        "espeak-counting",
        &format!("echo run >> '{}'\nexec espeak-ng \"$@\"", count.display()),
    )
}

fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("count")).map_or(0, |s| s.lines().count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_lasts_about_as_long_as_the_text() {
    let p = with_program(&espeak(), Duration::from_secs(20));
    let short = p.say(&say("Hello.")).await.unwrap();
    let long = p
        .say(&say(
            "Thank you for calling Dialtone. Please listen carefully, as our menu options \
             have changed. For sales, press one. For support, press two.",
        ))
        .await
        .unwrap();
    for clip in [&short, &long] {
        let speech = speech_like_energy(clip.frames());
        assert!(
            speech * 2 >= clip.duration(),
            "{speech:?} of speech in {:?}",
            clip.duration()
        );
    }
    // About 150–200 words a minute: "Hello." well under 2 s, 25 words about 6–12 s.
    assert!(short.duration() > Duration::from_millis(200), "{short:?}");
    assert!(short.duration() < Duration::from_secs(2), "{short:?}");
    assert!(
        long.duration() > Duration::from_secs(5),
        "{:?}",
        long.duration()
    );
    assert!(
        long.duration() < Duration::from_secs(15),
        "{:?}",
        long.duration()
    );
    assert_ne!(short, long);

    let woman = p
        .say(&SayRequest {
            voice: Some("woman".to_owned()),
            ..say("Hello.")
        })
        .await
        .unwrap();
    assert_ne!(woman, short, "woman speaks with another voice than man");
    let french = p
        .say(&SayRequest {
            language: Some("fr-FR".to_owned()),
            ..say("Bonjour, merci d'avoir appelé.")
        })
        .await
        .unwrap();
    assert!(speech_like_energy(french.frames()) > Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_spawns_once_per_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = Arc::new(with_program(
        &counting_espeak(dir.path()),
        Duration::from_secs(20),
    ));
    let first = p.say(&say("Your call is important to us.")).await.unwrap();
    let again = p.say(&say("Your call is important to us.")).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(runs(dir.path()), 1);

    // Asked by ten calls at once: one process.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { p.say(&say("Please hold.")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(runs(dir.path()), 2);

    // man and no voice are the same espeak-ng voice; woman is another.
    p.say(&SayRequest {
        voice: Some("man".to_owned()),
        language: Some("en-US".to_owned()),
        ..say("Please hold.")
    })
    .await
    .unwrap();
    assert_eq!(runs(dir.path()), 2);
    p.say(&SayRequest {
        voice: Some("woman".to_owned()),
        ..say("Please hold.")
    })
    .await
    .unwrap();
    assert_eq!(runs(dir.path()), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_bounds_running_engines() {
    espeak();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let slow = script(
        dir.path(),
        "slow-espeak",
        &format!(
            "echo + >> '{0}'\nsleep 0.3\necho - >> '{0}'\nexec espeak-ng \"$@\"",
            log.display()
        ),
    );
    let p = Arc::new(
        Prompts::new(PromptConfig {
            engine: SpeechEngine::Espeak { program: slow },
            synth_concurrency: 2,
            ..PromptConfig::default()
        })
        .unwrap(),
    );
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let p = p.clone();
            tokio::spawn(async move { p.say(&say(&format!("Prompt number {i}."))).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let (mut running, mut most) = (0i32, 0i32);
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        running += if line == "+" { 1 } else { -1 };
        most = most.max(running);
    }
    assert_eq!(most, 2, "at most synth_concurrency engines at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_engine_is_an_error_with_a_code() {
    let p = with_program(Path::new("/nonexistent/espeak-ng"), Duration::from_secs(5));
    let e = p.say(&say("Hello")).await.unwrap_err();
    assert_eq!(e.code().0, 12400, "{e}");
    assert!(e.to_string().contains("/nonexistent/espeak-ng"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let failing = script(dir.path(), "fails", "echo 'no voice' >&2\nexit 3");
    let e = with_program(&failing, Duration::from_secs(5))
        .say(&say("Hello"))
        .await
        .unwrap_err();
    assert_eq!(e.code().0, 12400, "{e}");
    assert!(e.to_string().contains("no voice"), "{e}");

    let garbage = script(dir.path(), "garbage", "cat >/dev/null\necho not a wav");
    let e = with_program(&garbage, Duration::from_secs(5))
        .say(&say("Hello"))
        .await
        .unwrap_err();
    assert_eq!(e.code().0, 12400, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_engine_times_out_and_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let hung = script(
        dir.path(),
        "hangs",
        &format!("echo $$ > '{}'\nexec sleep 30", pid_file.display()),
    );
    let p = with_program(&hung, Duration::from_millis(500));
    let started = Instant::now();
    let e = p.say(&say("Hello")).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.code().0, 12400, "{e}");
    assert!(e.to_string().contains("did not finish"), "{e}");
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // The process is gone (killed on drop, then reaped).
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let proc = PathBuf::from(format!("/proc/{}", pid.trim()));
    let deadline = Instant::now() + Duration::from_secs(3);
    while proc.exists() && Instant::now() < deadline {
        let state = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
        if state.contains(") Z ") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z "),
        "the hung engine still runs: {state}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_limits_are_twilios() {
    let p = with_program(&espeak(), Duration::from_secs(60));
    let words = "one two three four five six seven eight nine ten. ";
    let text: String = words.chars().cycle().take(MAX_SAY_CHARS).collect();
    assert_eq!(text.chars().count(), 4096);
    let clip = p.say(&say(&text)).await.unwrap();
    assert!(
        clip.duration() > Duration::from_secs(60),
        "{:?}",
        clip.duration()
    );

    let over: String = words.chars().cycle().take(MAX_SAY_CHARS + 1).collect();
    let e = p.say(&say(&over)).await.unwrap_err();
    assert_eq!(e.code().0, 13520, "{e}");
    for empty in ["", "   \n", "<break time=\"1s\"/>"] {
        let e = p.say(&say(empty)).await.unwrap_err();
        assert_eq!(e.code().0, 13520, "{empty:?}: {e}");
    }
    // Text that looks like options is spoken, not parsed.
    let clip = p.say(&say("--help -v xx")).await.unwrap();
    assert!(speech_like_energy(clip.frames()) > Duration::from_millis(300));
}

#[derive(Default)]
struct Tts {
    forms: Mutex<Vec<String>>,
}

async fn tts(State(state): State<Arc<Tts>>, body: String) -> impl IntoResponse {
    let not_audio = body.contains("html");
    state.forms.lock().unwrap().push(body);
    if not_audio {
        return ([(header::CONTENT_TYPE, "text/html")], b"<html/>".to_vec());
    }
    // One second of a 300 Hz buzz at 22 050 Hz, as a stand-in for speech.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let samples = (0..22_050)
        .map(|i| (f32::sin(i as f32 * 0.0855) * 10_000.0) as i16)
        .collect();
    let wav = Wav::mono(22_050, samples).write().unwrap();
    ([(header::CONTENT_TYPE, "audio/x-wav")], wav)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_engine_is_posted_the_text() {
    let state = Arc::new(Tts::default());
    let app = Router::new()
        .route("/tts", post(tts))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tts", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let p = Prompts::new(PromptConfig {
        engine: SpeechEngine::Http { url },
        ..PromptConfig::default()
    })
    .unwrap();
    let request = SayRequest {
        text: "Hello & welcome".to_owned(),
        voice: Some("Polly.Amy".to_owned()),
        language: Some("en-GB".to_owned()),
    };
    let clip = p.say(&request).await.unwrap();
    assert!(clip.duration().abs_diff(Duration::from_secs(1)) <= Duration::from_millis(40));
    p.say(&request).await.unwrap();
    let forms = state.forms.lock().unwrap().clone();
    assert_eq!(
        forms,
        ["text=Hello+%26+welcome&voice=Polly.Amy&language=en-GB"]
    );
    let e = p.say(&say("html please")).await.unwrap_err();
    assert_eq!(e.code().0, 12400, "{e}");
    assert!(e.to_string().contains("text/html"), "{e}");
}
