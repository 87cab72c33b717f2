//! What a whisper document (`<WhatsApp url>`, `<Client url>`) may hold: only `<Play>`,
//! `<Say>`, `<Gather>` and `<Hangup>`. A `<Dial>` there is 13201 and the document cannot run:
//! the child hears the application error and is hung up, never bridged. Any other verb
//! (`<Pause>`, `<Redirect>`...) is 12200 and makes the document unusable the same way.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::{LegScript, World};
use dialtone_types::{CallStatus, Level};

fn run(whisper: &str) -> World {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial action="/done"><Client url="/whisper">agent</Client></Dial></Response>"#,
    );
    w.serve("https://app.test/whisper", whisper);
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(2)).hangs_up_after(secs(30)),
    );
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.run_until_idle();
    w
}

fn child_media(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) if m.call == ca(2) => Some(match &m.command {
                MediaCommand::Say { text, .. } => format!("say {text}"),
                other => format!("{other:?}"),
            }),
            _ => None,
        })
        .collect()
}

fn bridged(w: &World) -> bool {
    w.outputs()
        .iter()
        .any(|(_, o)| matches!(o, Output::Bridge { .. }))
}

#[test]
fn a_dial_in_the_whisper_is_13201_and_the_child_is_not_bridged() {
    let w = run("<Response><Say>Hi</Say><Dial><Client>other</Client></Dial></Response>");
    let n = w.notifications();
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(
        (n[0].call, n[0].code.0, n[0].level),
        (ca(2), 13201, Level::Error)
    );
    assert_eq!(
        n[0].url.as_ref().map(ToString::to_string),
        Some("https://app.test/whisper".to_owned())
    );
    assert_eq!(child_media(&w), vec!["ApplicationError"]);
    assert!(!bridged(&w));
    let action = w.webhooks().last().unwrap();
    assert_eq!(action.url, "https://app.test/done");
    assert_eq!(action.param("DialCallStatus"), Some("completed"));
    assert_eq!(action.param("DialBridged"), Some("false"));
    assert_eq!(action.param("DialCallDuration"), Some("2"));
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
    assert_eq!(w.calls().len(), 2, "no grandchild was dialed");
}

#[test]
fn any_other_verb_makes_the_whisper_unusable() {
    let w = run(
        r#"<Response><Pause length="3"/><Say>Hi</Say><Redirect>/elsewhere</Redirect></Response>"#,
    );
    let n: Vec<(u32, &str)> = w
        .notifications()
        .iter()
        .map(|n| (n.code.0, n.message.as_str()))
        .collect();
    assert_eq!(
        n,
        vec![
            (
                12200,
                "1:11: <Pause> is not allowed in a whisper document (only <Play>, <Say>, <Gather> and <Hangup> are)"
            ),
            (
                12200,
                "1:43: <Redirect> is not allowed in a whisper document (only <Play>, <Say>, <Gather> and <Hangup> are)"
            ),
        ]
    );
    assert!(w.notifications().iter().all(|n| n.level == Level::Error));
    // The document cannot run: the agent hears the application error, nobody is bridged.
    assert_eq!(child_media(&w), vec!["ApplicationError"]);
    assert!(!bridged(&w));
    let action = w.webhooks().last().unwrap();
    assert_eq!(action.param("DialCallStatus"), Some("completed"));
    assert_eq!(action.param("DialBridged"), Some("false"));
}
