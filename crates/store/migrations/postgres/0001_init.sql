-- Dialtone schema, PostgreSQL flavour. Times are BIGINT milliseconds since the Unix epoch (UTC);
-- SIDs, statuses and methods are TEXT as Twilio spells them. Keep in step with ../sqlite.

CREATE TABLE accounts (
    sid           TEXT    NOT NULL PRIMARY KEY,
    auth_token    TEXT    NOT NULL,
    friendly_name TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    date_created  BIGINT  NOT NULL,
    date_updated  BIGINT  NOT NULL
);

CREATE TABLE api_keys (
    sid           TEXT    NOT NULL PRIMARY KEY,
    account_sid   TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    friendly_name TEXT    NOT NULL,
    secret_sha256 TEXT    NOT NULL,
    date_created  BIGINT  NOT NULL,
    date_updated  BIGINT  NOT NULL
);
CREATE INDEX api_keys_by_account ON api_keys (account_sid, date_created, sid);

CREATE TABLE applications (
    sid                    TEXT    NOT NULL PRIMARY KEY,
    account_sid            TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    friendly_name          TEXT    NOT NULL,
    voice_url              TEXT,
    voice_method           TEXT    NOT NULL,
    voice_fallback_url     TEXT,
    voice_fallback_method  TEXT    NOT NULL,
    status_callback        TEXT,
    status_callback_method TEXT    NOT NULL,
    date_created           BIGINT  NOT NULL,
    date_updated           BIGINT  NOT NULL
);
CREATE INDEX applications_by_account ON applications (account_sid, date_created, sid);

CREATE TABLE calls (
    sid                    TEXT    NOT NULL PRIMARY KEY,
    account_sid            TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    parent_call_sid        TEXT,
    to_addr                TEXT    NOT NULL,
    from_addr              TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    direction              TEXT    NOT NULL,
    start_time             BIGINT,
    end_time               BIGINT,
    duration               BIGINT,
    answered_by            TEXT,
    caller_name            TEXT,
    forwarded_from         TEXT,
    price                  TEXT,
    price_unit             TEXT    NOT NULL,
    api_version            TEXT    NOT NULL,
    application_sid        TEXT,
    url                    TEXT,
    method                 TEXT    NOT NULL,
    twiml                  TEXT,
    fallback_url           TEXT,
    fallback_method        TEXT    NOT NULL,
    status_callback        TEXT,
    status_callback_method TEXT    NOT NULL,
    status_callback_events TEXT    NOT NULL,
    timeout_secs           BIGINT  NOT NULL,
    time_limit_secs        BIGINT,
    date_created           BIGINT  NOT NULL,
    date_updated           BIGINT  NOT NULL
);
CREATE INDEX calls_by_account ON calls (account_sid, date_created, sid);
CREATE INDEX calls_by_parent ON calls (parent_call_sid) WHERE parent_call_sid IS NOT NULL;
CREATE INDEX calls_live ON calls (date_created, sid)
    WHERE status IN ('queued', 'initiated', 'ringing', 'in-progress');

CREATE TABLE call_events (
    id                    BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_sid           TEXT    NOT NULL,
    call_sid              TEXT    NOT NULL REFERENCES calls (sid) ON DELETE CASCADE,
    request_method        TEXT    NOT NULL,
    request_url           TEXT    NOT NULL,
    request_parameters    TEXT    NOT NULL,
    response_status       BIGINT,
    response_duration_ms  BIGINT,
    response_content_type TEXT,
    response_body         TEXT,
    requested_at          BIGINT  NOT NULL
);
CREATE INDEX call_events_by_call ON call_events (call_sid, id);

CREATE TABLE notifications (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid            TEXT    NOT NULL UNIQUE,
    account_sid    TEXT    NOT NULL,
    call_sid       TEXT    NOT NULL REFERENCES calls (sid) ON DELETE CASCADE,
    error_code     BIGINT  NOT NULL,
    log_level      BIGINT  NOT NULL,
    message_text   TEXT    NOT NULL,
    request_url    TEXT,
    request_method TEXT,
    response_body  TEXT,
    date_created   BIGINT  NOT NULL
);
CREATE INDEX notifications_by_call ON notifications (call_sid, id);

-- Status callbacks owed. No foreign key to calls: deleting a call's record must not drop the
-- callbacks it still owes. `due_at` is when a pending item may be tried, or when the lease of
-- an in-flight item runs out (then another deliverer may take it over).
CREATE TABLE webhook_outbox (
    id                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_sid       TEXT    NOT NULL,
    call_sid          TEXT    NOT NULL,
    seq               BIGINT  NOT NULL,
    url               TEXT    NOT NULL,
    method            TEXT    NOT NULL,
    params            TEXT    NOT NULL,
    idempotency_token TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    attempts          BIGINT  NOT NULL,
    due_at            BIGINT  NOT NULL,
    last_error        TEXT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    UNIQUE (call_sid, seq)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (due_at, id)
    WHERE state IN ('pending', 'in_flight');
