//! Cost of the audio core per 20 ms frame: Opus encode, Opus decode, decode + encode (what a
//! leg pays to transcode or mix instead of forwarding), against forwarding the payload
//! untouched (a copy of its bytes); plus G.711 and the 8 → 16 kHz resampler for scale.
//!
//! `cargo bench -p dialtone-media --bench codec`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dialtone_media::audio::{Frame, OpusDecoder, OpusEncoder, Resampler, Tone, g711};

/// One second of a dual tone (ringback-like: something the encoder has to work on).
fn frames() -> Vec<Frame> {
    let mut tone = Tone::new(&[440.0, 480.0], 0.2);
    (0..50).map(|_| tone.next_frame()).collect()
}

fn packets(frames: &[Frame]) -> Vec<Vec<u8>> {
    let mut enc = OpusEncoder::new().unwrap();
    frames.iter().map(|f| enc.encode(f).unwrap()).collect()
}

fn opus(c: &mut Criterion) {
    let frames = frames();
    let packets = packets(&frames);
    let mut group = c.benchmark_group("frame_20ms");

    let mut enc = OpusEncoder::new().unwrap();
    let mut out = vec![0u8; 1500];
    let mut i = 0;
    group.bench_function("opus_encode", |b| {
        b.iter(|| {
            i = (i + 1) % frames.len();
            black_box(enc.encode_into(&frames[i], &mut out).unwrap())
        });
    });

    let mut dec = OpusDecoder::new().unwrap();
    let mut i = 0;
    group.bench_function("opus_decode", |b| {
        b.iter(|| {
            i = (i + 1) % packets.len();
            black_box(dec.decode(&packets[i]).unwrap())
        });
    });

    let mut dec = OpusDecoder::new().unwrap();
    let mut enc = OpusEncoder::new().unwrap();
    let mut i = 0;
    group.bench_function("opus_decode_encode", |b| {
        b.iter(|| {
            i = (i + 1) % packets.len();
            let frame = dec.decode(&packets[i]).unwrap();
            black_box(enc.encode_into(&frame, &mut out).unwrap())
        });
    });

    let mut dec = OpusDecoder::new().unwrap();
    group.bench_function("opus_conceal", |b| b.iter(|| black_box(dec.conceal())));

    // Forwarding: the payload copied into the outgoing packet buffer, as a relay does.
    let mut i = 0;
    group.bench_function("forward_memcpy", |b| {
        b.iter(|| {
            i = (i + 1) % packets.len();
            let p = &packets[i];
            out[..p.len()].copy_from_slice(black_box(p));
            black_box(&out);
        });
    });

    let pcm8k: Vec<i16> = frames[0].samples().iter().step_by(2).copied().collect();
    group.bench_function("g711_ulaw_encode_8k", |b| {
        b.iter(|| black_box(g711::encode_ulaw(black_box(&pcm8k))));
    });
    let mut resampler = Resampler::new(8_000, 16_000).unwrap();
    group.bench_function("resample_8k_to_16k", |b| {
        b.iter(|| black_box(resampler.process(black_box(&pcm8k))));
    });
    group.finish();
}

criterion_group!(benches, opus);
criterion_main!(benches);
