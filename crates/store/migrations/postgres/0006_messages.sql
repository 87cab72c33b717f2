-- WhatsApp messages (`SM...`, Twilio's /Messages.json) and the call permissions users gave.
-- A message row is written before Meta is asked; `wamid` is Meta's id once it accepted the
-- message (status webhooks and replies find the row by it). `phone_number_id` is the business
-- number the message went out from. A permission row is the latest answer of user `user_wa_id`
-- (digits) to a request of business number `phone_number_id`: `temporary` until `expires_at`,
-- `permanent`, or `rejected`. Senders gain Twilio's `webhook` object (the messaging URL a
-- user's answer is posted to, and the default status callback of their messages).
-- Keep in step with ../sqlite.

CREATE TABLE messages (
    sid                    TEXT    NOT NULL PRIMARY KEY,
    account_sid            TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    direction              TEXT    NOT NULL,
    from_addr              TEXT    NOT NULL,
    to_addr                TEXT    NOT NULL,
    body                   TEXT    NOT NULL,
    content_sid            TEXT,
    status                 TEXT    NOT NULL,
    error_code             BIGINT,
    error_message          TEXT,
    wamid                  TEXT,
    phone_number_id        TEXT    NOT NULL,
    status_callback        TEXT,
    status_callback_method TEXT,
    replied_to_sid         TEXT,
    date_sent              BIGINT,
    date_created           BIGINT  NOT NULL,
    date_updated           BIGINT  NOT NULL
);
CREATE INDEX messages_by_account ON messages (account_sid, date_created, sid);
CREATE UNIQUE INDEX messages_by_wamid ON messages (wamid);

CREATE TABLE call_permissions (
    phone_number_id      TEXT    NOT NULL,
    user_wa_id           TEXT    NOT NULL,
    account_sid          TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    status               TEXT    NOT NULL,
    expires_at           BIGINT,
    response_source      TEXT,
    request_message_sid  TEXT,
    date_created         BIGINT  NOT NULL,
    date_updated         BIGINT  NOT NULL,
    PRIMARY KEY (phone_number_id, user_wa_id)
);
CREATE INDEX call_permissions_by_account ON call_permissions (account_sid, phone_number_id);

ALTER TABLE senders ADD COLUMN webhook_callback_url TEXT;
ALTER TABLE senders ADD COLUMN webhook_callback_method TEXT;
ALTER TABLE senders ADD COLUMN webhook_status_callback_url TEXT;
