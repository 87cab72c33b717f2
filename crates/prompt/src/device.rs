//! What a simulated device (a WhatsApp user, a softphone) sends once its leg is connected
//! ([`SimulatedAudio`]): nothing to do for silence (a connected leg sends Opus silence by
//! itself), a sine for `tone:HZ` (encoded once, looped), and for a WAV URL the file fetched
//! once per call, when the leg connects, then looped.
//!
//! A WAV that cannot be fetched or decoded leaves the device silent: logged as a warning (the
//! host only, never the whole URL, which may carry credentials), never failing the call.
//! Unlike `<Play>` (module `play`) nothing is cached and only 16-bit PCM WAV is accepted: a
//! test's fixture, fetched by one call.

use std::time::Duration;

use dialtone_media::audio::{Clip, Wav};
use dialtone_media::{Encoded, LegControl, PayloadLoop, PayloadSource};
use dialtone_types::{SimulatedAudio, WebUrl, authority_host};

/// Peak amplitude of a device's tone (fraction of full scale).
pub const TONE_AMPLITUDE: f32 = 0.3;
/// Largest WAV file a device fetches.
pub const MAX_WAV_BYTES: usize = 32 << 20;
/// How long fetching a WAV may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for WAV fetches (bounded by [`FETCH_TIMEOUT`]).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Starts playing `audio` on the connected leg `control`, forever (fetching first for a WAV,
/// on a task of its own). `call` names the call in the logs.
pub fn play(client: &reqwest::Client, control: LegControl, audio: SimulatedAudio, call: String) {
    match audio {
        SimulatedAudio::Silence => {}
        SimulatedAudio::Tone(hz) => match PayloadLoop::tone(hz, TONE_AMPLITUDE) {
            Ok(source) => {
                control.play(Box::new(source));
            }
            Err(error) => {
                tracing::warn!(%call, %error, "simulated device: no Opus encoder; it sends silence");
            }
        },
        SimulatedAudio::Wav(url) => {
            let client = client.clone();
            tokio::spawn(async move {
                match fetch(&client, &url).await {
                    Ok(clip) => {
                        if let Some(source) = encoded(clip.player(None), &call) {
                            control.play(source);
                        }
                    }
                    Err(reason) => tracing::warn!(
                        %call,
                        host = authority_host(url.as_str()),
                        %reason,
                        "simulated device: its Audio WAV is unusable; it sends silence"
                    ),
                }
            });
        }
    }
}

fn encoded<I>(frames: I, call: &str) -> Option<Box<dyn PayloadSource>>
where
    I: Iterator<Item = dialtone_media::audio::Frame> + Send + 'static,
{
    match Encoded::new(frames) {
        Ok(source) => Some(Box::new(source)),
        Err(error) => {
            tracing::warn!(%call, %error, "simulated device: no Opus encoder; it sends silence");
            None
        }
    }
}

/// Fetches and decodes a WAV into a clip (an empty file is refused: it would play nothing).
pub async fn fetch(client: &reqwest::Client, url: &WebUrl) -> Result<Clip, String> {
    let mut response = client
        .get(url.without_fragment())
        .send()
        .await
        .map_err(|e| format!("fetch failed: {}", e.without_url()))?;
    if !response.status().is_success() {
        return Err(format!("HTTP status {}", response.status().as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_WAV_BYTES as u64)
    {
        return Err(format!("larger than {MAX_WAV_BYTES} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("fetch failed: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_WAV_BYTES {
            return Err(format!("larger than {MAX_WAV_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    decode(&body)
}

/// A WAV file's bytes as a clip at 16 kHz (mixed down to mono).
pub fn decode(bytes: &[u8]) -> Result<Clip, String> {
    let wav = Wav::read(bytes).map_err(|e| e.to_string())?;
    let clip = Clip::from_pcm(wav.sample_rate, &wav.to_mono()).map_err(|e| e.to_string())?;
    if clip.is_empty() {
        return Err("the WAV file has no audio".to_owned());
    }
    Ok(clip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_wavs_and_refuses_the_rest() {
        let wav = Wav::mono(8000, vec![1000; 8000]).write().unwrap();
        let clip = decode(&wav).unwrap();
        assert!((49..=51).contains(&clip.len()), "{}", clip.len());
        assert!(decode(b"RIFF....WAVEnope").is_err());
        assert!(decode(b"<html>not found</html>").is_err());
        let empty = Wav::mono(16_000, Vec::new()).write().unwrap();
        assert!(decode(&empty).is_err());
    }

    #[tokio::test]
    async fn fetches_a_wav_and_says_why_not() {
        use axum::routing::get;
        let wav = Wav::mono(16_000, vec![500; 3200]).write().unwrap();
        let app = axum::Router::new()
            .route("/a.wav", get(move || async move { wav.clone() }))
            .route("/page", get(|| async { "<html></html>" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = client();
        let url = |path: &str| WebUrl::parse(&format!("{base}{path}")).unwrap();
        assert_eq!(fetch(&client, &url("/a.wav")).await.unwrap().len(), 10);
        assert_eq!(
            fetch(&client, &url("/missing.wav")).await.unwrap_err(),
            "HTTP status 404"
        );
        assert!(
            fetch(&client, &url("/page"))
                .await
                .unwrap_err()
                .contains("WAV")
        );
    }
}
