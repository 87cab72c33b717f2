//! Simulated media: how long a `<Say>`, `<Play>` or tone sequence takes, and a clock that
//! reports each one finished.
//!
//! There is no audio path yet, but `<Gather>` prompts, `<Say>` before `<Dial>`, and the
//! application-error message must take time, or call flows would not resemble real ones. The
//! duration model is deterministic (documented in `docs/call-states.md`, "Media (simulated)"),
//! and the clock lives inside the engine's driver: no task per media command, one heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use dialtone_core::{MediaCommand, MediaId};
use dialtone_types::{Sid, UnixMillis};

use crate::clock;
use crate::config::MediaTiming;

impl MediaTiming {
    /// How long `command` plays.
    pub fn duration(&self, command: &MediaCommand) -> Duration {
        match command {
            MediaCommand::Say {
                text, loop_count, ..
            } => {
                let words = text.split_whitespace().count().max(1);
                self.per_word
                    .saturating_mul(u32::try_from(words).unwrap_or(u32::MAX))
                    .saturating_mul(self.loops(*loop_count))
            }
            MediaCommand::Play { loop_count, .. } => {
                self.per_play.saturating_mul(self.loops(*loop_count))
            }
            MediaCommand::Digits { digits } => digits.chars().fold(Duration::ZERO, |acc, c| {
                acc.saturating_add(match c {
                    'w' => Duration::from_millis(500),
                    'W' => Duration::from_secs(1),
                    _ => self.per_digit,
                })
            }),
            MediaCommand::ApplicationError => self.application_error,
        }
    }

    fn loops(&self, loop_count: u32) -> u32 {
        if loop_count == 0 {
            self.endless_loops
        } else {
            loop_count
        }
    }
}

/// Media commands playing, by when they finish.
#[derive(Debug, Default)]
pub(crate) struct MediaClock {
    due: BinaryHeap<Reverse<(UnixMillis, Sid, MediaId)>>,
    /// The command playing on each call (one at a time) and when it ends.
    playing: HashMap<Sid, (MediaId, UnixMillis)>,
}

impl MediaClock {
    /// Starts `id` on `call` at `now`, for `length`.
    pub(crate) fn start(&mut self, now: UnixMillis, call: Sid, id: MediaId, length: Duration) {
        let end = now.plus_millis(clock::millis(length));
        self.playing.insert(call, (id, end));
        self.due.push(Reverse((end, call, id)));
        self.compact();
    }

    /// Stops `id` on `call` early (no `MediaFinished` will follow).
    pub(crate) fn stop(&mut self, call: Sid, id: MediaId) {
        if self.playing.get(&call).is_some_and(|(m, _)| *m == id) {
            self.playing.remove(&call);
        }
    }

    /// Forgets whatever plays on an ended call.
    pub(crate) fn forget(&mut self, call: Sid) {
        self.playing.remove(&call);
    }

    /// When the next command ends.
    pub(crate) fn next_due(&mut self) -> Option<UnixMillis> {
        while let Some(Reverse((at, call, id))) = self.due.peek().copied() {
            if self.is_playing(call, id, at) {
                return Some(at);
            }
            self.due.pop();
        }
        None
    }

    /// Removes and returns the commands finished at `now`.
    pub(crate) fn finished(&mut self, now: UnixMillis) -> Vec<(Sid, MediaId)> {
        let mut done = Vec::new();
        while let Some(Reverse((at, call, id))) = self.due.peek().copied() {
            if at > now {
                break;
            }
            self.due.pop();
            if self.is_playing(call, id, at) {
                self.playing.remove(&call);
                done.push((call, id));
            }
        }
        done
    }

    fn is_playing(&self, call: Sid, id: MediaId, at: UnixMillis) -> bool {
        self.playing.get(&call) == Some(&(id, at))
    }

    /// Drops heap entries of stopped commands once they outnumber the live ones, so long
    /// stopped loops do not hold memory until their nominal end.
    fn compact(&mut self) {
        if self.due.len() > 2 * self.playing.len() + 64 {
            self.due = self
                .playing
                .iter()
                .map(|(call, (id, at))| Reverse((*at, *call, *id)))
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::SidKind;

    #[test]
    fn durations_follow_the_model() {
        let t = MediaTiming::default();
        let say = |text: &str, loop_count| MediaCommand::Say {
            text: text.to_owned(),
            voice: None,
            language: None,
            loop_count,
        };
        assert_eq!(
            t.duration(&say("Hello there friend", 1)),
            Duration::from_millis(1200)
        );
        assert_eq!(t.duration(&say("", 2)), Duration::from_millis(800));
        assert_eq!(t.duration(&say("hi", 0)), Duration::from_secs(400));
        let play = MediaCommand::Play {
            url: dialtone_types::WebUrl::parse("http://a.test/x.mp3").unwrap(),
            loop_count: 3,
        };
        assert_eq!(t.duration(&play), Duration::from_secs(15));
        let digits = MediaCommand::Digits {
            digits: "12wW#".to_owned(),
        };
        assert_eq!(t.duration(&digits), Duration::from_millis(2100));
        assert_eq!(
            t.duration(&MediaCommand::ApplicationError),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn clock_reports_in_order_and_skips_stopped() {
        let a = Sid::new(SidKind::Call, 1);
        let b = Sid::new(SidKind::Call, 2);
        let mut clock = MediaClock::default();
        clock.start(UnixMillis(0), a, MediaId(1), Duration::from_millis(300));
        clock.start(UnixMillis(0), b, MediaId(2), Duration::from_millis(100));
        assert_eq!(clock.next_due(), Some(UnixMillis(100)));
        clock.stop(b, MediaId(2));
        assert_eq!(clock.next_due(), Some(UnixMillis(300)));
        assert_eq!(clock.finished(UnixMillis(299)), vec![]);
        assert_eq!(clock.finished(UnixMillis(300)), vec![(a, MediaId(1))]);
        assert_eq!(clock.next_due(), None);
    }
}
