-- Every status a call took, in order, with the time it took it: the console's timeline.
-- Written by triggers, so no writer can change a call's status without the change being
-- recorded, and the record is part of the same statement (and transaction) as the change.
-- Calls that existed before this migration start with their current status.
-- Keep in step with ../postgres.

CREATE TABLE call_transitions (
    id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    call_sid TEXT    NOT NULL REFERENCES calls (sid) ON DELETE CASCADE,
    status   TEXT    NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX call_transitions_by_call ON call_transitions (call_sid, id);

INSERT INTO call_transitions (call_sid, status, at)
    SELECT sid, status, date_updated FROM calls ORDER BY date_created, sid;

CREATE TRIGGER calls_record_first_status AFTER INSERT ON calls
BEGIN
    INSERT INTO call_transitions (call_sid, status, at)
        VALUES (NEW.sid, NEW.status, NEW.date_created);
END;

CREATE TRIGGER calls_record_status_change AFTER UPDATE OF status ON calls
    WHEN OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO call_transitions (call_sid, status, at)
        VALUES (NEW.sid, NEW.status, NEW.date_updated);
END;
