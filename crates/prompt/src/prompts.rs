//! [`Prompts`]: the [`PromptSource`] the runtime uses.

use std::sync::Arc;
use std::time::Instant;

use dialtone_types::{TwilioCode, WebUrl};
use tokio::sync::Semaphore;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::CacheStats;
use crate::cache::ClipCache;
use crate::config::{PromptConfig, SpeechEngine};
use crate::decode::{self, DataLength};
use crate::error::PromptError;
use crate::play::{self, Freshness, Kind, Policy};
use crate::{BoxFuture, Clip, PromptSource, SayRequest, speech, voice};

/// `<Say>` cache key: the text as spoken and the engine's voice (espeak-ng's `-v`, or the
/// raw Twilio voice and language for an HTTP engine).
type SayKey = (String, String);

/// Makes and caches `<Say>` and `<Play>` clips. Cheap to share (`Arc<Prompts>` or
/// `Arc<dyn PromptSource>`).
#[derive(Debug)]
pub struct Prompts {
    config: PromptConfig,
    client: reqwest::Client,
    synth: Arc<Semaphore>,
    says: ClipCache<SayKey, ()>,
    plays: ClipCache<String, Freshness>,
    stats: Counters,
}

/// Asks and makes, counted for [`CacheStats`].
#[derive(Debug, Default)]
struct Counters {
    says: AtomicU64,
    says_made: AtomicU64,
    plays: AtomicU64,
    plays_made: AtomicU64,
}

