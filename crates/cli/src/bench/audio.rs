//! `dialtone bench --whatsapp --audio`: what a bridge costs, forwarded and transcoded, and
//! whether the audio arrives.
//!
//! Issue 11 asks for evidence that bridging WhatsApp legs without decoding is cheap and that
//! decoding is paid for only when something needs PCM. Each phase starts its own server (a
//! transcoding phase with `serve --transcode-bridges`) and application server
//! ([`super::audio_app`]):
//!
//! - **Bridges**: `--calls` pairs of simulated users; user A `i` (`Audio=tone:440`) calls the
//!   business, whose TwiML `<Dial callerId=…><WhatsApp>+B</WhatsApp></Dial>` bridges it to
//!   user B `i` (`Audio=tone:1000`). Calls start at `--rate` per second (default 50); 3 s
//!   after the last start every call should be in progress, and the server's CPU time
//!   (`/proc/PID/stat`) is read before and after `--talk-seconds` of audio: CPU per
//!   call-second. Then a sample of bridges is checked by content (Heard.wav: A heard 1000 Hz,
//!   B heard 440 Hz, by Goertzel), the users hang up, and loss per direction comes from the
//!   users' media counters ([`super::whatsapp_media`]) over both legs of every bridge.
//! - `--transcode`: the same again with transcoding bridges; the report gives the ratio.
//! - `--play`: `--calls` users call a business whose TwiML `<Play>`s one WAV served by the
//!   bench; the prompt cache's single flight must fetch it exactly once.
//!
//! The server runs the embedded simulator, so its CPU time includes the simulated users'
//! own WebRTC media (two legs per bridge): the forwarding/transcoding difference is what the
//! bridge itself costs.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::api::Api;
use super::audio_app::{self, A_PREFIX, B_PREFIX, PLAY_PREFIX, PROMPT_HZ, number};
use super::server::{ServerProcess, random_hex, start_server};
use super::whatsapp_app::SENDER;
use super::whatsapp_media::MediaTotals;
use super::{BenchArgs, serve_app};
use dialtone_media::audio::detect::dominant_tone;

/// Default `--rate` for `--audio`: call starts per second.
const DEFAULT_RATE: f64 = 50.0;
/// Time after the last start before the measurement window opens (set-up of the last calls).
const SETTLE: Duration = Duration::from_secs(3);
/// Time after the window for the content check before the users hang up.
const SAMPLE_MARGIN: Duration = Duration::from_secs(5);
/// Bridges checked by content.
const SAMPLES: u32 = 3;
/// Loss above this share of frames, in either direction, fails the run.
const MAX_LOSS_PERCENT: f64 = 1.0;
/// Set-up requests in flight at once.
const PARALLEL_SETUP: usize = 16;
/// The tones: A sends `A_HZ`, B sends `B_HZ`.
const A_HZ: f32 = 440.0;
const B_HZ: f32 = 1000.0;

/// One phase's server, application server and client.
struct Phase {
    server: Arc<ServerProcess>,
    api: Arc<Api>,
    fetches: Arc<std::sync::atomic::AtomicU64>,
}

