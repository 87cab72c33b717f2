//! The live call list: Server-Sent Events carrying the rows of the list's first page that
//! changed (a new call, a status change), rendered by the same template as the page.
//!
//! The stream reads the store (every [`TICK`]), not an in-process bus: every node of a
//! PostgreSQL deployment sees every call, whichever node runs it, and nothing is missed
//! between the page load and the stream's start because the first tick sends the whole page.
//! Each event is `event: call`, `data: <tr …>` (one line; maud writes no newlines). The
//! stream ends when the session does (logout, expiry), and the browser's `EventSource`
//! reconnects on its own after a network error, which then lands on the sign-in redirect.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use dialtone_types::{CallStatus, Sid, UnixMillis};
use futures_util::stream;

use crate::console::calls::{ListQuery, row};
use crate::console::session::Session;
use crate::params::Query;
use crate::state::ApiState;

/// How often the store is read for changes.
const TICK: Duration = Duration::from_millis(500);

struct Watch {
    state: ApiState,
    session: Session,
    query: ListQuery,
    /// What each row showed when last sent.
    sent: HashMap<Sid, (CallStatus, UnixMillis, Option<u32>)>,
    first: bool,
    /// Rows waiting to go out.
    queue: Vec<Event>,
}

/// `GET /console/calls/live?<the list's filters>`.
pub(crate) async fn stream(
    State(state): State<ApiState>,
    session: Session,
    Query(params): Query,
) -> Response {
    let mut query = ListQuery::read(&params);
    query.after.clear();
    if let Err(message) = query.filter() {
        return (StatusCode::BAD_REQUEST, message).into_response();
    }
    let watch = Watch {
        state,
        session,
        query,
        sent: HashMap::new(),
        first: true,
        queue: Vec::new(),
    };
    let events = stream::unfold(watch, |mut w| async move {
        loop {
            if let Some(event) = w.queue.pop() {
                return Some((Ok::<_, Infallible>(event), w));
            }
            if !w.first {
                tokio::time::sleep(TICK).await;
            }
            w.first = false;
            if !w.state.console.is_live(&w.session.id, w.state.now()) {
                return None;
            }
            w.poll().await;
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

impl Watch {
    /// Queues the rows that changed since the last poll (oldest first, so the newest call is
    /// prepended last and ends on top).
    async fn poll(&mut self) {
        let (Ok(filter), Ok(page)) = (self.query.filter(), self.query.page()) else {
            return;
        };
        let calls = match self
            .state
            .store
            .list_calls(self.session.caller.account, &filter, &page)
            .await
        {
            Ok(p) => p.items,
            Err(e) => {
                tracing::warn!(error = %e, "console: live call list could not read the store");
                return;
            }
        };
        // `queue` is popped from the end: push newest first so the oldest goes out first.
        for c in &calls {
            let shown = (c.status, c.date_updated, c.duration);
            if self.sent.get(&c.sid) != Some(&shown) {
                self.sent.insert(c.sid, shown);
                self.queue
                    .push(Event::default().event("call").data(row(c).into_string()));
            }
        }
        // Forget calls that left the page, so the map stays one page large.
        if self.sent.len() > calls.len() * 2 {
            self.sent
                .retain(|sid, _| calls.iter().any(|c| &c.sid == sid));
        }
    }
}
