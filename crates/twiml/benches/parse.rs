//! Parse+validate over the shared corpus against a bare quick-xml tokenization of the same
//! bytes. Run with `cargo bench -p dialtone-twiml --bench parse`; besides criterion's
//! figures it prints the per-document times and their ratio measured in the same run.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use dialtone_twiml::{Context, parse};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/twiml-valid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "xml"));
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("readable corpus file"))
        .collect()
}

/// Reads every event and nothing else: the floor any quick-xml based parser stands on.
fn tokenize(docs: &[Vec<u8>]) -> usize {
    let mut events = 0;
    for doc in docs {
        let mut reader = Reader::from_reader(doc.as_slice());
        loop {
            match reader.read_event() {
                Ok(Event::Eof) | Err(_) => break,
                Ok(event) => {
                    black_box(&event);
                    events += 1;
                }
            }
        }
    }
    events
}

fn parse_all(docs: &[Vec<u8>]) -> usize {
    docs.iter()
        .map(|doc| {
            let parsed = parse(black_box(doc), Context::Call);
            black_box(&parsed);
            parsed.document.map_or(0, |d| d.verbs.len())
        })
        .sum()
}

fn time(docs: &[Vec<u8>], f: fn(&[Vec<u8>]) -> usize) -> Duration {
    const ROUNDS: u32 = 10_000;
    let start = Instant::now();
    for _ in 0..ROUNDS {
        black_box(f(black_box(docs)));
    }
    start.elapsed() / ROUNDS
}

fn main() {
    let docs = corpus();
    if docs.is_empty() {
        eprintln!("corpus not found; nothing to measure");
        return;
    }
    let bytes: usize = docs.iter().map(Vec::len).sum();
    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("twiml corpus");
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("quick-xml tokenize", |b| {
            b.iter(|| tokenize(black_box(&docs)));
        });
        group.bench_function("dialtone parse+validate", |b| {
            b.iter(|| parse_all(black_box(&docs)));
        });
        group.finish();
    }
    c.final_summary();
    if std::env::args().any(|a| a == "--profile-time" || a == "--list" || a == "--test") {
        return;
    }

    // The ratio, measured back to back in this run: interleaved rounds, best round of each
    // (the minimum is the estimate least disturbed by other load on a shared machine).
    let (mut tok, mut full) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        tok = tok.min(time(&docs, tokenize));
        full = full.min(time(&docs, parse_all));
    }
    let n = u32::try_from(docs.len()).unwrap_or(u32::MAX);
    let (tok, full) = (tok / n, full / n);
    println!(
        "per document ({} documents, {bytes} bytes): tokenize {tok:?}, parse+validate {full:?}, ratio {:.2}",
        docs.len(),
        full.as_secs_f64() / tok.as_secs_f64()
    );
}
