//! Consent per business number and user pair, as Meta keeps it (reference
//! `whatsapp-consent.md` §1, §3.5): the permission a user granted by answering a call
//! permission request (temporary for 7 days, or permanent), the requests counted against the
//! 1-per-24 h and 2-per-7-days limits (reset by any connected call), and a revocation by the
//! unanswered-calls rule.
//!
//! The user's `Permission` setting stays a scripted shortcut: `granted` counts as a permanent
//! permission towards every business number of the account. Nothing else grants: only a
//! reply the user sent ([`Network::apply_reply`]) creates a pair's permission.

use std::collections::VecDeque;

use dialtone_types::{E164, Sid, UnixMillis};
use dialtone_whatsapp::error::GraphError;

use super::call::SimSender;
use super::network::{Network, millis};
use super::user::Permission;

/// A pair's permission as Meta reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionState {
    /// None (never granted, rejected, expired or revoked).
    NoPermission,
    /// Granted until `expires_at`.
    Temporary {
        /// When it ends.
        expires_at: UnixMillis,
    },
    /// Granted without expiry.
    Permanent,
}

impl PermissionState {
    /// `no_permission`, `temporary` or `permanent`, as Graph writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoPermission => "no_permission",
            Self::Temporary { .. } => "temporary",
            Self::Permanent => "permanent",
        }
    }

    /// Whether the business may call.
    pub const fn is_granted(self) -> bool {
        !matches!(self, Self::NoPermission)
    }
}

/// The consent of one user towards one business number, as the test API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairPermission {
    /// The business number.
    pub business: E164,
    /// The permission now.
    pub state: PermissionState,
    /// Call permission requests counted in the last 24 h.
    pub requests_last_day: usize,
    /// Call permission requests counted in the last 7 days.
    pub requests_last_week: usize,
    /// True once the unanswered-calls rule revoked a permission of this pair (until the user
    /// grants again).
    pub revoked: bool,
}

/// A permission the user granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    Permanent,
    Until(UnixMillis),
}

/// A pair's stored consent.
#[derive(Debug, Clone)]
pub(crate) struct PairConsent {
    pub sender: SimSender,
    /// `None` for no permission.
    pub grant: Option<Grant>,
    /// When counted requests were sent, oldest first (at most 7 days old).
    pub requests: VecDeque<UnixMillis>,
    pub revoked: bool,
}

/// How request limits stand for a pair at some moment.
pub(crate) struct RequestUsage {
    pub day: usize,
    pub week: usize,
    /// When the oldest request of the day stops counting.
    pub day_frees_at: Option<UnixMillis>,
    /// When the oldest request of the week stops counting.
    pub week_frees_at: Option<UnixMillis>,
}

const DAY_MS: u64 = 86_400_000;

fn key(sender: &SimSender, user: &E164) -> (String, E164) {
    (sender.phone_number_id.clone(), user.clone())
}

impl Network {
    /// The permission of `user` towards `sender` at `now`.
    pub fn permission(&self, now: UnixMillis, sender: &SimSender, user: &E164) -> PermissionState {
        let scripted = self
            .user_ref(sender.account, user)
            .is_some_and(|u| u.permission == Permission::Granted);
        if scripted {
            return PermissionState::Permanent;
        }
        match self.consent.get(&key(sender, user)).and_then(|c| c.grant) {
            Some(Grant::Permanent) => PermissionState::Permanent,
            Some(Grant::Until(expires_at)) if now < expires_at => {
                PermissionState::Temporary { expires_at }
            }
            _ => PermissionState::NoPermission,
        }
    }

    /// The pairs of `user` of `account` the network holds consent state for, by business
    /// number.
    pub fn pair_permissions(
        &self,
        now: UnixMillis,
        account: Sid,
        user: &E164,
    ) -> Vec<PairPermission> {
        let mut pairs: Vec<PairPermission> = self
            .consent
            .iter()
            .filter(|((_, number), c)| number == user && c.sender.account == account)
            .map(|(_, c)| {
                let usage = self.request_usage(now, &c.sender, user);
                PairPermission {
                    business: c.sender.number.clone(),
                    state: self.permission(now, &c.sender, user),
                    requests_last_day: usage.day,
                    requests_last_week: usage.week,
                    revoked: c.revoked,
                }
            })
            .collect();
        pairs.sort_by(|a, b| a.business.cmp(&b.business));
        pairs
    }

