//! What the connector knows about users' call permissions, so that a `<Dial><WhatsApp>` to a
//! user known to have none fails at once with 37000 instead of costing a Graph request (and,
//! for the limit, a call that Meta would refuse with 138012).
//!
//! Meta is the source of truth and says nothing when a temporary permission simply expires, so
//! every entry has an expiry: a refusal is remembered for a configurable time, a temporary
//! grant until its expiration, a permanent grant until a refusal says otherwise. An expired
//! entry means "unknown: ask Meta", never "denied".

use std::collections::HashMap;

use dialtone_types::UnixMillis;

use crate::error::{Failure, FailureReason};
use crate::graph::{ACTION_START_CALL, CallPermissionsResponse, PermissionStatus};
use crate::webhook::PermissionReply;

/// How long a refusal (138006, `no_permission`, a declined request) is remembered by default.
/// A grant arriving meanwhile (permission-reply webhook) replaces it at once.
pub const DEFAULT_DENIED_TTL_MS: u64 = 10 * 60 * 1000;

/// Lifetime of a temporary permission: 7 days from approval.
pub const TEMPORARY_PERMISSION_MS: u64 = 7 * 86_400 * 1000;

/// The answer of [`PermissionCache::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionCheck {
    /// Known granted: place the call.
    Granted,
    /// Nothing known (or expired): place the call (or ask `call_permissions` first).
    Unknown,
    /// Known refused: fail the leg with this failure (37000) without calling Meta.
    Denied(Failure),
    /// The pair's daily call limit is used up: fail with this failure (37006).
    LimitReached(Failure),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Denied,
    LimitReached,
    Granted,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    known: Known,
    /// `None`: until told otherwise (permanent grants).
    until: Option<UnixMillis>,
    /// A temporary grant whose end Meta gave: once it passed, the user is known to have no
    /// permission (for as long as a refusal is remembered), not merely unknown.
    expires_into_denied: bool,
}

/// Permissions per (business phone-number id, user WhatsApp id), bounded in size.
#[derive(Debug, Clone)]
pub struct PermissionCache {
    entries: HashMap<(String, String), Entry>,
    denied_ttl_ms: u64,
    max_entries: usize,
}

impl PermissionCache {
    /// A cache remembering refusals for `denied_ttl_ms`, holding at most `max_entries` pairs.
    pub fn new(denied_ttl_ms: u64, max_entries: usize) -> Self {
        Self {
            entries: HashMap::new(),
            denied_ttl_ms,
            max_entries: max_entries.max(1),
        }
    }

    /// Number of pairs held (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What is known about `user` (digits, no `+`) calling from `phone_number_id` at `now`.
    pub fn check(&self, now: UnixMillis, phone_number_id: &str, user: &str) -> PermissionCheck {
        let key = (phone_number_id.to_owned(), user.to_owned());
        let Some(entry) = self.entries.get(&key) else {
            return PermissionCheck::Unknown;
        };
        let known = match entry.until {
            Some(until) if now >= until => {
                if entry.expires_into_denied && now < until.plus_millis(self.denied_ttl_ms) {
                    Known::Denied
                } else {
                    return PermissionCheck::Unknown;
                }
            }
            _ => entry.known,
        };
        match known {
            Known::Granted => PermissionCheck::Granted,
            Known::Denied => PermissionCheck::Denied(Failure::new(
                FailureReason::NoPermission,
                "WhatsApp user has not granted call permission".to_owned(),
                Some(138_006),
            )),
            Known::LimitReached => PermissionCheck::LimitReached(Failure::new(
                FailureReason::PairDailyLimit,
                "WhatsApp daily call limit to this user reached".to_owned(),
                Some(138_012),
            )),
        }
    }

    /// Learns from a failed `connect`: 138006 means no permission.
    pub fn record_failure(
        &mut self,
        now: UnixMillis,
        phone_number_id: &str,
        user: &str,
        failure: &Failure,
    ) {
        if failure.reason == FailureReason::NoPermission {
            self.deny(now, phone_number_id, user);
        }
    }

    /// Learns from a placed call: Meta accepted it, so permission existed.
    pub fn record_placed(&mut self, now: UnixMillis, phone_number_id: &str, user: &str) {
        let key = (phone_number_id.to_owned(), user.to_owned());
        let still_granted = self
            .entries
            .get(&key)
            .is_some_and(|e| e.known == Known::Granted && e.until.is_none_or(|u| now < u));
        if !still_granted {
            // Grant of unknown length: trust it as long as a refusal would be remembered.
            self.insert(
                now,
                key,
                Known::Granted,
                Some(now.plus_millis(self.denied_ttl_ms)),
            );
        }
    }

