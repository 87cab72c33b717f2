//! `<Enqueue>`: put the caller in a queue.

use dialtone_types::TwilioCode;

use crate::Method;
use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

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

impl Enqueue {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const E: &str = "Enqueue";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut e = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "action" => e.action = Some(a.value.to_string()),
                "method" => e.method = cx.method(E, a, W, Method::Post),
                "waitUrl" => e.wait_url = Some(a.value.to_string()),
                "waitUrlMethod" => e.wait_url_method = cx.method(E, a, W, Method::Post),
                "workflowSid" => e.workflow_sid = Some(a.value.to_string()),
                "maxQueueSize" => e.max_queue_size = cx.opt_uint(E, a, W, (1, 5000)),
                _ => cx.unknown_attr(E, a, &mut e.extra),
            }
        }
        e.name = cx.text(id);
        for child in tree.children(id) {
            if tree.node(child).name != "Task" {
                cx.unexpected_child(W, E, child);
                continue;
            }
            let mut task = EnqueueTask {
                attributes: cx.text(child),
                ..EnqueueTask::default()
            };
            let mut ignored = Vec::new();
            for a in tree.attrs(child) {
                match a.name {
                    "priority" => task.priority = cx.opt_uint("Task", a, W, (0, u32::MAX)),
                    "timeout" => task.timeout = cx.opt_uint("Task", a, W, (1, u32::MAX)),
                    _ => cx.unknown_attr("Task", a, &mut ignored),
                }
            }
            cx.no_children("Task", child);
            e.task = Some(task);
        }
        e
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Enqueue");
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.attr_opt("waitUrl", self.wait_url.as_deref());
        w.method("waitUrlMethod", self.wait_url_method);
        w.attr_opt("workflowSid", self.workflow_sid.as_deref());
        if let Some(n) = self.max_queue_size {
            w.attr("maxQueueSize", &n.to_string());
        }
        w.extra(&self.extra);
        match &self.task {
            None => w.text_content("Enqueue", &self.name),
            Some(task) => {
                w.end_start();
                w.text(&self.name);
                w.open("Task");
                if let Some(p) = task.priority {
                    w.attr("priority", &p.to_string());
                }
                if let Some(t) = task.timeout {
                    w.attr("timeout", &t.to_string());
                }
                w.text_content("Task", &task.attributes);
                w.close("Enqueue");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Enqueue, EnqueueTask, Verb};

    #[test]
    fn name_and_task() {
        assert_eq!(
            only_verb(r#"<Response><Enqueue waitUrl="/wait">support</Enqueue></Response>"#),
            Verb::Enqueue(Enqueue {
                name: "support".into(),
                wait_url: Some("/wait".into()),
                ..Enqueue::default()
            })
        );
        let Verb::Enqueue(e) = only_verb(
            r#"<Response><Enqueue workflowSid="WW1"><Task priority="5" timeout="200">{"a":1}</Task></Enqueue></Response>"#,
        ) else {
            panic!("not an Enqueue")
        };
        assert_eq!(
            e.task,
            Some(EnqueueTask {
                attributes: r#"{"a":1}"#.into(),
                priority: Some(5),
                timeout: Some(200)
            })
        );
        assert_eq!(
            codes(r#"<Response><Enqueue waitUrlMethod="PUT">q</Enqueue></Response>"#),
            [(12200, 1, 20)]
        );
    }
}
