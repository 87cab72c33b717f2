-- WhatsApp senders (`XE...`, Twilio's /v2/Channels/Senders). A sender with a voice application
-- is voice-enabled: `<Dial><WhatsApp>` may use it as its callerId. Keep in step with ../sqlite.

CREATE TABLE senders (
    sid                   TEXT    NOT NULL PRIMARY KEY,
    account_sid           TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    sender_id             TEXT    NOT NULL,
    friendly_name         TEXT,
    status                TEXT    NOT NULL,
    waba_id               TEXT,
    voice_application_sid TEXT,
    phone_number_id       TEXT    NOT NULL,
    date_created          BIGINT  NOT NULL,
    date_updated          BIGINT  NOT NULL,
    UNIQUE (account_sid, sender_id)
);
CREATE INDEX senders_by_account ON senders (account_sid, date_created, sid);