    /// Learns from a `call_permissions` answer.
    pub fn record_permissions(
        &mut self,
        now: UnixMillis,
        phone_number_id: &str,
        user: &str,
        response: &CallPermissionsResponse,
    ) {
        let key = (phone_number_id.to_owned(), user.to_owned());
        let limit_until = response
            .action(ACTION_START_CALL)
            .filter(|action| !action.can_perform_action)
            .and_then(|action| {
                action
                    .limits
                    .iter()
                    .filter_map(|limit| limit.limit_expiration_time)
                    .max()
            })
            .map(secs_to_millis)
            .filter(|until| now < *until);
        match response.permission.status {
            PermissionStatus::NoPermission => self.deny(now, phone_number_id, user),
            _ if limit_until.is_some() => self.insert(now, key, Known::LimitReached, limit_until),
            PermissionStatus::Permanent => self.insert(now, key, Known::Granted, None),
            PermissionStatus::Temporary => {
                match response.permission.expires_at_secs().map(secs_to_millis) {
                    Some(until) if now < until => self.insert_expiring(now, &key, until),
                    Some(_) => self.deny(now, phone_number_id, user),
                    None => {
                        let until = Some(now.plus_millis(TEMPORARY_PERMISSION_MS));
                        self.insert(now, key, Known::Granted, until);
                    }
                }
            }
            PermissionStatus::Unknown => {
                self.entries.remove(&key);
            }
        }
    }

    /// Learns from a permission-reply webhook for `phone_number_id`.
    pub fn record_reply(
        &mut self,
        now: UnixMillis,
        phone_number_id: &str,
        reply: &PermissionReply,
    ) {
        let key = (phone_number_id.to_owned(), reply.from.clone());
        if !reply.accepted {
            self.deny(now, phone_number_id, &reply.from);
        } else if reply.is_permanent {
            self.insert(now, key, Known::Granted, None);
        } else {
            let until = reply.expiration_timestamp.map_or_else(
                || {
                    let approved = reply.timestamp.map_or(now, secs_to_millis);
                    approved.plus_millis(TEMPORARY_PERMISSION_MS)
                },
                secs_to_millis,
            );
            if now < until {
                self.insert_expiring(now, &key, until);
            } else {
                self.deny(now, phone_number_id, &reply.from);
            }
        }
    }

    /// Learns a temporary permission stored earlier (a restart): granted until `until`, known
    /// denied after it. `until` in the past is a refusal remembered from `until`.
    pub fn record_temporary(
        &mut self,
        now: UnixMillis,
        phone_number_id: &str,
        user: &str,
        until: UnixMillis,
    ) {
        let key = (phone_number_id.to_owned(), user.to_owned());
        self.insert_expiring(now, &key, until);
    }

    /// Learns a permanent permission stored earlier.
    pub fn record_permanent(&mut self, now: UnixMillis, phone_number_id: &str, user: &str) {
        let key = (phone_number_id.to_owned(), user.to_owned());
        self.insert(now, key, Known::Granted, None);
    }

    /// Learns a refusal stored earlier, made at `at`: remembered from then.
    pub fn record_denied(
        &mut self,
        now: UnixMillis,
        phone_number_id: &str,
        user: &str,
        at: UnixMillis,
    ) {
        let key = (phone_number_id.to_owned(), user.to_owned());
        let until = at.plus_millis(self.denied_ttl_ms);
        if now < until {
            self.insert(now, key, Known::Denied, Some(until));
        }
    }

    fn insert_expiring(&mut self, now: UnixMillis, key: &(String, String), until: UnixMillis) {
        self.insert(now, key.clone(), Known::Granted, Some(until));
        if let Some(entry) = self.entries.get_mut(key) {
            entry.expires_into_denied = true;
        }
    }

    /// Forgets a pair.
    pub fn forget(&mut self, phone_number_id: &str, user: &str) {
        self.entries
            .remove(&(phone_number_id.to_owned(), user.to_owned()));
    }

    /// Drops every expired entry.
    pub fn purge(&mut self, now: UnixMillis) {
        let ttl = self.denied_ttl_ms;
        self.entries.retain(|_, e| {
            e.until.is_none_or(|u| {
                let end = if e.expires_into_denied {
                    u.plus_millis(ttl)
                } else {
                    u
                };
                now < end
            })
        });
    }

    fn deny(&mut self, now: UnixMillis, phone_number_id: &str, user: &str) {
        let key = (phone_number_id.to_owned(), user.to_owned());
        let until = Some(now.plus_millis(self.denied_ttl_ms));
        self.insert(now, key, Known::Denied, until);
    }

    fn insert(
        &mut self,
        now: UnixMillis,
        key: (String, String),
        known: Known,
        until: Option<UnixMillis>,
    ) {
        if self.entries.len() >= self.max_entries && !self.entries.contains_key(&key) {
            self.purge(now);
            if self.entries.len() >= self.max_entries {
                // Still full: drop the entry that expires first (permanent ones last).
                let victim = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.until.map_or(u64::MAX, |u| u.0))
                    .map(|(k, _)| k.clone());
                if let Some(victim) = victim {
                    self.entries.remove(&victim);
                }
            }
        }
        self.entries.insert(
            key,
            Entry {
                known,
                until,
                expires_into_denied: false,
            },
        );
    }
}

impl Default for PermissionCache {
    /// Refusals remembered [`DEFAULT_DENIED_TTL_MS`], at most 100 000 pairs.
    fn default() -> Self {
        Self::new(DEFAULT_DENIED_TTL_MS, 100_000)
    }
}

fn secs_to_millis(secs: u64) -> UnixMillis {
    UnixMillis(secs.saturating_mul(1000))
}
