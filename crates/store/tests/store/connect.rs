//! Opening a store from a URL: the forms `dialtone serve --database-url` accepts.

use std::time::{Duration, Instant};

use dialtone_store::{BackendKind, Store, StoreError};

use crate::common::{ACCOUNT, TOKEN, at};

#[tokio::test]
async fn memory_stores_are_private() {
    let a = Store::connect("sqlite::memory:").await.unwrap();
    let b = Store::connect("sqlite::memory:").await.unwrap();
    assert_eq!(a.backend(), BackendKind::Sqlite);
    a.ensure_account(ACCOUNT, TOKEN, at(0)).await.unwrap();
    assert_eq!(a.list_accounts().await.unwrap().len(), 1);
    assert!(b.list_accounts().await.unwrap().is_empty());
}

#[tokio::test]
async fn file_url_creates_directories_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b").join("db.sqlite");
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url).await.unwrap();
    store.ensure_account(ACCOUNT, TOKEN, at(0)).await.unwrap();
    store.close().await;
    assert!(path.is_file());
    // The file is in WAL mode: the setting is persistent, so a plain reopen sees it.
    let reopened = Store::connect(&url).await.unwrap();
    assert_eq!(reopened.list_accounts().await.unwrap().len(), 1);
    assert!(path.with_extension("sqlite-wal").exists());
}

#[tokio::test]
async fn unknown_schemes_are_refused() {
    for url in ["mysql://localhost/db", "", "dialtone.db", "http://x"] {
        assert!(
            matches!(Store::connect(url).await, Err(StoreError::InvalidUrl(_))),
            "{url:?}"
        );
    }
}

#[tokio::test]
async fn unreachable_postgres_fails_promptly() {
    // Port 9 on loopback: nothing listens there.
    let started = Instant::now();
    let result = Store::connect("postgres://nobody@127.0.0.1:9/none").await;
    assert!(
        matches!(
            result,
            Err(StoreError::Backend {
                context: "connect to PostgreSQL",
                ..
            })
        ),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}