pub(super) async fn run(args: &BenchArgs) -> Result<bool, String> {
    let rate = args.rate.unwrap_or(DEFAULT_RATE);
    if !(rate.is_finite() && rate > 0.0) {
        return Err("--rate must be a positive number of calls per second".to_owned());
    }
    if !(args.talk_seconds.is_finite() && args.talk_seconds >= 1.0) {
        return Err("--talk-seconds must be at least 1".to_owned());
    }
    println!(
        "dialtone bench --whatsapp --audio: {} bridges at once, talk {} s, start rate {rate}/s, {} cores",
        args.calls,
        args.talk_seconds,
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    let (mut ok, forward) = bridges(args, rate, false).await?;
    if args.transcode {
        let (transcode_ok, transcode) = bridges(args, rate, true).await?;
        ok &= transcode_ok;
        if let (Some(f), Some(t)) = (forward, transcode) {
            println!(
                "bridge CPU: forwarding {f:.3} ms, transcoding {t:.3} ms per call-second: forwarding costs {:.2} of transcoding (transcoding {:.2}x forwarding)",
                f / t,
                t / f
            );
        }
    }
    if args.play {
        ok &= play(args, rate).await?;
    }
    if !ok {
        println!("FAILED");
    }
    Ok(ok)
}

/// Starts a server (transcoding bridges or not) and the application for it.
async fn start(args: &BenchArgs, transcode: bool) -> Result<Phase, String> {
    let sid = format!("AC{}", random_hex(16)?);
    let token = random_hex(16)?;
    let extra: &[&str] = if transcode {
        &["--transcode-bridges"]
    } else {
        &[]
    };
    let server = Arc::new(start_server(
        args.database_url.as_deref(),
        &sid,
        &token,
        args.calls.saturating_mul(2),
        extra,
    )?);
    let base = Arc::new(OnceLock::new());
    let (router, fetches) = audio_app::router(Arc::clone(&base))?;
    let app_url = serve_app(router).await?;
    base.set(app_url.clone())
        .map_err(|_| "the application server's URL was set twice".to_owned())?;
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?,
        base: server.url.clone(),
        sid,
        token,
    });
    let application = api
        .post(
            &format!("/2010-04-01/Accounts/{}/Applications.json", api.sid),
            &[
                ("FriendlyName", "dialtone bench audio"),
                ("VoiceUrl", &format!("{app_url}/voice")),
            ],
        )
        .await?;
    let application_sid = application["sid"]
        .as_str()
        .ok_or("the application has no sid")?;
    api.post_json(
        "/v2/Channels/Senders",
        &serde_json::json!({
            "sender_id": format!("whatsapp:{SENDER}"),
            "configuration": { "voice_application_sid": application_sid },
        }),
    )
    .await?;
    Ok(Phase {
        server,
        api,
        fetches,
    })
}

