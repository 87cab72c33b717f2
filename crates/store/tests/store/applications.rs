//! Applications: CRUD, clearing URLs, filters and paging, account scoping.

use dialtone_store::{
    ApplicationUpdate, NewApplication, PageRequest, PageSize, PageStart, StoreError,
};
use dialtone_types::{Sid, SidKind};

use crate::common::{ACCOUNT, Harness, OTHER, at, backend_tests, open_with_accounts};

fn app_sid(n: u128) -> Sid {
    Sid::new(SidKind::Application, n)
}

pub(crate) fn new_app(n: u128, name: &str) -> NewApplication {
    NewApplication {
        sid: app_sid(n),
        friendly_name: name.to_owned(),
        voice_url: Some("http://app/voice".to_owned()),
        voice_method: "POST".to_owned(),
        voice_fallback_url: Some(String::new()),
        voice_fallback_method: "POST".to_owned(),
        status_callback: None,
        status_callback_method: "GET".to_owned(),
    }
}

async fn create_fetch_update_delete(h: &Harness) {
    let store = open_with_accounts(h).await;
    let app = store
        .create_application(ACCOUNT, &new_app(1, "Support"), at(1))
        .await
        .unwrap();
    assert_eq!(app.sid, app_sid(1));
    assert_eq!(app.account_sid, ACCOUNT);
    assert_eq!(app.friendly_name, "Support");
    assert_eq!(app.voice_url.as_deref(), Some("http://app/voice"));
    assert_eq!(app.voice_method, "POST");
    // An empty URL is stored as none.
    assert_eq!(app.voice_fallback_url, None);
    assert_eq!(app.voice_fallback_method, "POST");
    assert_eq!(app.status_callback, None);
    assert_eq!(app.status_callback_method, "GET");
    assert_eq!(app.date_created, at(1));
    assert_eq!(app.date_updated, at(1));
    assert_eq!(
        store.fetch_application(ACCOUNT, app_sid(1)).await.unwrap(),
        app
    );
    assert!(matches!(
        store.fetch_application(OTHER, app_sid(1)).await,
        Err(StoreError::NotFound("application"))
    ));
    assert!(matches!(
        store
            .create_application(ACCOUNT, &new_app(1, "again"), at(2))
            .await,
        Err(StoreError::Conflict(_))
    ));

    let update = ApplicationUpdate {
        voice_url: Some(String::new()),
        voice_method: Some("GET".to_owned()),
        status_callback: Some("http://app/status".to_owned()),
        ..ApplicationUpdate::default()
    };
    let updated = store
        .update_application(ACCOUNT, app_sid(1), &update, at(5))
        .await
        .unwrap();
    assert_eq!(updated.friendly_name, "Support");
    assert_eq!(updated.voice_url, None);
    assert_eq!(updated.voice_method, "GET");
    assert_eq!(
        updated.status_callback.as_deref(),
        Some("http://app/status")
    );
    assert_eq!(updated.status_callback_method, "GET");
    assert_eq!(updated.date_created, at(1));
    assert_eq!(updated.date_updated, at(5));
    // An empty update changes only date_updated.
    let same = store
        .update_application(ACCOUNT, app_sid(1), &ApplicationUpdate::default(), at(6))
        .await
        .unwrap();
    assert_eq!(same.status_callback.as_deref(), Some("http://app/status"));
    assert_eq!(same.date_updated, at(6));
    assert!(matches!(
        store
            .update_application(OTHER, app_sid(1), &update, at(7))
            .await,
        Err(StoreError::NotFound("application"))
    ));

    assert!(matches!(
        store.delete_application(OTHER, app_sid(1), at(8)).await,
        Err(StoreError::NotFound("application"))
    ));
    store
        .delete_application(ACCOUNT, app_sid(1), at(8))
        .await
        .unwrap();
    assert!(matches!(
        store.fetch_application(ACCOUNT, app_sid(1)).await,
        Err(StoreError::NotFound("application"))
    ));
}

async fn list_filters_and_pages(h: &Harness) {
    let store = open_with_accounts(h).await;
    for (n, name) in [(1, "a"), (2, "b"), (3, "a"), (4, "a"), (5, "c")] {
        store
            .create_application(ACCOUNT, &new_app(n, name), at(u64::try_from(n).unwrap()))
            .await
            .unwrap();
    }
    store
        .create_application(OTHER, &new_app(9, "a"), at(1))
        .await
        .unwrap();
    let sids = |p: &dialtone_store::Page<dialtone_store::Application>| {
        p.items.iter().map(|a| a.sid).collect::<Vec<_>>()
    };

    let all = store
        .list_applications(ACCOUNT, None, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(sids(&all), (1..=5).map(app_sid).collect::<Vec<_>>());
    assert_eq!(all.next, None);

    let size = PageSize::new(2).unwrap();
    let p1 = store
        .list_applications(ACCOUNT, Some("a"), &PageRequest::first(size))
        .await
        .unwrap();
    assert_eq!(sids(&p1), [app_sid(1), app_sid(3)]);
    let p2 = store
        .list_applications(
            ACCOUNT,
            Some("a"),
            &PageRequest::after(size, p1.next.unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(sids(&p2), [app_sid(4)]);
    assert_eq!(p2.next, None);

    // Page=2 without a token: an offset.
    let offset = store
        .list_applications(
            ACCOUNT,
            None,
            &PageRequest {
                size,
                start: PageStart::Offset(4),
            },
        )
        .await
        .unwrap();
    assert_eq!(sids(&offset), [app_sid(5)]);

    let none = store
        .list_applications(ACCOUNT, Some("zzz"), &PageRequest::default())
        .await
        .unwrap();
    assert!(none.items.is_empty());
}

backend_tests!(create_fetch_update_delete, list_filters_and_pages);
