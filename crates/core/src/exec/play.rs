//! `<Play>`: an audio URL (resolved against the document URL) or DTMF `digits`.

use dialtone_twiml::Play;
use dialtone_types::{Level, Sid, TwilioCode};

use super::Flow;
use crate::engine::Engine;
use crate::output::MediaCommand;

impl Engine {
    pub(crate) fn exec_play(&mut self, sid: Sid, play: &Play) -> Flow {
        self.ensure_answered(sid);
        match self.play_command(sid, play) {
            Some(command) => self.play_media(sid, command),
            None => Flow::Next,
        }
    }

    /// The media command for a `<Play>`; `None` (reported) when there is nothing playable.
    /// `digits` wins over a URL, as it does at Twilio.
    pub(crate) fn play_command(&mut self, sid: Sid, play: &Play) -> Option<MediaCommand> {
        if let Some(digits) = &play.digits {
            return Some(MediaCommand::Digits {
                digits: digits.clone(),
            });
        }
        let Some(raw) = play.url.as_deref() else {
            self.io.notify(
                sid,
                TwilioCode::SCHEMA_WARNING,
                Level::Warning,
                "<Play> without a URL or digits; skipped",
                None,
                None,
            );
            return None;
        };
        let url = self.resolve(sid, raw)?;
        Some(MediaCommand::Play {
            url,
            loop_count: play.loop_count,
        })
    }
}
