//! Permission cache: refusals, grants, limits, expiry, bounds.

use dialtone_types::{TwilioCode, UnixMillis};

use super::*;
use crate::error::{Failure, GraphError, GraphFailure};
use crate::graph::CallPermissionsResponse;
use crate::webhook::PermissionReply;

const T0: UnixMillis = UnixMillis(1_760_682_000_000);

fn at(secs: u64) -> UnixMillis {
    T0.plus_millis(secs * 1000)
}

const PNID: &str = "106540352242922";
const USER: &str = "5511987654321";

fn no_permission_failure() -> Failure {
    GraphFailure::Graph {
        status: 401,
        error: GraphError {
            code: Some(138_006),
            ..GraphError::default()
        },
    }
    .classify()
}

fn permissions(body: &str) -> CallPermissionsResponse {
    serde_json::from_str(body).expect("valid")
}

#[test]
fn a_138006_is_remembered_for_the_ttl() {
    let mut cache = PermissionCache::new(60_000, 10);
    assert_eq!(cache.check(T0, PNID, USER), PermissionCheck::Unknown);
    cache.record_failure(T0, PNID, USER, &no_permission_failure());
    let PermissionCheck::Denied(failure) = cache.check(at(59), PNID, USER) else {
        panic!("expected denied");
    };
    assert_eq!(failure.code, TwilioCode::WHATSAPP_NO_PERMISSION);
    assert_eq!(failure.graph_code, Some(138_006));
    assert_eq!(
        failure.message,
        "WhatsApp user has not granted call permission"
    );
    assert_eq!(
        cache.check(at(59), "other-number", USER),
        PermissionCheck::Unknown
    );
    assert_eq!(cache.check(at(60), PNID, USER), PermissionCheck::Unknown);
    cache.record_failure(T0, PNID, USER, &GraphFailure::Timeout.classify());
    cache.purge(at(60));
    assert!(cache.is_empty());
}

