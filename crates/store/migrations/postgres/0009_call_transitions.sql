-- Every status a call took, in order, with the time it took it: the console's timeline.
-- Written by a trigger, so no writer can change a call's status without the change being
-- recorded, and the record is part of the same statement (and transaction) as the change.
-- Calls that existed before this migration start with their current status.
-- Keep in step with ../sqlite.

CREATE TABLE call_transitions (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_sid TEXT   NOT NULL REFERENCES calls (sid) ON DELETE CASCADE,
    status   TEXT   NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX call_transitions_by_call ON call_transitions (call_sid, id);

INSERT INTO call_transitions (call_sid, status, at)
    SELECT sid, status, date_updated FROM calls ORDER BY date_created, sid;

CREATE FUNCTION calls_record_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO call_transitions (call_sid, status, at)
            VALUES (NEW.sid, NEW.status, NEW.date_created);
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO call_transitions (call_sid, status, at)
            VALUES (NEW.sid, NEW.status, NEW.date_updated);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER calls_record_status AFTER INSERT OR UPDATE OF status ON calls
    FOR EACH ROW EXECUTE FUNCTION calls_record_status();
