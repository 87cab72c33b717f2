//! WhatsApp senders: account-scoped, one `sender_id` per account, voice-enabled ones listed.

use dialtone_store::{NewSender, PageRequest, PageSize, SenderUpdate, StoreError};
use dialtone_types::{Sid, SidKind};

use crate::common::{ACCOUNT, Harness, OTHER, at, backend_tests, open_with_accounts};

fn xe(n: u128) -> Sid {
    Sid::new(SidKind::Sender, n)
}

fn app(n: u128) -> Sid {
    Sid::new(SidKind::Application, n)
}

fn new(number: &str, voice: Option<Sid>) -> NewSender {
    NewSender {
        sender_id: format!("whatsapp:{number}"),
        friendly_name: None,
        status: "ONLINE".to_owned(),
        waba_id: Some("1234".to_owned()),
        voice_application_sid: voice,
        phone_number_id: "1001".to_owned(),
        webhook: dialtone_store::SenderWebhook::default(),
    }
}

async fn create_fetch_conflicts(h: &Harness) {
    let store = open_with_accounts(h).await;
    let s = store
        .create_sender(ACCOUNT, xe(1), &new("+15550001111", Some(app(7))), at(1))
        .await
        .unwrap();
    assert_eq!(s.sid, xe(1));
    assert_eq!(s.account_sid, ACCOUNT);
    assert_eq!(s.sender_id, "whatsapp:+15550001111");
    assert_eq!(s.friendly_name, None);
    assert_eq!(s.status, "ONLINE");
    assert_eq!(s.waba_id.as_deref(), Some("1234"));
    assert_eq!(s.voice_application_sid, Some(app(7)));
    assert_eq!(s.phone_number_id, "1001");
    assert_eq!(s.date_created, at(1));
    assert_eq!(s.date_updated, at(1));
    assert_eq!(store.fetch_sender(ACCOUNT, xe(1)).await.unwrap(), s);

    assert!(matches!(
        store.fetch_sender(OTHER, xe(1)).await,
        Err(StoreError::NotFound("sender"))
    ));
    // The same number twice in one account: conflict; in another account: fine.
    assert!(matches!(
        store
            .create_sender(ACCOUNT, xe(2), &new("+15550001111", None), at(2))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let other = store
        .create_sender(OTHER, xe(3), &new("+15550001111", None), at(2))
        .await
        .unwrap();
    assert_eq!(other.account_sid, OTHER);
    assert!(matches!(
        store
            .create_sender(
                Sid::new(SidKind::Account, 0xdead),
                xe(4),
                &new("+15550002222", None),
                at(2)
            )
            .await,
        Err(StoreError::NotFound("account"))
    ));
}

async fn update_list_voice_delete(h: &Harness) {
    let store = open_with_accounts(h).await;
    for (n, number, voice) in [
        (1, "+15550000001", Some(app(1))),
        (2, "+15550000002", None),
        (3, "+15550000003", Some(app(3))),
    ] {
        store
            .create_sender(
                ACCOUNT,
                xe(n),
                &new(number, voice),
                at(u64::try_from(n).unwrap()),
            )
            .await
            .unwrap();
    }
    store
        .create_sender(OTHER, xe(9), &new("+15550000009", Some(app(9))), at(9))
        .await
        .unwrap();

    let page = store
        .list_senders(
            ACCOUNT,
            &PageRequest {
                size: PageSize::new(2).unwrap(),
                ..PageRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|s| s.sid).collect::<Vec<_>>(),
        [xe(1), xe(2)]
    );
    assert!(page.next.is_some());

    let voice =
        |list: Vec<dialtone_store::Sender>| list.into_iter().map(|s| s.sid).collect::<Vec<_>>();
    assert_eq!(
        voice(store.voice_senders(Some(ACCOUNT)).await.unwrap()),
        [xe(1), xe(3)]
    );
    assert_eq!(
        voice(store.voice_senders(None).await.unwrap()),
        [xe(1), xe(3), xe(9)]
    );

    // Enable 2, disable 1, rename 3; untouched fields keep their values.
    let two = store
        .update_sender(
            ACCOUNT,
            xe(2),
            &SenderUpdate {
                voice_application_sid: Some(Some(app(2))),
                friendly_name: Some(Some("Support".to_owned())),
                ..SenderUpdate::default()
            },
            at(20),
        )
        .await
        .unwrap();
    assert_eq!(two.voice_application_sid, Some(app(2)));
    assert_eq!(two.friendly_name.as_deref(), Some("Support"));
    assert_eq!(two.waba_id.as_deref(), Some("1234"));
    assert_eq!(two.phone_number_id, "1001");
    assert_eq!(two.date_created, at(2));
    assert_eq!(two.date_updated, at(20));
    let one = store
        .update_sender(
            ACCOUNT,
            xe(1),
            &SenderUpdate {
                voice_application_sid: Some(None),
                waba_id: Some(None),
                phone_number_id: Some("77".to_owned()),
                ..SenderUpdate::default()
            },
            at(21),
        )
        .await
        .unwrap();
    assert_eq!(one.voice_application_sid, None);
    assert_eq!(one.waba_id, None);
    assert_eq!(one.phone_number_id, "77");
    assert_eq!(
        voice(store.voice_senders(Some(ACCOUNT)).await.unwrap()),
        [xe(2), xe(3)]
    );

    assert!(matches!(
        store
            .update_sender(OTHER, xe(1), &SenderUpdate::default(), at(22))
            .await,
        Err(StoreError::NotFound("sender"))
    ));
    assert!(matches!(
        store.delete_sender(OTHER, xe(1)).await,
        Err(StoreError::NotFound("sender"))
    ));
    store.delete_sender(ACCOUNT, xe(1)).await.unwrap();
    assert!(matches!(
        store.fetch_sender(ACCOUNT, xe(1)).await,
        Err(StoreError::NotFound("sender"))
    ));
    assert_eq!(
        voice(store.voice_senders(None).await.unwrap()),
        [xe(2), xe(3), xe(9)]
    );
}

async fn lookups(h: &Harness) {
    let store = open_with_accounts(h).await;
    let first = NewSender {
        phone_number_id: "2002".to_owned(),
        ..new("+15550001111", Some(app(7)))
    };
    let s = store
        .create_sender(ACCOUNT, xe(1), &first, at(1))
        .await
        .unwrap();
    store
        .create_sender(OTHER, xe(2), &new("+15550002222", None), at(2))
        .await
        .unwrap();
    assert_eq!(
        store.sender_by_phone_number_id("2002").await.unwrap(),
        Some(s.clone())
    );
    assert_eq!(
        store
            .sender_by_phone_number_id("1001")
            .await
            .unwrap()
            .map(|s| s.sid),
        Some(xe(2))
    );
    assert_eq!(store.sender_by_phone_number_id("9").await.unwrap(), None);
    assert_eq!(
        store
            .sender_by_id(ACCOUNT, "whatsapp:+15550001111")
            .await
            .unwrap(),
        Some(s)
    );
    // Scoped to the account.
    assert_eq!(
        store
            .sender_by_id(OTHER, "whatsapp:+15550001111")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.sender_by_phone_number_id("a\0b").await,
        Err(StoreError::InvalidText("phone_number_id"))
    ));
}

async fn deleting_the_application_detaches_senders(h: &Harness) {
    let store = open_with_accounts(h).await;
    let app_sid = store
        .create_application(ACCOUNT, &crate::applications::new_app(7, "voice"), at(1))
        .await
        .unwrap()
        .sid;
    store
        .create_sender(ACCOUNT, xe(1), &new("+15550001111", Some(app_sid)), at(2))
        .await
        .unwrap();
    store
        .delete_application(ACCOUNT, app_sid, at(9))
        .await
        .unwrap();
    let s = store.fetch_sender(ACCOUNT, xe(1)).await.unwrap();
    assert_eq!(s.voice_application_sid, None);
    assert_eq!(s.date_updated, at(9));
    assert!(store.voice_senders(Some(ACCOUNT)).await.unwrap().is_empty());
}

backend_tests!(
    create_fetch_conflicts,
    update_list_voice_delete,
    lookups,
    deleting_the_application_detaches_senders
);