#[test]
fn call_permissions_answers_set_the_state() {
    let mut cache = PermissionCache::default();
    let expiry = 1_760_682_000 + 3600;
    cache.record_permissions(
        T0,
        PNID,
        USER,
        &permissions(&format!(
            r#"{{"permission":{{"status":"temporary","expiration_time":{expiry}}}}}"#
        )),
    );
    assert_eq!(cache.check(at(3599), PNID, USER), PermissionCheck::Granted);
    // Meta said when it ends: after that the user is known to have none (for the refusal
    // TTL), so a dial fails at once instead of asking Meta.
    assert!(matches!(
        cache.check(at(3600), PNID, USER),
        PermissionCheck::Denied(_)
    ));
    assert_eq!(
        cache.check(at(3600 + 600), PNID, USER),
        PermissionCheck::Unknown
    );

    cache.record_permissions(
        T0,
        PNID,
        USER,
        &permissions(r#"{"permission":{"status":"permanent"}}"#),
    );
    assert_eq!(
        cache.check(at(86_400 * 30), PNID, USER),
        PermissionCheck::Granted
    );

    cache.record_permissions(
        T0,
        PNID,
        USER,
        &permissions(r#"{"permission":{"status":"no_permission"}}"#),
    );
    assert!(matches!(
        cache.check(at(1), PNID, USER),
        PermissionCheck::Denied(_)
    ));

    let limited = format!(
        r#"{{"permission":{{"status":"permanent"}},"actions":[{{"action_name":"start_call",
            "can_perform_action":false,"limits":[{{"time_period":"PT24H","max_allowed":100,
            "current_usage":100,"limit_expiration_time":{}}}]}}]}}"#,
        1_760_682_000 + 600
    );
    cache.record_permissions(T0, PNID, USER, &permissions(&limited));
    let PermissionCheck::LimitReached(failure) = cache.check(at(599), PNID, USER) else {
        panic!("expected limit");
    };
    assert_eq!(failure.code, TwilioCode::WHATSAPP_DAILY_LIMIT);
    assert_eq!(cache.check(at(600), PNID, USER), PermissionCheck::Unknown);

    cache.record_permissions(
        T0,
        PNID,
        USER,
        &permissions(r#"{"permission":{"status":"later"}}"#),
    );
    assert_eq!(cache.check(at(1), PNID, USER), PermissionCheck::Unknown);
    // An expiry already past reads as no permission.
    cache.record_permissions(
        at(10),
        PNID,
        USER,
        &permissions(r#"{"permission":{"status":"temporary","expiration":1760682005}}"#),
    );
    assert!(matches!(
        cache.check(at(11), PNID, USER),
        PermissionCheck::Denied(_)
    ));
}

#[test]
fn permission_replies_grant_and_refuse() {
    let mut cache = PermissionCache::default();
    cache.record_failure(T0, PNID, USER, &no_permission_failure());
    let mut reply = PermissionReply {
        from: USER.to_owned(),
        message_id: None,
        timestamp: Some(1_760_682_000),
        context_id: None,
        accepted: true,
        is_permanent: false,
        expiration_timestamp: None,
        response_source: Some("user_action".to_owned()),
    };
    cache.record_reply(at(1), PNID, &reply);
    assert_eq!(cache.check(at(2), PNID, USER), PermissionCheck::Granted);
    let seven_days = 7 * 86_400;
    assert_eq!(
        cache.check(at(seven_days - 1), PNID, USER),
        PermissionCheck::Granted
    );
    assert!(matches!(
        cache.check(at(seven_days), PNID, USER),
        PermissionCheck::Denied(_)
    ));
    assert_eq!(
        cache.check(at(seven_days + 600), PNID, USER),
        PermissionCheck::Unknown
    );
    reply.accepted = false;
    cache.record_reply(at(3), PNID, &reply);
    assert!(matches!(
        cache.check(at(4), PNID, USER),
        PermissionCheck::Denied(_)
    ));
    reply.accepted = true;
    reply.is_permanent = true;
    cache.record_reply(at(5), PNID, &reply);
    assert_eq!(
        cache.check(at(seven_days * 10), PNID, USER),
        PermissionCheck::Granted
    );
    cache.forget(PNID, USER);
    assert_eq!(cache.check(at(6), PNID, USER), PermissionCheck::Unknown);

    // Stored answers loaded after a restart.
    cache.record_temporary(at(10), PNID, USER, at(20));
    assert_eq!(cache.check(at(19), PNID, USER), PermissionCheck::Granted);
    assert!(matches!(
        cache.check(at(20), PNID, USER),
        PermissionCheck::Denied(_)
    ));
    cache.record_permanent(at(30), PNID, USER);
    assert_eq!(
        cache.check(at(9_999_999), PNID, USER),
        PermissionCheck::Granted
    );
    cache.record_denied(at(40), PNID, USER, at(0));
    assert!(matches!(
        cache.check(at(41), PNID, USER),
        PermissionCheck::Denied(_)
    ));
    cache.forget(PNID, USER);
    cache.record_denied(at(700), PNID, USER, at(0));
    assert_eq!(cache.check(at(701), PNID, USER), PermissionCheck::Unknown);
}

#[test]
fn placed_calls_count_as_granted_and_the_cache_is_bounded() {
    let mut cache = PermissionCache::new(60_000, 2);
    cache.record_placed(T0, PNID, "1");
    assert_eq!(cache.check(at(1), PNID, "1"), PermissionCheck::Granted);
    cache.record_permissions(
        T0,
        PNID,
        "2",
        &permissions(r#"{"permission":{"status":"permanent"}}"#),
    );
    cache.record_failure(T0, PNID, "3", &no_permission_failure());
    assert_eq!(cache.len(), 2);
    // The entry expiring first ("1", a placed-call grant) made room.
    assert_eq!(cache.check(at(1), PNID, "1"), PermissionCheck::Unknown);
    assert_eq!(cache.check(at(1), PNID, "2"), PermissionCheck::Granted);
    assert!(matches!(
        cache.check(at(1), PNID, "3"),
        PermissionCheck::Denied(_)
    ));
}
