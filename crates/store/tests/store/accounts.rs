//! Accounts: bootstrap, token replacement, lookup.

use dialtone_store::{BackendKind, StoreError};

use crate::common::{ACCOUNT, Harness, OTHER, TOKEN, at, backend_tests};

async fn ensure_account_creates_then_keeps(h: &Harness) {
    let store = h.open().await;
    assert_eq!(
        store.backend(),
        match h {
            Harness::Sqlite { .. } => BackendKind::Sqlite,
            Harness::Postgres { .. } => BackendKind::Postgres,
        }
    );
    let created = store.ensure_account(ACCOUNT, TOKEN, at(1)).await.unwrap();
    assert_eq!(created.sid, ACCOUNT);
    assert_eq!(created.auth_token, TOKEN);
    assert_eq!(created.friendly_name, "My first Twilio account");
    assert_eq!(created.status, "active");
    assert_eq!(created.date_created, at(1));
    assert_eq!(created.date_updated, at(1));

    // Same token later: nothing changes.
    let again = store.ensure_account(ACCOUNT, TOKEN, at(5)).await.unwrap();
    assert_eq!(again, created);

    // Another token: configuration wins, date_updated moves.
    let token2 = "ffffffffffffffffffffffffffffffff";
    let changed = store.ensure_account(ACCOUNT, token2, at(9)).await.unwrap();
    assert_eq!(changed.auth_token, token2);
    assert_eq!(changed.date_created, at(1));
    assert_eq!(changed.date_updated, at(9));
    assert_eq!(store.fetch_account(ACCOUNT).await.unwrap(), changed);
}

async fn fetch_and_list_accounts(h: &Harness) {
    let store = h.open().await;
    assert!(matches!(
        store.fetch_account(ACCOUNT).await,
        Err(StoreError::NotFound("account"))
    ));
    assert_eq!(store.list_accounts().await.unwrap(), vec![]);
    store.ensure_account(OTHER, TOKEN, at(2)).await.unwrap();
    store.ensure_account(ACCOUNT, TOKEN, at(3)).await.unwrap();
    let sids: Vec<_> = store
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.sid)
        .collect();
    assert_eq!(sids, vec![OTHER, ACCOUNT]);
}

async fn reopening_keeps_data(h: &Harness) {
    let store = h.open().await;
    store.ensure_account(ACCOUNT, TOKEN, at(1)).await.unwrap();
    store.close().await;
    drop(store);
    // Migrations run again at start-up and find nothing to do.
    let store = h.open().await;
    assert_eq!(
        store.fetch_account(ACCOUNT).await.unwrap().auth_token,
        TOKEN
    );
}

backend_tests!(
    ensure_account_creates_then_keeps,
    fetch_and_list_accounts,
    reopening_keeps_data,
);
