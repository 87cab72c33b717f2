-- Recordings (`RE...`): `<Record>`, `<Dial record>` and REST-started recordings of a call.
-- No foreign key to calls: a recording outlives the call's record (Twilio keeps both apart).
-- `duration` is NULL until the file is finished; `media` names the file in the recording
-- store (NULL when there is none: in progress, absent). Keep in step with ../sqlite.

CREATE TABLE recordings (
    sid            TEXT    NOT NULL PRIMARY KEY,
    account_sid    TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    call_sid       TEXT    NOT NULL,
    conference_sid TEXT,
    status         TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    channels       BIGINT NOT NULL,
    track          TEXT    NOT NULL,
    duration       BIGINT,
    error_code     BIGINT,
    media          TEXT,
    start_time     BIGINT NOT NULL,
    date_created   BIGINT NOT NULL,
    date_updated   BIGINT NOT NULL
);
CREATE INDEX recordings_by_account ON recordings (account_sid, date_created, sid);
CREATE INDEX recordings_by_call ON recordings (call_sid, date_created, sid);
