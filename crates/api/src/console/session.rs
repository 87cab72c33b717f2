//! Console sessions: who is signed in, kept on the server, named by an unguessable cookie.
//!
//! A session holds the [`Caller`] the sign-in proved (the account, and the API key if one was
//! used) and the session's CSRF token. It ends at logout, after [`IDLE`] without a request, or
//! [`ABSOLUTE`] after sign-in, whichever comes first. Sessions live in this process's memory:
//! a restart signs everyone out, and behind a load balancer a browser must stay on one node
//! (documented in docs/twilio-compat.md). Nothing secret is derivable from the cookie: it is
//! 256 random bits looked up here.
//!
//! Failed sign-ins are counted per account SID tried and per client address
//! ([`Attempts`]): after [`MAX_FAILURES`] in [`WINDOW`] further tries are refused with 429
//! before any credential is checked, so the auth token cannot be guessed online.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use dialtone_types::UnixMillis;
use subtle::ConstantTimeEq;

use crate::auth::Caller;
use crate::state::ApiState;

/// A session ends this long after its last request.
pub(crate) const IDLE: Duration = Duration::from_hours(1);
/// A session ends this long after sign-in, however busy.
pub(crate) const ABSOLUTE: Duration = Duration::from_hours(12);
/// Failed sign-ins allowed per account SID, and per client address, in [`WINDOW`].
pub(crate) const MAX_FAILURES: usize = 5;
/// The window failed sign-ins are counted in.
pub(crate) const WINDOW: Duration = Duration::from_mins(15);
/// Most sessions kept at once; past it the least recently used is ended.
const MAX_SESSIONS: usize = 10_000;
/// Most keys whose failures are tracked; past it the stalest are forgotten.
const MAX_TRACKED: usize = 10_000;

/// A signed-in browser, as the handlers see it.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The cookie value that names it.
    pub(crate) id: String,
    /// Who signed in.
    pub(crate) caller: Caller,
    /// The token every state-changing request must carry.
    pub(crate) csrf: String,
    created: UnixMillis,
    last_seen: UnixMillis,
}

/// Why a cookie does not name a live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// No such session (never existed, logged out, or the server restarted).
    Unknown,
    /// It existed and timed out.
    Expired,
}

/// Every session, and the failed sign-in counts.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    live: Mutex<HashMap<String, Session>>,
    attempts: Mutex<Attempts>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn token(state: &ApiState) -> String {
    format!(
        "{:032x}{:032x}",
        state.entropy.next_u128(),
        state.entropy.next_u128()
    )
}

impl Session {
    fn expired(&self, now: UnixMillis) -> bool {
        now.0 >= self.last_seen.0.saturating_add(ms(IDLE))
            || now.0 >= self.created.0.saturating_add(ms(ABSOLUTE))
    }

    /// True when `sent` is this session's CSRF token (constant-time).
    pub(crate) fn csrf_ok(&self, sent: &str) -> bool {
        self.csrf.as_bytes().ct_eq(sent.as_bytes()).into()
    }
}

impl Sessions {
    /// Starts a session for `caller`.
    pub(crate) fn start(&self, state: &ApiState, caller: Caller) -> Session {
        let now = state.now();
        let session = Session {
            id: token(state),
            caller,
            csrf: token(state),
            created: now,
            last_seen: now,
        };
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.retain(|_, s| !s.expired(now));
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live
                .values()
                .min_by_key(|s| s.last_seen)
                .map(|s| s.id.clone())
        {
            live.remove(&oldest);
        }
        live.insert(session.id.clone(), session.clone());
        session
    }

    /// The live session `id` names, marked as used now.
    pub(crate) fn touch(&self, id: &str, now: UnixMillis) -> Result<Session, Lookup> {
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(session) = live.get_mut(id) else {
            return Err(Lookup::Unknown);
        };
        if session.expired(now) {
            live.remove(id);
            return Err(Lookup::Expired);
        }
        session.last_seen = now;
        Ok(session.clone())
    }

    /// True while session `id` is live (does not extend it): the live call list asks this
    /// on every tick so that a logout ends its stream.
    pub(crate) fn is_live(&self, id: &str, now: UnixMillis) -> bool {
        let live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.get(id).is_some_and(|s| !s.expired(now))
    }

    /// Ends session `id`.
    pub(crate) fn end(&self, id: &str) {
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.remove(id);
    }

    /// The attempt counts.
    pub(crate) fn attempts(&self) -> std::sync::MutexGuard<'_, Attempts> {
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Failed sign-ins per key (`account:AC...`, `ip:1.2.3.4`), each the times of the failures
/// still inside the window.
#[derive(Debug, Default)]
pub(crate) struct Attempts {
    failures: HashMap<String, Vec<UnixMillis>>,
}

impl Attempts {
    /// When any of `keys` may try again, if one is over the limit now.
    pub(crate) fn blocked(&mut self, keys: &[String], now: UnixMillis) -> Option<Duration> {
        let window = ms(WINDOW);
        keys.iter()
            .filter_map(|k| {
                let times = self.failures.get_mut(k)?;
                times.retain(|t| now.0 < t.0.saturating_add(window));
                if times.len() < MAX_FAILURES {
                    return None;
                }
                let oldest = times.iter().min()?;
                Some(Duration::from_millis(
                    oldest.0.saturating_add(window).saturating_sub(now.0),
                ))
            })
            .max()
    }

    /// Counts a failure against every key.
    pub(crate) fn fail(&mut self, keys: &[String], now: UnixMillis) {
        if self.failures.len() >= MAX_TRACKED {
            let window = ms(WINDOW);
            self.failures
                .retain(|_, times| times.iter().any(|t| now.0 < t.0.saturating_add(window)));
        }
        for k in keys {
            self.failures.entry(k.clone()).or_default().push(now);
        }
    }

    /// Forgets the failures of `key` (a successful sign-in to that account).
    pub(crate) fn clear(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_block_after_the_limit_and_expire_with_the_window() {
        let mut a = Attempts::default();
        let keys = vec!["account:AC1".to_owned(), "ip:127.0.0.1".to_owned()];
        let t0 = UnixMillis(1_000_000);
        for _ in 0..MAX_FAILURES {
            assert_eq!(a.blocked(&keys, t0), None);
            a.fail(&keys, t0);
        }
        assert_eq!(a.blocked(&keys, t0), Some(WINDOW));
        // Another address on the same account is blocked too.
        assert!(
            a.blocked(&["account:AC1".to_owned()], UnixMillis(t0.0 + 1))
                .is_some()
        );
        assert_eq!(a.blocked(&keys, UnixMillis(t0.0 + ms(WINDOW))), None);
        a.clear("account:AC1");
        assert_eq!(a.blocked(&["account:AC1".to_owned()], t0), None);
    }
}
