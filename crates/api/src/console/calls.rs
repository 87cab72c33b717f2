//! The call list: filters (status, direction, from, to, date), keyset paging done by the
//! store (a page of 10,000 calls costs what a page of 50 does), and a table whose rows the
//! live stream ([`live`](super::live)) replaces as calls change.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dialtone_store::{Call, CallFilter, DateOp, PageRequest, PageSize, PageToken};
use dialtone_types::{CallStatus, Direction};
use maud::{Markup, html};

use crate::console::layout::{self, Nav, status_badge, when};
use crate::console::session::Session;
use crate::params::{Params, Query};
use crate::state::ApiState;

/// Rows per page.
pub(crate) const PAGE_SIZE: u64 = 50;

const STATUSES: [CallStatus; 9] = [
    CallStatus::Queued,
    CallStatus::Initiated,
    CallStatus::Ringing,
    CallStatus::InProgress,
    CallStatus::Completed,
    CallStatus::Busy,
    CallStatus::NoAnswer,
    CallStatus::Failed,
    CallStatus::Canceled,
];
const DIRECTIONS: [Direction; 3] = [
    Direction::Inbound,
    Direction::OutboundApi,
    Direction::OutboundDial,
];

/// The list's query string; every field optional, empty means "any".
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub(crate) status: String,
    pub(crate) direction: String,
    pub(crate) from: String,
    pub(crate) to: String,
    /// `YYYY-MM-DD`: calls that started that day (UTC), as the API's `StartTime`.
    pub(crate) date: String,
    /// The page token of the page to show; the first page without it.
    pub(crate) after: String,
}

impl ListQuery {
    /// Reads the query string's fields.
    pub(crate) fn read(p: &Params) -> Self {
        let v = |n: &str| p.raw(n).unwrap_or("").to_owned();
        Self {
            status: v("status"),
            direction: v("direction"),
            from: v("from"),
            to: v("to"),
            date: v("date"),
            after: v("after"),
        }
    }

    /// The store filter, or what is wrong with the query.
    pub(crate) fn filter(&self) -> Result<CallFilter, String> {
        let mut filter = CallFilter::default();
        if !self.status.is_empty() {
            filter.status = Some(
                STATUSES
                    .into_iter()
                    .find(|s| s.as_str() == self.status)
                    .ok_or_else(|| format!("Unknown status {:?}", self.status))?,
            );
        }
        if !self.direction.is_empty() {
            filter.direction = Some(
                DIRECTIONS
                    .into_iter()
                    .find(|d| d.as_str() == self.direction)
                    .ok_or_else(|| format!("Unknown direction {:?}", self.direction))?,
            );
        }
        let trimmed = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        filter.from = trimmed(&self.from);
        filter.to = trimmed(&self.to);
        if !self.date.trim().is_empty() {
            filter
                .start_time
                .constrain(DateOp::On, self.date.trim())
                .map_err(|e| e.to_string())?;
        }
        Ok(filter)
    }

    /// The page to read.
    pub(crate) fn page(&self) -> Result<PageRequest, String> {
        let size = PageSize::new(PAGE_SIZE).unwrap_or_default();
        if self.after.is_empty() {
            return Ok(PageRequest::first(size));
        }
        let token: PageToken = self
            .after
            .parse()
            .map_err(|_| format!("Invalid page token {:?}", self.after))?;
        Ok(PageRequest::after(size, token))
    }

    /// This query as a query string, with `after` replaced.
    fn with_after(&self, after: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("status", &self.status)
            .append_pair("direction", &self.direction)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("date", &self.date)
            .append_pair("after", after)
            .finish()
    }
}

/// `GET /console`: the call list is the console's home.
pub(crate) async fn home() -> Redirect {
    Redirect::to("/console/calls")
}

/// One row of the table; the live stream sends the same markup.
pub(crate) fn row(c: &Call) -> Markup {
    html! {
        tr id={"call-" (c.sid)} data-sid=(c.sid) data-status=(c.status.as_str()) {
            td { a.sid href={"/console/calls/" (c.sid)} { (c.sid) } }
            td { (when(c.date_created)) }
            td.addr { (c.from) }
            td.addr { (c.to) }
            td { (c.direction.as_str()) }
            td { (status_badge(c.status)) }
            td.num { @if let Some(d) = c.duration { (d) " s" } }
            td { @if let Some(p) = c.parent_call_sid { a href={"/console/calls/" (p)} title="Parent call" { "child" } } }
        }
    }
}

fn filters(q: &ListQuery) -> Markup {
    html! {
        form.filters method="get" action="/console/calls" {
            label { "Status"
                select name="status" {
                    option value="" { "any" }
                    @for s in STATUSES {
                        option value=(s.as_str()) selected[q.status == s.as_str()] { (s.as_str()) }
                    }
                }
            }
            label { "Direction"
                select name="direction" {
                    option value="" { "any" }
                    @for d in DIRECTIONS {
                        option value=(d.as_str()) selected[q.direction == d.as_str()] { (d.as_str()) }
                    }
                }
            }
            label { "From" input name="from" value=(q.from) placeholder="+15551234567"; }
            label { "To" input name="to" value=(q.to) placeholder="whatsapp:+…"; }
            label { "Started on (UTC)" input name="date" type="date" value=(q.date); }
            button type="submit" { "Filter" }
            a href="/console/calls" { "Clear" }
        }
    }
}

/// `GET /console/calls`.
pub(crate) async fn page(
    State(state): State<ApiState>,
    session: Session,
    Query(query): Query,
) -> Response {
    let q = ListQuery::read(&query);
    let (filter, request) = match q.filter().and_then(|f| Ok((f, q.page()?))) {
        Ok(v) => v,
        Err(message) => {
            let body = html! { h1 { "Calls" } (filters(&q)) p.error { (message) } };
            return layout::page_with_status(
                StatusCode::BAD_REQUEST,
                &session,
                Nav::Calls,
                "Calls",
                &body,
            );
        }
    };
    let page = match state
        .store
        .list_calls(session.caller.account, &filter, &request)
        .await
    {
        Ok(p) => p,
        Err(e) => return crate::error::ApiError::store(e).into_response(),
    };
    let live = q.after.is_empty();
    let live_url = format!("/console/calls/live?{}", q.with_after(""));
    let body = html! {
        h1 { "Calls" }
        (filters(&q))
        @if live {
            p.live-note { span #live-state data-url=(live_url) { "Live: connecting…" } }
        }
        table.calls #calls-table {
            thead { tr {
                th { "SID" } th { "Created" } th { "From" } th { "To" }
                th { "Direction" } th { "Status" } th { "Duration" } th { "" }
            } }
            tbody #calls {
                @for c in &page.items { (row(c)) }
            }
        }
        @if page.items.is_empty() {
            p.empty #no-calls { "No calls match." }
        }
        nav.pager {
            @if !q.after.is_empty() {
                a href={"/console/calls?" (q.with_after(""))} { "« First page" }
            }
            @if let Some(next) = page.next {
                a rel="next" href={"/console/calls?" (q.with_after(&next.to_string()))} { "Next page »" }
            }
        }
    };
    layout::page(&session, Nav::Calls, "Calls", &body)
}
