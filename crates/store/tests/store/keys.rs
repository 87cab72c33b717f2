//! API keys: secrets kept as digests (and sealed with the store's secret key), scoped to their
//! account.

use dialtone_store::{PageRequest, PageSize, SecretKey, StoreError};
use dialtone_types::{Sid, SidKind};

use crate::common::{ACCOUNT, Harness, OTHER, at, backend_tests, open_with_accounts};

fn key_sid(n: u128) -> Sid {
    Sid::new(SidKind::ApiKey, n)
}

async fn create_fetch_verify(h: &Harness) {
    let store = open_with_accounts(h).await;
    let key = store
        .create_key(ACCOUNT, key_sid(1), "ci", "s3cret-s3cret", at(1))
        .await
        .unwrap();
    assert_eq!(key.sid, key_sid(1));
    assert_eq!(key.account_sid, ACCOUNT);
    assert_eq!(key.friendly_name, "ci");
    assert_eq!(key.date_created, at(1));
    assert_eq!(key.date_updated, at(1));

    let found = store.fetch_key(ACCOUNT, key_sid(1)).await.unwrap();
    assert_eq!(found, key);
    assert!(found.verify_secret("s3cret-s3cret"));
    assert!(!found.verify_secret("s3cret-s3creT"));

    // Another account's key is not found.
    assert!(matches!(
        store.fetch_key(OTHER, key_sid(1)).await,
        Err(StoreError::NotFound("key"))
    ));
    // Same SID twice: conflict.
    assert!(matches!(
        store.create_key(ACCOUNT, key_sid(1), "x", "y", at(2)).await,
        Err(StoreError::Conflict(_))
    ));
    // Unknown account.
    assert!(matches!(
        store
            .create_key(
                Sid::new(SidKind::Account, 0xdead),
                key_sid(2),
                "x",
                "y",
                at(2)
            )
            .await,
        Err(StoreError::NotFound("account"))
    ));
}

async fn update_list_delete(h: &Harness) {
    let store = open_with_accounts(h).await;
    for n in 1..=3u64 {
        store
            .create_key(
                ACCOUNT,
                key_sid(u128::from(n)),
                &format!("k{n}"),
                "secret",
                at(n),
            )
            .await
            .unwrap();
    }
    store
        .create_key(OTHER, key_sid(9), "other", "secret", at(1))
        .await
        .unwrap();

    let renamed = store
        .update_key(ACCOUNT, key_sid(2), "renamed", at(10))
        .await
        .unwrap();
    assert_eq!(renamed.friendly_name, "renamed");
    assert_eq!(renamed.date_created, at(2));
    assert_eq!(renamed.date_updated, at(10));
    assert!(matches!(
        store.update_key(OTHER, key_sid(2), "x", at(11)).await,
        Err(StoreError::NotFound("key"))
    ));

    let size = PageSize::new(2).unwrap();
    let first = store
        .list_keys(ACCOUNT, &PageRequest::first(size))
        .await
        .unwrap();
    let names: Vec<_> = first
        .items
        .iter()
        .map(|k| k.friendly_name.as_str())
        .collect();
    assert_eq!(names, ["k1", "renamed"]);
    let token = first.next.expect("a second page");
    let second = store
        .list_keys(ACCOUNT, &PageRequest::after(size, token))
        .await
        .unwrap();
    let names: Vec<_> = second
        .items
        .iter()
        .map(|k| k.friendly_name.as_str())
        .collect();
    assert_eq!(names, ["k3"]);
    assert_eq!(second.next, None);

    store.delete_key(ACCOUNT, key_sid(1)).await.unwrap();
    assert!(matches!(
        store.delete_key(ACCOUNT, key_sid(1)).await,
        Err(StoreError::NotFound("key"))
    ));
    assert!(matches!(
        store.delete_key(ACCOUNT, key_sid(9)).await,
        Err(StoreError::NotFound("key"))
    ));
    assert!(store.fetch_key(OTHER, key_sid(9)).await.is_ok());
    let left = store
        .list_keys(ACCOUNT, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(left.items.len(), 2);
    assert_eq!(left.next, None);
}

async fn secrets_are_sealed_with_the_secret_key(h: &Harness) {
    let key = SecretKey::new([42; 32]);
    let store = open_with_accounts(h).await.with_secret_key(key.clone());
    let created = store
        .create_key(ACCOUNT, key_sid(1), "sdk", "voice-s3cret", at(1))
        .await
        .unwrap();
    assert_eq!(
        store.key_secret(&created).unwrap().as_deref(),
        Some("voice-s3cret")
    );
    let fetched = store.fetch_key(ACCOUNT, key_sid(1)).await.unwrap();
    assert_eq!(
        store.key_secret(&fetched).unwrap().as_deref(),
        Some("voice-s3cret")
    );
    // Basic auth still checks the digest.
    assert!(fetched.verify_secret("voice-s3cret"));
    // The secret is not in the row in clear (the Debug of the key holds the sealed value).
    assert!(!format!("{fetched:?}").contains("voice-s3cret"));
    // Another secret key cannot open it.
    let other = h.open().await.with_secret_key(SecretKey::new([1; 32]));
    let fetched = other.fetch_key(ACCOUNT, key_sid(1)).await.unwrap();
    assert!(matches!(
        other.key_secret(&fetched),
        Err(StoreError::Sealed(_))
    ));
    // A store without a secret key keeps only the digest.
    let plain = h.open().await;
    let unsealed = plain
        .create_key(ACCOUNT, key_sid(2), "old", "other-s3cret", at(2))
        .await
        .unwrap();
    assert_eq!(plain.key_secret(&unsealed).unwrap(), None);
    assert_eq!(store.key_secret(&unsealed).unwrap(), None);
}

backend_tests!(
    create_fetch_verify,
    update_list_delete,
    secrets_are_sealed_with_the_secret_key
);
