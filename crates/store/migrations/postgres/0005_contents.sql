-- Content API resources (`HX...`, Twilio's /v1/Content) and their WhatsApp approval requests.
-- `variables` and `types` hold the JSON objects as created. An approval row exists once the
-- content was submitted for WhatsApp approval; `decide_at`/`verdict` are the simulator's
-- decision (shown from that time on), `template_id` Meta's id of the template.
-- Keep in step with ../sqlite.

CREATE TABLE contents (
    sid           TEXT    NOT NULL PRIMARY KEY,
    account_sid   TEXT    NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    friendly_name TEXT,
    language      TEXT    NOT NULL,
    variables     TEXT    NOT NULL,
    types         TEXT    NOT NULL,
    date_created  BIGINT  NOT NULL,
    date_updated  BIGINT  NOT NULL
);
CREATE INDEX contents_by_account ON contents (account_sid, date_created, sid);

CREATE TABLE content_approvals (
    content_sid      TEXT    NOT NULL PRIMARY KEY REFERENCES contents (sid) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    category         TEXT    NOT NULL,
    content_type     TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    rejection_reason TEXT    NOT NULL,
    send_ttl_seconds BIGINT,
    template_id      TEXT,
    decide_at        BIGINT,
    verdict          TEXT,
    date_created     BIGINT  NOT NULL,
    date_updated     BIGINT  NOT NULL
);
