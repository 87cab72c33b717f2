//! `<Queue>`: connect to the call waiting at the front of a queue.

use crate::Method;

/// `<Queue url method>queue name</Queue>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueNoun {
    /// The queue name (element text).
    pub name: String,
    /// `url`: TwiML played to the dequeued caller before bridging.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `reservationSid` (TaskRouter).
    pub reservation_sid: Option<String>,
    /// `postWorkActivitySid` (TaskRouter).
    pub post_work_activity_sid: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
