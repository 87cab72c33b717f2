//! `<Redirect>`: relative URLs resolve against the URL of the document that holds them (not
//! the first one), `method` is honoured, and an unusable URL is 11100 and skipped. The loop
//! limit itself is in `redirect_loop.rs`.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::World;
use dialtone_types::{CallStatus, Level};

fn says(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) => match &m.command {
                MediaCommand::Say { text, .. } => Some(text.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn relative_urls_resolve_against_the_current_document() {
    let mut w = World::new();
    w.serve(
        "https://app.test/ivr/main.xml?lang=en",
        "<Response><Say>Welcome</Say><Redirect>next.xml</Redirect></Response>",
    );
    w.serve(
        "https://app.test/ivr/next.xml",
        r#"<Response><Redirect method="GET">../common/menu?step=2</Redirect></Response>"#,
    );
    w.serve(
        "https://app.test/common/menu?step=2",
        "<Response><Redirect>/root</Redirect></Response>",
    );
    w.serve(
        "https://app.test/root",
        "<Response><Redirect>https://other.test/end</Redirect></Response>",
    );
    w.serve(
        "https://other.test/end",
        "<Response><Say>Bye</Say></Response>",
    );
    let call = w.inbound(
        "client:alice",
        "client:ivr",
        "https://app.test/ivr/main.xml?lang=en",
    );
    w.run_until_idle();
    let p = Party::inbound(1, "client:alice", "client:ivr");
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/ivr/main.xml?lang=en",
                p.params("ringing", &[])
            ),
            hook_p(
                "fetch:Redirect",
                "POST https://app.test/ivr/next.xml",
                p.params("in-progress", &[])
            ),
            hook_p(
                "fetch:Redirect",
                "GET https://app.test/common/menu?step=2",
                p.params("in-progress", &[])
            ),
            hook_p(
                "fetch:Redirect",
                "POST https://app.test/root",
                p.params("in-progress", &[])
            ),
            hook_p(
                "fetch:Redirect",
                "POST https://other.test/end",
                p.params("in-progress", &[])
            ),
        ]
    );
    assert_eq!(says(&w), vec!["Welcome", "Bye"]);
    assert!(w.notifications().is_empty(), "{:?}", w.notifications());
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn inline_twiml_has_no_base_so_a_relative_redirect_is_11100_and_skipped() {
    let mut w = World::new();
    let app = dialtone_core::AppConfig {
        twiml: dialtone_core::TwimlSource::Inline(
            "<Response><Say>Hi</Say><Redirect>next.xml</Redirect><Say>after</Say></Response>"
                .into(),
        ),
        fallback: None,
        status_callback: None,
    };
    let call = w.inbound_with("client:alice", "client:ivr", app).unwrap();
    w.run_until_idle();
    assert!(w.webhooks().is_empty());
    assert_eq!(notes(&w), vec![(ca_str(1), 11100, Level::Error)]);
    assert_eq!(says(&w), vec!["Hi", "after"]);
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn the_loop_limit_names_the_url_and_plays_the_application_error() {
    let mut w = World::new();
    w.serve(
        "https://app.test/a",
        "<Response><Redirect>/b</Redirect></Response>",
    );
    w.serve(
        "https://app.test/b",
        "<Response><Redirect>/a</Redirect></Response>",
    );
    let call = w.inbound("client:alice", "client:ivr", "https://app.test/a");
    w.run_until_idle();
    assert_eq!(w.webhooks().len(), 21);
    let n = &w.notifications()[0];
    assert_eq!(
        (n.code.0, n.level, n.url.as_ref().map(ToString::to_string)),
        (11215, Level::Error, Some("https://app.test/b".to_owned()))
    );
    assert!(n.message.contains("20"), "{}", n.message);
    let media: Vec<&MediaCommand> = w
        .outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) => Some(&m.command),
            _ => None,
        })
        .collect();
    assert_eq!(media, vec![&MediaCommand::ApplicationError]);
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}
