//! Contents and their approval requests: account-scoped, JSON kept exactly, one approval per
//! content (deleted with it), status changes, paging, and a reopen keeps everything.

use dialtone_store::{
    Approval, ApprovalUpdate, NewContent, PageRequest, PageSize, PageStart, StoreError,
};
use dialtone_types::{Sid, SidKind};
use serde_json::json;

use crate::common::{ACCOUNT, Harness, OTHER, at, backend_tests, open_with_accounts};

fn hx(n: u128) -> Sid {
    Sid::new(SidKind::Content, n)
}

fn new(name: &str) -> NewContent {
    NewContent {
        friendly_name: Some(name.to_owned()),
        language: "en".to_owned(),
        variables: json!({"1": "ON-12853"}),
        types: json!({"twilio/call-to-action": {
            "body": "May we call you about order {{1}}?",
            "actions": [{"type": "VOICE_CALL_REQUEST", "title": "Call Request"}]}}),
    }
}

fn approval(now: u64) -> Approval {
    Approval {
        name: "call_permission".to_owned(),
        category: "UTILITY".to_owned(),
        content_type: "twilio/call-to-action".to_owned(),
        status: "received".to_owned(),
        rejection_reason: String::new(),
        send_ttl_seconds: Some(600),
        template_id: None,
        decide_at: Some(at(now + 5)),
        verdict: Some("approved".to_owned()),
        date_created: at(now),
        date_updated: at(now),
    }
}

async fn create_fetch_delete(h: &Harness) {
    let store = open_with_accounts(h).await;
    let c = store
        .create_content(ACCOUNT, hx(1), &new("cpr"), at(1))
        .await
        .unwrap();
    assert_eq!(c.sid, hx(1));
    assert_eq!(c.account_sid, ACCOUNT);
    assert_eq!(c.friendly_name.as_deref(), Some("cpr"));
    assert_eq!(c.language, "en");
    assert_eq!(c.variables, new("cpr").variables);
    assert_eq!(c.types, new("cpr").types);
    assert_eq!(c.approval, None);
    assert_eq!((c.date_created, c.date_updated), (at(1), at(1)));
    assert_eq!(store.fetch_content(ACCOUNT, hx(1)).await.unwrap(), c);

    assert!(matches!(
        store.fetch_content(OTHER, hx(1)).await,
        Err(StoreError::NotFound("content"))
    ));
    assert!(matches!(
        store.delete_content(OTHER, hx(1)).await,
        Err(StoreError::NotFound("content"))
    ));
    assert!(matches!(
        store
            .create_content(ACCOUNT, hx(1), &new("again"), at(2))
            .await,
        Err(StoreError::Conflict(_))
    ));
    store.delete_content(ACCOUNT, hx(1)).await.unwrap();
    assert!(matches!(
        store.fetch_content(ACCOUNT, hx(1)).await,
        Err(StoreError::NotFound("content"))
    ));
}

async fn approvals(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .create_content(ACCOUNT, hx(1), &new("cpr"), at(1))
        .await
        .unwrap();
    // Another account cannot submit it.
    assert!(matches!(
        store.create_approval(OTHER, hx(1), &approval(2)).await,
        Err(StoreError::NotFound("content"))
    ));
    let c = store
        .create_approval(ACCOUNT, hx(1), &approval(2))
        .await
        .unwrap();
    assert_eq!(c.approval, Some(approval(2)));
    assert!(matches!(
        store.create_approval(ACCOUNT, hx(1), &approval(3)).await,
        Err(StoreError::Conflict(_))
    ));
    let update = ApprovalUpdate {
        status: "rejected".to_owned(),
        rejection_reason: "INVALID_FORMAT".to_owned(),
    };
    assert!(matches!(
        store.update_approval(OTHER, hx(1), &update, at(7)).await,
        Err(StoreError::NotFound("approval"))
    ));
    let c = store
        .update_approval(ACCOUNT, hx(1), &update, at(7))
        .await
        .unwrap();
    let a = c.approval.unwrap();
    assert_eq!(a.status, "rejected");
    assert_eq!(a.rejection_reason, "INVALID_FORMAT");
    assert_eq!((a.date_created, a.date_updated), (at(2), at(7)));

    // Replacing the content keeps its approval; deleting it removes the approval too.
    let mut changed = new("renamed");
    changed.variables = json!({});
    let c = store
        .update_content(ACCOUNT, hx(1), &changed, at(8))
        .await
        .unwrap();
    assert_eq!(c.friendly_name.as_deref(), Some("renamed"));
    assert_eq!(c.variables, json!({}));
    assert_eq!(c.date_updated, at(8));
    assert!(c.approval.is_some());
    store.delete_content(ACCOUNT, hx(1)).await.unwrap();
    store
        .create_content(ACCOUNT, hx(1), &new("new"), at(9))
        .await
        .unwrap();
    assert_eq!(
        store.fetch_content(ACCOUNT, hx(1)).await.unwrap().approval,
        None
    );
}

async fn list_pages_and_reopen(h: &Harness) {
    let store = open_with_accounts(h).await;
    for n in 1..=3u64 {
        store
            .create_content(ACCOUNT, hx(n.into()), &new(&format!("c{n}")), at(n))
            .await
            .unwrap();
    }
    store
        .create_content(OTHER, hx(9), &new("other"), at(1))
        .await
        .unwrap();
    store
        .create_approval(ACCOUNT, hx(2), &approval(5))
        .await
        .unwrap();
    let size = PageSize::new(2).unwrap();
    let first = store
        .list_contents(ACCOUNT, &PageRequest::first(size))
        .await
        .unwrap();
    let sids: Vec<Sid> = first.items.iter().map(|c| c.sid).collect();
    assert_eq!(sids, [hx(1), hx(2)]);
    assert_eq!(first.items[1].approval, Some(approval(5)));
    let next = PageRequest {
        size,
        start: PageStart::After(first.next.unwrap()),
    };
    let second = store.list_contents(ACCOUNT, &next).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].sid, hx(3));
    assert_eq!(second.next, None);

    store.close().await;
    let store = h.open().await;
    let c = store.fetch_content(ACCOUNT, hx(2)).await.unwrap();
    assert_eq!(c.types, new("c2").types);
    assert_eq!(c.approval, Some(approval(5)));
}

async fn nul_text_is_refused(h: &Harness) {
    let store = open_with_accounts(h).await;
    let mut bad = new("x");
    bad.friendly_name = Some("a\0b".to_owned());
    assert!(matches!(
        store.create_content(ACCOUNT, hx(1), &bad, at(1)).await,
        Err(StoreError::InvalidText("friendly_name"))
    ));
    // NUL inside the JSON is escaped, so it is kept.
    let mut json_nul = new("x");
    json_nul.variables = json!({"1": "a\0b"});
    let c = store
        .create_content(ACCOUNT, hx(2), &json_nul, at(1))
        .await
        .unwrap();
    assert_eq!(c.variables, json!({"1": "a\0b"}));
}

backend_tests!(
    create_fetch_delete,
    approvals,
    list_pages_and_reopen,
    nul_text_is_refused
);
