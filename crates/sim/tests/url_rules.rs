//! URLs in documents: requested exactly as written (relative ones resolved on the text), and a
//! URL whose host breaks Twilio's rule (an underscore) is reported once, 21205 at its
//! line:column, and never requested; the document goes on.

mod common;

use common::*;
use dialtone_sim::World;
use dialtone_types::{CallStatus, Level};

fn fetched(w: &World) -> Vec<String> {
    views(w).into_iter().map(|(_, line, _)| line).collect()
}

#[test]
fn relative_and_absolute_urls_are_requested_as_written() {
    let mut w = World::new();
    w.serve(
        "https://app.test/ivr/voice",
        "<Response><Redirect>next?name=William+O'hara&amp;s=%20&amp;t=~</Redirect></Response>",
    );
    w.serve(
        "https://app.test/ivr/next?name=William+O'hara&s=%20&t=~",
        "<Response><Redirect method=\"GET\">HTTPS://App.Test/Done?</Redirect></Response>",
    );
    w.serve("HTTPS://App.Test/Done?", "<Response><Hangup/></Response>");
    w.inbound(
        "client:alice",
        "client:support",
        "https://app.test/ivr/voice",
    );
    w.run_until_idle();
    assert_eq!(
        fetched(&w),
        [
            "POST https://app.test/ivr/voice",
            "POST https://app.test/ivr/next?name=William+O'hara&s=%20&t=~",
            "GET HTTPS://App.Test/Done?",
        ]
    );
    assert!(w.notifications().is_empty(), "{:?}", w.notifications());
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn an_underscore_host_is_reported_at_its_position_and_never_requested() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response>\n  <Redirect>https://my_app.example.com/next</Redirect>\n  <Hangup/>\n</Response>",
    );
    w.inbound("client:alice", "client:support", "https://app.test/voice");
    w.run_until_idle();
    assert_eq!(fetched(&w), ["POST https://app.test/voice"]);
    let notes: Vec<_> = w
        .notifications()
        .iter()
        .map(|n| (n.code.0, n.level, n.message.clone()))
        .collect();
    assert_eq!(
        notes,
        [(
            21205,
            Level::Error,
            "2:13: Redirect \"https://my_app.example.com/next\": Non-relative URLs must contain a \
             valid hostname. Underscores aren't permitted."
                .to_owned()
        )]
    );
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}
