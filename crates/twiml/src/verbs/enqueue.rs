//! `<Enqueue>`: put the caller in a queue.

use crate::Method;

/// `<Task priority timeout>json</Task>` inside `<Enqueue workflowSid>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnqueueTask {
    /// Task attributes as JSON text.
    pub attributes: String,
    /// `priority`.
    pub priority: Option<u32>,
    /// `timeout` in seconds.
    pub timeout: Option<u32>,
}

/// `<Enqueue>queue name</Enqueue>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enqueue {
    /// The queue name (element text); empty when a `<Task>` is given.
    pub name: String,
    /// `action`: requested when the caller leaves the queue.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// `waitUrl`: TwiML played while waiting.
    pub wait_url: Option<String>,
    /// `waitUrlMethod`. Default POST.
    pub wait_url_method: Method,
    /// `workflowSid` (TaskRouter).
    pub workflow_sid: Option<String>,
    /// `maxQueueSize`.
    pub max_queue_size: Option<u32>,
    /// `<Task>` child (TaskRouter).
    pub task: Option<EnqueueTask>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