    pub(crate) fn request_usage(
        &self,
        now: UnixMillis,
        sender: &SimSender,
        user: &E164,
    ) -> RequestUsage {
        let limits = self.config.consent;
        let week_ms = 7 * DAY_MS;
        let requests = self.consent.get(&key(sender, user)).map(|c| &c.requests);
        let within = |span: u64| -> Vec<UnixMillis> {
            requests
                .into_iter()
                .flatten()
                .copied()
                .filter(|t| t.plus_millis(span) > now)
                .collect()
        };
        let (day, week) = (within(DAY_MS), within(week_ms));
        RequestUsage {
            day: day.len(),
            week: week.len(),
            day_frees_at: (day.len() >= limits.requests_per_day)
                .then(|| day.first().map(|t| t.plus_millis(DAY_MS)))
                .flatten(),
            week_frees_at: (week.len() >= limits.requests_per_week)
                .then(|| week.first().map(|t| t.plus_millis(week_ms)))
                .flatten(),
        }
    }

    /// Meta's synchronous refusals of a call permission request: a permanent permission
    /// already exists (138017), or the pair's request limits are used up (138009).
    pub(crate) fn check_request(
        &self,
        now: UnixMillis,
        sender: &SimSender,
        user: &E164,
    ) -> Result<(), GraphError> {
        if self.permission(now, sender, user) == PermissionState::Permanent {
            return Err(GraphError::new(
                138_017,
                "(#138017) Call permission request not allowed",
                Some(
                    "The user has already granted permanent call permission to this business number",
                ),
            ));
        }
        let limits = self.config.consent;
        let usage = self.request_usage(now, sender, user);
        let exhausted = if usage.day >= limits.requests_per_day {
            Some(("24 hours", limits.requests_per_day, usage.day_frees_at))
        } else if usage.week >= limits.requests_per_week {
            Some(("7 days", limits.requests_per_week, usage.week_frees_at))
        } else {
            None
        };
        match exhausted {
            Some((period, max, frees_at)) => Err(GraphError::new(
                138_009,
                "(#138009) Call permission request limit reached",
                Some(&format!(
                    "Limit of {max} call permission requests in {period} reached for this user; \
                     next request allowed at {}",
                    frees_at.map_or(0, |t| t.0 / 1000)
                )),
            )),
            None => Ok(()),
        }
    }

    fn pair_mut(&mut self, sender: &SimSender, user: &E164) -> &mut PairConsent {
        self.consent
            .entry(key(sender, user))
            .or_insert_with(|| PairConsent {
                sender: sender.clone(),
                grant: None,
                requests: VecDeque::new(),
                revoked: false,
            })
    }

    /// Counts a call permission request sent at `now`.
    pub(crate) fn count_request(&mut self, now: UnixMillis, sender: &SimSender, user: &E164) {
        let pair = self.pair_mut(sender, user);
        while pair
            .requests
            .front()
            .is_some_and(|t| t.plus_millis(7 * DAY_MS) <= now)
        {
            pair.requests.pop_front();
        }
        pair.requests.push_back(now);
    }

    /// A connected call (either direction) resets the pair's request counters.
    pub(crate) fn reset_requests(&mut self, sender: &SimSender, user: &E164) {
        if let Some(pair) = self.consent.get_mut(&key(sender, user)) {
            pair.requests.clear();
        }
    }

    /// The user's answer takes effect: accept grants (temporary: for `temporary_lifetime` from
    /// `now`), reject withdraws. Returns the expiry of a temporary grant.
    pub(crate) fn grant_or_deny(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        user: &E164,
        accepted: bool,
        permanent: bool,
    ) -> Option<UnixMillis> {
        let lifetime = millis(self.config.consent.temporary_lifetime);
        let pair = self.pair_mut(sender, user);
        if !accepted {
            pair.grant = None;
            return None;
        }
        pair.revoked = false;
        let expires_at = (!permanent).then(|| now.plus_millis(lifetime));
        pair.grant = Some(expires_at.map_or(Grant::Permanent, Grant::Until));
        expires_at
    }

    /// The unanswered-calls rule revokes the pair's permission (and the scripted one).
    pub(crate) fn revoke(&mut self, sender: &SimSender, user: &E164) {
        if let Some(u) = self.user_mut(sender.account, user)
            && u.permission == Permission::Granted
        {
            u.permission = Permission::Revoked;
        }
        if let Some(pair) = self.consent.get_mut(&key(sender, user))
            && pair.grant.is_some()
        {
            pair.grant = None;
            pair.revoked = true;
        }
    }
}
