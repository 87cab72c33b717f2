//! `dialtone bench`: end-to-end throughput of a real server.
//!
//! It starts `dialtone serve` as a child process (this same executable) on a free loopback
//! port with a temporary SQLite store (or `--database-url`), runs an application server of
//! its own on loopback, registers a simulated softphone that answers at once, and drives
//! `--calls` calls through the REST API over HTTP, `--concurrency` of them live at a time.
//!
//! Two workloads:
//! - the default ([`calls`]): `POST Calls.json` (with `Url` and `StatusCallback`) → the
//!   softphone rings and answers → the server fetches the TwiML (`<Response><Hangup/></Response>`)
//!   → the call completes → the `completed` status callback (and, with `--all-events`,
//!   `initiated`, `ringing` and `answered` too) arrives from the durable outbox;
//! - `--whatsapp` ([`whatsapp`]): the softphone agent's call runs
//!   `<Dial callerId="whatsapp:+S"><WhatsApp>+U</WhatsApp></Dial>` to a user of the embedded
//!   WhatsApp simulator, with real WebRTC media (ICE, DTLS-SRTP, Opus) between Dialtone and the
//!   simulated user for `--hold` seconds, and per-direction packet loss;
//! - `--whatsapp --audio` ([`audio`]): `--calls` bridges between pairs of simulated users,
//!   all at once, for `--talk-seconds`: loss, server CPU per bridge-second forwarded (and with
//!   `--transcode` transcoded), content checked by tone; `--play`: one `<Play>` to `--calls`
//!   calls, fetched once.
//!
//! Every time is measured in this process on one monotonic clock; the report names what each
//! figure spans. The exit code is 0 only when every call completed and no callback was lost
//! (and, with `--whatsapp`, packet loss stayed under 1 % both ways).

mod api;
mod audio;
mod audio_app;
mod calls;
mod report;
mod server;
mod whatsapp;
mod whatsapp_app;
mod whatsapp_media;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Mutex, MutexGuard, PoisonError};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

/// `dialtone bench` options.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Calls to place.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub calls: u32,
    /// Calls live at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Subscribe every call to all four status-callback events, not only `completed`.
    #[arg(long, conflicts_with = "whatsapp")]
    pub all_events: bool,
    /// Each call dials a simulated WhatsApp user (`<Dial><WhatsApp>` with WebRTC media)
    /// through the embedded simulator; reports flows/s and packet loss both ways.
    #[arg(long)]
    pub whatsapp: bool,
    /// With `--whatsapp`: seconds each WhatsApp user stays on the call, media flowing, before
    /// hanging up (default 3).
    #[arg(long, value_name = "SECONDS", requires = "whatsapp")]
    pub hold: Option<f64>,
    /// With `--whatsapp`: start at most this many flows per second (default: as fast as the
    /// concurrency allows).
    #[arg(long, value_name = "FLOWS_PER_SECOND", requires = "whatsapp")]
    pub rate: Option<f64>,
    /// With `--whatsapp`: `--calls` bridges between two simulated users each (A tone 440 Hz
    /// calls the business, `<Dial><WhatsApp>` bridges it to B tone 1000 Hz), all live at once
    /// for `--talk-seconds`; loss both ways, server CPU per bridge-second, tones checked
    #[arg(long, requires = "whatsapp")]
    pub audio: bool,
    /// With `--audio`: seconds of audio measured with every bridge up
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub talk_seconds: f64,
    /// With `--audio`: a second phase with transcoding bridges (decode + re-encode), and the
    /// forwarding/transcoding CPU ratio
    #[arg(long, requires = "audio")]
    pub transcode: bool,
    /// With `--audio`: a phase where `--calls` calls `<Play>` one WAV; it must be fetched once
    #[arg(long, requires = "audio")]
    pub play: bool,
    /// Database for the server (default: SQLite in a temporary directory).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Seconds to wait for the last callbacks once every call was created (with `--whatsapp`,
    /// on top of `--hold`).
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// No progress bar (for logs).
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the benchmark.
pub fn main(args: &BenchArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dialtone bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = if args.audio {
        runtime.block_on(interruptible(audio::run(args)))
    } else if args.whatsapp {
        runtime.block_on(interruptible(whatsapp::run(args)))
    } else {
        runtime.block_on(interruptible(calls::run(args)))
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("dialtone bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `f` until it ends or SIGINT/SIGTERM arrives; then `f` is dropped, and with it the
/// server under test, which is killed rather than left running.
async fn interruptible(
    f: impl std::future::Future<Output = Result<bool, String>>,
) -> Result<bool, String> {
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let terminated = async {
        match terminate.as_mut() {
            Some(s) => drop(s.recv().await),
            None => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminated = std::future::pending::<()>();
    tokio::select! {
        result = f => result,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
        () = terminated => Err("terminated".to_owned()),
    }
}

/// The database backend, for the banner.
fn backend(args: &BenchArgs) -> &'static str {
    args.database_url
        .as_deref()
        .map_or("SQLite (temporary)", |u| {
            if u.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        })
}

/// A form body's parameters (last value wins).
fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// Locks a tracker; a handler that panicked leaves it usable (every update is one statement).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The progress bar (hidden with `--quiet`), counting `len` things `what`.
fn progress_bar(len: u32, quiet: bool, what: &str) -> Result<ProgressBar, String> {
    let progress = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(len))
    };
    progress.set_style(
        ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {what} ({{per_sec}}, eta {{eta}})"
        ))
        .map_err(|e| e.to_string())?,
    );
    Ok(progress)
}

/// Serves the bench's application server on a free loopback port; its base URL.
async fn serve_app(router: axum::Router) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind the application server: {e}"))?;
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .map_err(|e| format!("application server address: {e}"))?
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("dialtone bench: application server failed: {e}");
        }
    });
    Ok(url)
}
