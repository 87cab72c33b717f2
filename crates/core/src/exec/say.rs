//! `<Say>`: text to speech, as a media command. The engine does not guess how long it lasts.

use dialtone_twiml::Say;
use dialtone_types::Sid;

use super::Flow;
use crate::engine::Engine;
use crate::output::MediaCommand;

impl Engine {
    pub(crate) fn exec_say(&mut self, sid: Sid, say: &Say) -> Flow {
        self.ensure_answered(sid);
        self.play_media(sid, say_command(say))
    }
}

/// The media command for a `<Say>` (also nested in `<Gather>`).
pub(crate) fn say_command(say: &Say) -> MediaCommand {
    MediaCommand::Say {
        text: say.text.clone(),
        voice: say.voice.clone(),
        language: say.language.clone(),
        loop_count: say.loop_count,
    }
}
