//! Load harness: how many concurrent media legs one process holds.
//!
//! `DIALTONE_MEDIA_PAIRS` Full ↔ Lite pairs (default 250) on loopback in one process with two
//! tokio worker threads, as in `dialtone serve` with its embedded simulator. Once every pair is
//! connected, media runs for `DIALTONE_MEDIA_SECS` seconds (default 20) and the harness prints,
//! per direction, the packets due in that window (elapsed × packets per second × pairs), sent,
//! received and lost, and the process CPU time over the window. A sender that falls behind
//! skips packets, so shortfall (due − received) is the honest loss figure, not `rtp_lost` alone.
//!
//! `cargo bench -p dialtone-media --bench hold`

use std::time::{Duration, Instant};

use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg, MediaStats};

/// Pairs connected at the same time while setting up.
const SETUP_BATCH: usize = 50;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// utime + stime of this process in clock ticks (100 per second on Linux).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ") state".
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

async fn connected(leg: &mut MediaLeg) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(30), leg.event()).await {
        Ok(Some(MediaEvent::Connected)) => Ok(()),
        other => Err(format!("no Connected: {other:?}")),
    }
}

async fn pair(full: MediaEngine, lite: MediaEngine) -> Result<(MediaLeg, MediaLeg), String> {
    let offer = full.offer().await.map_err(|e| e.to_string())?;
    let (mut lite_leg, answer) = lite.answer(offer.sdp()).await.map_err(|e| e.to_string())?;
    let mut full_leg = offer.accept(&answer).map_err(|e| e.to_string())?;
    connected(&mut full_leg).await?;
    connected(&mut lite_leg).await?;
    Ok((full_leg, lite_leg))
}

fn sum(legs: &[MediaLeg]) -> MediaStats {
    legs.iter()
        .map(MediaLeg::stats)
        .fold(MediaStats::default(), |a, s| MediaStats {
            rtp_sent: a.rtp_sent + s.rtp_sent,
            rtp_received: a.rtp_received + s.rtp_received,
            rtp_lost: a.rtp_lost + s.rtp_lost,
            rtcp_sent: a.rtcp_sent + s.rtcp_sent,
            rtcp_received: a.rtcp_received + s.rtcp_received,
            remote_expected: a.remote_expected + s.remote_expected,
            remote_lost: a.remote_lost + s.remote_lost,
            audio_gaps: a.audio_gaps + s.audio_gaps,
            rtp_skipped: a.rtp_skipped + s.rtp_skipped,
        })
}

#[allow(clippy::cast_precision_loss)]
fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[allow(clippy::cast_precision_loss)]
fn report(
    name: &str,
    due: u64,
    from: (MediaStats, MediaStats),
    to: (MediaStats, MediaStats),
) -> f64 {
    let sent = from.1.rtp_sent - from.0.rtp_sent;
    let skipped = from.1.rtp_skipped - from.0.rtp_skipped;
    let received = to.1.rtp_received - to.0.rtp_received;
    let lost = to.1.rtp_lost - to.0.rtp_lost;
    let gaps = to.1.audio_gaps - to.0.audio_gaps;
    let shortfall = due.saturating_sub(received);
    println!(
        "{name}: due {due}  sent {sent} ({:.2}%, skipped {skipped})  received {received} ({:.2}%)  rtp_lost {lost}  audio_gaps {gaps}  shortfall {shortfall} ({:.2}%)",
        pct(sent, due),
        pct(received, due),
        pct(shortfall, due),
    );
    pct(shortfall, due)
}

async fn run(pairs: usize, secs: u64) -> Result<(), String> {
    let full = MediaEngine::new(MediaConfig::full());
    let lite = MediaEngine::new(MediaConfig::lite());
    let ptime = full.config().ptime;
    let setup = Instant::now();
    let mut fulls = Vec::with_capacity(pairs);
    let mut lites = Vec::with_capacity(pairs);
    while fulls.len() < pairs {
        let batch = SETUP_BATCH.min(pairs - fulls.len());
        let tasks: Vec<_> = (0..batch)
            .map(|_| tokio::spawn(pair(full.clone(), lite.clone())))
            .collect();
        for task in tasks {
            let (f, l) = task.await.map_err(|e| e.to_string())??;
            fulls.push(f);
            lites.push(l);
        }
    }
    println!(
        "{pairs} pairs connected in {:.1} s; warming up 2 s",
        setup.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    let (f0, l0, cpu0, t0) = (sum(&fulls), sum(&lites), cpu_ticks(), Instant::now());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (f1, l1, cpu1, elapsed) = (sum(&fulls), sum(&lites), cpu_ticks(), t0.elapsed());

    let per_leg = elapsed.as_micros() / ptime.as_micros().max(1);
    let due = u64::try_from(per_leg).unwrap_or(0) * pairs as u64;
    println!(
        "window {:.2} s, ptime {} ms, {pairs} pairs ({} legs), RSS {} MB",
        elapsed.as_secs_f64(),
        ptime.as_millis(),
        pairs * 2,
        rss_mb()
    );
    let a = report("Full -> Lite", due, (f0, f1), (l0, l1));
    let b = report("Lite -> Full", due, (l0, l1), (f0, f1));
    #[allow(clippy::cast_precision_loss)]
    let cpu = (cpu1 - cpu0) as f64 / elapsed.as_secs_f64();
    println!(
        "CPU {cpu:.1}% of one core ({:.4}% per leg); RTCP sent {} received {}",
        cpu / f64::from(u32::try_from(pairs * 2).unwrap_or(u32::MAX)),
        (f1.rtcp_sent - f0.rtcp_sent) + (l1.rtcp_sent - l0.rtcp_sent),
        (f1.rtcp_received - f0.rtcp_received) + (l1.rtcp_received - l0.rtcp_received),
    );
    println!(
        "RESULT pairs={pairs} cpu={cpu:.1}% worst_shortfall={:.2}% holds={}",
        a.max(b),
        a.max(b) < 1.0
    );
    Ok(())
}

fn main() {
    let pairs = usize::try_from(env_num("DIALTONE_MEDIA_PAIRS", 250)).unwrap_or(250);
    let secs = env_num("DIALTONE_MEDIA_SECS", 20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(run(pairs, secs)) {
        eprintln!("hold: {e}");
        std::process::exit(1);
    }
}