impl Prompts {
    /// Checks the configuration and builds the HTTP client. Nothing is spawned yet: a
    /// missing espeak-ng shows at the first `<Say>` (as a 12400 error).
    pub fn new(config: PromptConfig) -> Result<Prompts, PromptError> {
        if config.synth_concurrency == 0 {
            return Err(PromptError::Speech(
                "invalid configuration: synth_concurrency must be at least 1".to_owned(),
            ));
        }
        if let SpeechEngine::Http { url } = &config.engine {
            WebUrl::parse(url).map_err(|e| {
                PromptError::Speech(format!("invalid configuration: TTS URL {url:?}: {e}"))
            })?;
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("Dialtone/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(config.max_redirects))
            .timeout(config.fetch_timeout)
            .build()
            .map_err(|e| PromptError::Speech(format!("cannot build the HTTP client: {e}")))?;
        Ok(Prompts {
            synth: Arc::new(Semaphore::new(config.synth_concurrency)),
            says: ClipCache::new(config.say_cache_frames),
            plays: ClipCache::new(config.play_cache_frames),
            stats: Counters::default(),
            client,
            config,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &PromptConfig {
        &self.config
    }

    /// `<Say>`: the clip for the request, from the cache or synthesised once.
    pub async fn speak(&self, request: &SayRequest) -> Result<Clip, PromptError> {
        let text = speech::prepare_text(&request.text)?;
        let engine_voice = match &self.config.engine {
            SpeechEngine::Espeak { .. } => {
                voice::espeak_voice(request.voice.as_deref(), request.language.as_deref())
            }
            SpeechEngine::Http { .. } => format!(
                "{}\n{}",
                request.voice.as_deref().unwrap_or(""),
                request.language.as_deref().unwrap_or("")
            ),
        };
        let key = (text, engine_voice);
        self.stats.says.fetch_add(1, Ordering::Relaxed);
        let (clip, ()) = self
            .says
            .get_or_make(&key, |()| true, || self.synthesise(&key, request))
            .await?;
        Ok(clip)
    }

    async fn synthesise(
        &self,
        key: &SayKey,
        request: &SayRequest,
    ) -> Result<(Clip, ()), PromptError> {
        let _permit = self
            .synth
            .acquire()
            .await
            .map_err(|_| PromptError::Speech("synthesis pool closed".to_owned()))?;
        self.stats.says_made.fetch_add(1, Ordering::Relaxed);
        let (text, engine_voice) = key;
        let timeout = self.config.synth_timeout;
        let pcm = match &self.config.engine {
            SpeechEngine::Espeak { program } => {
                speech::espeak(program, engine_voice, text, timeout).await?
            }
            SpeechEngine::Http { url } => {
                speech::http(
                    &self.client,
                    url,
                    text,
                    request.voice.as_deref(),
                    request.language.as_deref(),
                    timeout,
                    self.config.max_fetch_bytes,
                )
                .await?
            }
        };
        let clip = pcm
            .into_clip(self.config.max_clip_duration)
            .map_err(|e| PromptError::Speech(e.to_string()))?;
        tracing::debug!(frames = clip.len(), voice = %engine_voice, "synthesised");
        self.says.put(key.clone(), clip.clone(), ());
        Ok((clip, ()))
    }

    /// `<Play>`: the clip at `url`, from the cache while fresh, else fetched (or revalidated)
    /// and decoded once however many calls ask at the same time.
    pub async fn fetch(&self, url: &WebUrl) -> Result<Clip, PromptError> {
        let key = url.without_fragment().to_owned();
        self.stats.plays.fetch_add(1, Ordering::Relaxed);
        let (clip, _) = self
            .plays
            .get_or_make(&key, |f| f.is_fresh(Instant::now()), || self.download(&key))
            .await?;
        Ok(clip)
    }

    async fn download(&self, url: &str) -> Result<(Clip, Freshness), PromptError> {
        let timeout = self.config.fetch_timeout;
        self.stats.plays_made.fetch_add(1, Ordering::Relaxed);
        let stale = self.plays.get(&url.to_owned());
        let mut request = self.client.get(url).header("accept", "audio/*");
        if let Some((_, fresh)) = &stale {
            if let Some(etag) = &fresh.etag {
                request = request.header("if-none-match", etag);
            }
            if let Some(modified) = &fresh.last_modified {
                request = request.header("if-modified-since", modified);
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| play::fetch_error(url, &e, timeout))?;
        let status = response.status();
        let policy = play::policy(response.headers(), self.config.default_play_ttl);
        if status == reqwest::StatusCode::NOT_MODIFIED
            && let Some((clip, old)) = stale
        {
            if !response.headers().contains_key("cache-control") {
                // The 304 repeats no rule: the stored one goes on (RFC 9111 §4.3.4).
                let fresh = old.renewed();
                self.plays.put(url.to_owned(), clip.clone(), fresh.clone());
                return Ok((clip, fresh));
            }
            let fresh = match policy {
                Policy::NoStore => {
                    self.plays.remove(&url.to_owned());
                    return Ok((clip, old));
                }
                Policy::Store(mut f) => {
                    f.etag = f.etag.or(old.etag);
                    f.last_modified = f.last_modified.or(old.last_modified);
                    f
                }
            };
            self.plays.put(url.to_owned(), clip.clone(), fresh.clone());
            return Ok((clip, fresh));
        }
        if !status.is_success() {
            return Err(PromptError::fetch(
                TwilioCode::HTTP_RETRIEVAL_FAILURE,
                format!("HTTP retrieval failure: GET {url} answered {status}"),
            ));
        }
        let declared = play::kind(&play::content_type(&response))?;
        let body = play::read_body(response, self.config.max_fetch_bytes).await?;
        let kind = match declared {
            Some(k) => k,
            None => play::sniff(&body)?,
        };
        let max = self.config.max_clip_duration;
        let clip = tokio::task::spawn_blocking(move || {
            let pcm = match kind {
                Kind::Wav => decode::wav(&body, DataLength::Strict)?,
                Kind::Mp3 => decode::mp3(body, max)?,
                Kind::Ulaw => decode::ulaw(&body),
            };
            pcm.into_clip(max)
        })
        .await
        .map_err(|e| PromptError::unsupported(format!("decoding {url} failed: {e}")))?
        .map_err(|e| match e {
            PromptError::Unsupported { code, message } => PromptError::Unsupported {
                code,
                message: format!("Play {url}: {message}"),
            },
            other => other,
        })?;
        tracing::debug!(frames = clip.len(), url, "fetched");
        let fresh = match policy {
            Policy::NoStore => {
                self.plays.remove(&url.to_owned());
                Freshness {
                    fresh_until: None,
                    ttl: None,
                    etag: None,
                    last_modified: None,
                }
            }
            Policy::Store(f) => {
                if f.is_fresh(Instant::now()) || f.has_validator() {
                    self.plays.put(url.to_owned(), clip.clone(), f.clone());
                } else {
                    self.plays.remove(&url.to_owned());
                }
                f
            }
        };
        Ok((clip, fresh))
    }
}

impl PromptSource for Prompts {
    fn say<'a>(&'a self, request: &'a SayRequest) -> BoxFuture<'a, Result<Clip, PromptError>> {
        Box::pin(self.speak(request))
    }

    fn play<'a>(&'a self, url: &'a WebUrl) -> BoxFuture<'a, Result<Clip, PromptError>> {
        Box::pin(self.fetch(url))
    }

    fn cache_stats(&self) -> Option<CacheStats> {
        let c = &self.stats;
        let (says, says_made) = (
            c.says.load(Ordering::Relaxed),
            c.says_made.load(Ordering::Relaxed),
        );
        let (plays, plays_made) = (
            c.plays.load(Ordering::Relaxed),
            c.plays_made.load(Ordering::Relaxed),
        );
        Some(CacheStats {
            say_hits: says.saturating_sub(says_made),
            say_misses: says_made,
            play_hits: plays.saturating_sub(plays_made),
            play_misses: plays_made,
        })
    }
}
