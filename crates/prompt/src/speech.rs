//! `<Say>` synthesis: espeak-ng out of process, or an HTTP TTS endpoint.
//!
//! espeak-ng runs as a child process (never in-process: a crash or hang of the engine must
//! not take a call shard with it) with `kill_on_drop`, so a synthesis that exceeds its
//! timeout — or whose caller goes away — kills the process. The text goes on stdin
//! (`--stdin`), never in argv where a leading `-` would be read as an option, and is plain
//! text (no `-m`): SSML markup is stripped before, so a stray tag is never spoken.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::config::MAX_SAY_CHARS;
use crate::decode::{self, DataLength, Pcm};
use crate::error::PromptError;

/// The text as spoken: tags removed, control characters turned into spaces, trimmed; empty
/// or over [`MAX_SAY_CHARS`] characters is 13520.
pub(crate) fn prepare_text(text: &str) -> Result<String, PromptError> {
    let count = text.chars().count();
    if count > MAX_SAY_CHARS {
        return Err(PromptError::InvalidText(format!(
            "{count} characters, over the {MAX_SAY_CHARS}-character limit"
        )));
    }
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A tag opens with a name, `/`, `!` or `?`; "3 < 5" is text.
            '<' if !in_tag
                && chars
                    .peek()
                    .is_some_and(|n| n.is_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                in_tag = true;
            }
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        return Err(PromptError::InvalidText("no text to speak".to_owned()));
    }
    Ok(trimmed.to_owned())
}

/// Runs espeak-ng once: `-v voice -b 1 --stdout --stdin`, text on stdin, WAV on stdout.
pub(crate) async fn espeak(
    program: &Path,
    voice: &str,
    text: &str,
    timeout: Duration,
) -> Result<Pcm, PromptError> {
    let mut child = Command::new(program)
        .args(["-v", voice, "-b", "1", "--stdout", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            PromptError::Speech(format!(
                "cannot start the espeak-ng program {}: {e}",
                program.display()
            ))
        })?;
    let stdin = child.stdin.take();
    let input = text.as_bytes().to_vec();
    let write = async move {
        if let Some(mut stdin) = stdin {
            // A failed write shows up as the process's failure below.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        }
    };
    let run = async {
        let ((), output) = tokio::join!(write, child.wait_with_output());
        output
    };
    let output = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| {
            PromptError::Speech(format!(
                "espeak-ng did not finish within {} ms and was killed",
                timeout.as_millis()
            ))
        })?
        .map_err(|e| PromptError::Speech(format!("espeak-ng failed: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(PromptError::Speech(format!(
            "espeak-ng exited with {}: {}",
            output.status,
            stderr.trim()
        )));
    }
    decode::wav(&output.stdout, DataLength::ToEnd)
        .map_err(|e| PromptError::Speech(format!("espeak-ng output: {e}")))
}

/// Asks an HTTP TTS endpoint: `POST url` with a form body `text`, `voice`, `language`.
pub(crate) async fn http(
    client: &reqwest::Client,
    url: &str,
    text: &str,
    voice: Option<&str>,
    language: Option<&str>,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Pcm, PromptError> {
    let body = {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("text", text);
        if let Some(v) = voice {
            form.append_pair("voice", v);
        }
        if let Some(l) = language {
            form.append_pair("language", l);
        }
        form.finish()
    };
    let fail = |what: String| PromptError::Speech(format!("TTS endpoint {url}: {what}"));
    let response = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "audio/wav")
        .body(body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| fail(crate::play::describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("answered {status}")));
    }
    let kind = crate::play::content_type(&response);
    if !matches!(kind.as_str(), "audio/wav" | "audio/x-wav" | "audio/wave") {
        return Err(fail(format!("answered {kind:?}, not audio/wav")));
    }
    let body = crate::play::read_body(response, max_bytes)
        .await
        .map_err(|e| fail(e.to_string()))?;
    decode::wav(&body, DataLength::ToEnd).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cleaned_and_bounded() {
        assert_eq!(
            prepare_text("Hi<break time=\"1s\"/>there").unwrap(),
            "Hi there"
        );
        assert_eq!(prepare_text(" -v\x07x ").unwrap(), "-v x");
        assert_eq!(prepare_text("3 < 5 > 2").unwrap(), "3 < 5 > 2");
        assert_eq!(prepare_text("  ").unwrap_err().code().0, 13520);
        assert_eq!(prepare_text("<speak/>").unwrap_err().code().0, 13520);
        assert!(prepare_text(&"é".repeat(MAX_SAY_CHARS)).is_ok());
        let long = "a".repeat(MAX_SAY_CHARS + 1);
        assert_eq!(prepare_text(&long).unwrap_err().code().0, 13520);
    }
}
