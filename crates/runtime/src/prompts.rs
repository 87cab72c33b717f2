//! The prompt source a runtime gets when nobody configured one.
//!
//! `dialtone-prompt` defines the seam ([`PromptSource`]); the real engines (espeak-ng, an HTTP
//! TTS endpoint, fetched audio files) are wired by whoever starts the runtime. Until then
//! every prompt fails with a clear error, so a call with a media leg gets a Notification and
//! goes on with its next verb instead of playing silence for a made-up duration.

use dialtone_prompt::{BoxFuture, Clip, PromptError, PromptSource, SayRequest};
use dialtone_types::{TwilioCode, WebUrl};

/// Message of every `<Say>` failure of [`UnavailablePrompts`].
pub const NO_TTS_ENGINE: &str = "no TTS engine configured";
/// Message of every `<Play>` failure of [`UnavailablePrompts`].
pub const NO_PLAY_ENGINE: &str = "no Play engine configured";

/// A [`PromptSource`] that makes nothing: `<Say>` fails with 12400 ("no TTS engine
/// configured"), `<Play>` with 11200 ("no Play engine configured: ..."). The runtime's default.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnavailablePrompts;

impl PromptSource for UnavailablePrompts {
    fn say<'a>(&'a self, _request: &'a SayRequest) -> BoxFuture<'a, Result<Clip, PromptError>> {
        Box::pin(async { Err(PromptError::Speech(NO_TTS_ENGINE.to_owned())) })
    }

    fn play<'a>(&'a self, url: &'a WebUrl) -> BoxFuture<'a, Result<Clip, PromptError>> {
        Box::pin(async move {
            Err(PromptError::Fetch {
                code: TwilioCode(11200),
                message: format!("{NO_PLAY_ENGINE}: {url} not played"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_prompt_fails_with_a_clear_error() {
        let say = SayRequest {
            text: "Hello".to_owned(),
            voice: None,
            language: None,
        };
        let e = UnavailablePrompts.say(&say).await.unwrap_err();
        assert_eq!(e.code(), TwilioCode(12400));
        assert_eq!(
            e.to_string(),
            "text to speech failed: no TTS engine configured"
        );
        let url = WebUrl::parse("https://app.test/a.wav").unwrap();
        let e = UnavailablePrompts.play(&url).await.unwrap_err();
        assert_eq!(e.code(), TwilioCode(11200));
        assert_eq!(
            e.to_string(),
            "no Play engine configured: https://app.test/a.wav not played"
        );
    }
}