/// Creates simulated users, `PARALLEL_SETUP` at a time: (number, form) each.
async fn create_users(
    api: &Arc<Api>,
    users: Vec<(String, Vec<(&'static str, String)>)>,
) -> Result<(), String> {
    let gate = Arc::new(Semaphore::new(PARALLEL_SETUP));
    let mut set = tokio::task::JoinSet::new();
    for (number, mut form) in users {
        let (api, gate) = (Arc::clone(api), Arc::clone(&gate));
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            form.push(("Number", number));
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            api.post("/sim/v1/WhatsAppUsers", &form).await.map(drop)
        });
    }
    while let Some(done) = set.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// Each of `callers` calls the business, `rate` per second; failed starts.
async fn start_calls(api: &Arc<Api>, callers: &[String], rate: f64) -> Result<u64, String> {
    let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut set = tokio::task::JoinSet::new();
    for caller in callers {
        pace.tick().await;
        let api = Arc::clone(api);
        let path = format!("/sim/v1/WhatsAppUsers/{}/Calls", caller.replace('+', "%2B"));
        set.spawn(async move {
            api.post(&path, &[("To", &format!("whatsapp:{SENDER}"))])
                .await
                .map_err(|e| eprintln!("dialtone bench: {e}"))
                .is_err()
        });
    }
    let mut failed = 0;
    while let Some(done) = set.join_next().await {
        failed += u64::from(done.map_err(|e| e.to_string())?);
    }
    Ok(failed)
}

/// Calls with status `status`.
async fn count_status(api: &Api, status: &str) -> Result<u64, String> {
    Ok(api.statuses().await?.get(status).copied().unwrap_or(0))
}

/// Waits until `calls` calls completed or `deadline`; how many did.
async fn wait_completed(api: &Api, calls: u64, deadline: Instant) -> Result<u64, String> {
    loop {
        let done = count_status(api, "completed").await?;
        if done >= calls || Instant::now() > deadline {
            return Ok(done);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One bridge phase; whether it passed and the server's CPU milliseconds per call-second.
async fn bridges(
    args: &BenchArgs,
    rate: f64,
    transcode: bool,
) -> Result<(bool, Option<f64>), String> {
    let name = if transcode {
        "transcoding"
    } else {
        "forwarding"
    };
    let phase = start(args, transcode).await?;
    let api = &phase.api;
    let n = args.calls;
    let ramp = Duration::from_secs_f64(f64::from(n) / rate);
    let talk = Duration::from_secs_f64(args.talk_seconds);
    let hangup_after = (ramp + SETTLE + talk + SAMPLE_MARGIN).as_secs_f64().ceil();
    let (a_users, b_users): (Vec<String>, Vec<String>) = (0..n)
        .map(|i| (number(A_PREFIX, i), number(B_PREFIX, i)))
        .unzip();
    let mut users = Vec::new();
    for a in &a_users {
        users.push((
            a.clone(),
            vec![
                ("Audio", format!("tone:{A_HZ}")),
                ("HangupAfter", hangup_after.to_string()),
            ],
        ));
    }
    for b in &b_users {
        users.push((
            b.clone(),
            vec![
                ("Permission", "granted".to_owned()),
                ("AnswerAfter", "0".to_owned()),
                ("Audio", format!("tone:{B_HZ}")),
            ],
        ));
    }
    create_users(api, users).await?;
    println!(
        "[{name}] set-up: {n} A users (tone {A_HZ} Hz), {n} B users (tone {B_HZ} Hz), A hangs up after {hangup_after} s"
    );
    let started = Instant::now();
    let failed = start_calls(api, &a_users, rate).await?;
    tokio::time::sleep(SETTLE).await;
    let live_before = count_status(api, "in-progress").await?;
    let (t0, cpu0) = (Instant::now(), phase.server.cpu_time());
    tokio::time::sleep(talk).await;
    let (t1, cpu1) = (Instant::now(), phase.server.cpu_time());
    let live_after = count_status(api, "in-progress").await?;
    let window = t1.duration_since(t0);
    println!(
        "[{name}] calls in progress (both legs of each bridge): {live_before} at the window's start, {live_after} at its end, of {}; {failed} starts failed",
        2 * n
    );
    let mut ok = failed == 0 && live_before == 2 * u64::from(n) && live_after == live_before;
    let cost = if let (Some(c0), Some(c1)) = (cpu0, cpu1) {
        let cpu = c1.saturating_sub(c0);
        let call_seconds = f64::from(n) * window.as_secs_f64();
        let per = cpu.as_secs_f64() * 1000.0 / call_seconds;
        println!(
            "[{name}] server CPU over {:.1} s with {n} bridges: {:.2} s ({:.0} % of one core): {per:.3} ms per bridge-second (simulated users' media included)",
            window.as_secs_f64(),
            cpu.as_secs_f64(),
            100.0 * cpu.as_secs_f64() / window.as_secs_f64()
        );
        Some(per)
    } else {
        println!("[{name}] server CPU: unavailable (no /proc)");
        None
    };
    ok &= check_bridges(api, n, name).await?;
    let deadline =
        started + Duration::from_secs_f64(hangup_after) + Duration::from_secs(args.timeout);
    let completed = wait_completed(api, 2 * u64::from(n), deadline).await?;
    println!("[{name}] completed calls: {completed} of {}", 2 * n);
    ok &= completed == 2 * u64::from(n);
    let everyone: Vec<String> = a_users.into_iter().chain(b_users).collect();
    let totals = MediaTotals::collect_all(api, &everyone).await?;
    ok &= totals.report(MAX_LOSS_PERCENT, 2 * u64::from(n));
    if !ok {
        println!(
            "[{name}] FAILED (server log: {})",
            phase.server.keep_log().display()
        );
    }
    Ok((ok, cost))
}

/// The tone that dominates the last seconds of a call's Heard.wav (1 s before its end).
async fn heard(api: &Api, call: &str) -> Result<Option<f32>, String> {
    let bytes = api
        .get_bytes(&format!("/sim/v1/Calls/{call}/Heard.wav"))
        .await?;
    let wav = dialtone_media::audio::Wav::read(&bytes).map_err(|e| format!("Heard.wav: {e}"))?;
    let samples = wav.to_mono();
    let rate = usize::try_from(wav.sample_rate).unwrap_or(16_000);
    let end = samples.len().saturating_sub(rate);
    let start = end.saturating_sub(4 * rate);
    Ok(dominant_tone(
        &samples[start..end],
        wav.sample_rate,
        &[A_HZ, B_HZ, PROMPT_HZ],
    ))
}

/// Checks `SAMPLES` bridges by what each side heard so far.
async fn check_bridges(api: &Api, n: u32, name: &str) -> Result<bool, String> {
    let calls = api.calls().await?;
    let mut by_from = HashMap::new();
    let mut child_of = HashMap::new();
    for call in &calls {
        let sid = call["sid"].as_str().unwrap_or_default().to_owned();
        if let Some(parent) = call["parent_call_sid"].as_str() {
            child_of.insert(parent.to_owned(), sid);
        } else if let Some(from) = call["from"].as_str() {
            by_from.insert(from.trim_start_matches("whatsapp:").to_owned(), sid);
        }
    }
    let mut indices = vec![0, n / 2, n.saturating_sub(1)];
    indices.dedup();
    let mut good = 0;
    for &i in indices.iter().take(SAMPLES as usize) {
        let Some(parent) = by_from.get(&number(A_PREFIX, i)) else {
            println!("[{name}] bridge {i}: no parent call");
            continue;
        };
        let Some(child) = child_of.get(parent) else {
            println!("[{name}] bridge {i}: no child call");
            continue;
        };
        let (a_heard, b_heard) = (heard(api, parent).await?, heard(api, child).await?);
        let fine = a_heard == Some(B_HZ) && b_heard == Some(A_HZ);
        good += u32::from(fine);
        println!(
            "[{name}] bridge {i}: A heard {a_heard:?} Hz (want {B_HZ}), B heard {b_heard:?} Hz (want {A_HZ}): {}",
            if fine { "ok" } else { "WRONG" }
        );
    }
    Ok(good == u32::try_from(indices.len()).unwrap_or(0))
}

/// `--calls` callers each hear one `<Play>` of the same WAV: it must be fetched once.
async fn play(args: &BenchArgs, rate: f64) -> Result<bool, String> {
    let phase = start(args, false).await?;
    let api = &phase.api;
    let n = args.calls;
    let ramp = Duration::from_secs_f64(f64::from(n) / rate);
    let hangup_after = (ramp + SETTLE + SAMPLE_MARGIN).as_secs_f64().ceil();
    let callers: Vec<String> = (0..n).map(|i| number(PLAY_PREFIX, i)).collect();
    let users = callers
        .iter()
        .map(|c| (c.clone(), vec![("HangupAfter", hangup_after.to_string())]))
        .collect();
    create_users(api, users).await?;
    let started = Instant::now();
    let failed = start_calls(api, &callers, rate).await?;
    tokio::time::sleep(SETTLE).await;
    // The first caller has heard its prompt by now.
    let calls = api.calls().await?;
    let first = calls
        .iter()
        .find(|c| c["from"].as_str() == Some(&format!("whatsapp:{}", callers[0])))
        .and_then(|c| c["sid"].as_str())
        .map(str::to_owned);
    let first_heard = match first {
        Some(sid) => {
            let bytes = api
                .get_bytes(&format!("/sim/v1/Calls/{sid}/Heard.wav"))
                .await?;
            let wav = dialtone_media::audio::Wav::read(&bytes).map_err(|e| e.to_string())?;
            dominant_tone(&wav.to_mono(), wav.sample_rate, &[A_HZ, B_HZ, PROMPT_HZ])
        }
        None => None,
    };
    let deadline =
        started + Duration::from_secs_f64(hangup_after) + Duration::from_secs(args.timeout);
    let completed = wait_completed(api, u64::from(n), deadline).await?;
    let fetches = phase.fetches.load(Ordering::Relaxed);
    println!(
        "[play] {n} calls <Play> one WAV: fetched {fetches} time(s); {completed} of {n} completed, {failed} starts failed; the first caller heard {first_heard:?} Hz (want {PROMPT_HZ})"
    );
    let ok =
        fetches == 1 && completed == u64::from(n) && failed == 0 && first_heard == Some(PROMPT_HZ);
    if !ok {
        println!(
            "[play] FAILED (server log: {})",
            phase.server.keep_log().display()
        );
    }
    Ok(ok)
}
