//! Admission: how many requests that create or change a call the server works on at once.
//!
//! Such a request cannot be cut once the engine has taken it (the call exists; see
//! [`NoReturn`](crate::http::NoReturn)), so under a burst the server does not queue them
//! without bound behind the store: a request that finds every slot taken is answered at once
//! with 429 (Twilio's 20429, `Retry-After`), before anything of it is looked up or stored, and
//! the client can retry it without placing the call twice. The slot is taken before the
//! handler runs (an extractor, after authentication) and given back when its answer is ready.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::ApiState;

/// The slots of call creates and updates in flight.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    in_flight: Arc<AtomicUsize>,
    limit: usize,
    retry_after: Duration,
}

impl Admission {
    /// `limit` requests at once (at least one); the others are told to retry after
    /// `retry_after`.
    pub(crate) fn new(limit: usize, retry_after: Duration) -> Self {
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            limit: limit.max(1),
            retry_after,
        }
    }

    /// A slot, or the 429 that refuses the request.
    pub(crate) fn admit(&self) -> Result<Admitted, ApiError> {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .map(|_| Admitted(Arc::clone(&self.in_flight)))
            .map_err(|_| {
                metrics::counter!("dialtone_admission_rejections_total", "reason" => "in_flight")
                    .increment(1);
                ApiError::TooManyRequests {
                    retry_after: self.retry_after,
                }
            })
    }
}

/// A request's slot, held by its handler; given back when dropped.
#[derive(Debug)]
pub(crate) struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl FromRequestParts<ApiState> for Admitted {
    type Rejection = ApiError;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        state.admission.admit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_and_given_back() {
        let admission = Admission::new(2, Duration::from_secs(1));
        let a = admission.admit().unwrap();
        let b = admission.admit().unwrap();
        let refused = admission.admit().unwrap_err();
        assert!(matches!(refused, ApiError::TooManyRequests { .. }));
        drop(a);
        let c = admission.admit().unwrap();
        assert!(admission.admit().is_err());
        drop((b, c));
        assert_eq!(admission.in_flight.load(Ordering::Acquire), 0);
        // A limit of 0 would refuse everything: it means 1.
        assert!(Admission::new(0, Duration::ZERO).admit().is_ok());
    }
}
