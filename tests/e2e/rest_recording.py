"""A live call recorded over REST with twilio-python, through the real server.

WhatsApp user A (`Audio=tone:440`) calls the business number S, whose voice application
answers `<Say>` then `<Pause length="40"/>`. The script starts a recording with
`client.calls(sid).recordings.create(...)`, pauses it with
`recordings('Twilio.CURRENT').update(status='paused', pause_behavior='skip')`, resumes and
stops it, checks each response, the signed recording status callbacks (`in-progress`,
`completed`, `RecordingSource=StartCallRecordingAPI`), the resource (a duration shorter than
the call: the paused seconds are cut out), the errors (20001, 20404, 21220), and saves the
WAV into `$DIALTONE_HEARD_DIR/recording.wav`; the Rust test
(`crates/cli/tests/e2e_rest_recording.rs`) checks the 440 Hz tone with Goertzel.

Usage: `rest_recording.py` (run by `crates/cli/tests/e2e_rest_recording.rs`)."""

import os
import time

from dialtone_e2e import (
    ACCOUNT_SID,
    BASE_URL,
    App,
    check,
    check_rfc2822,
    client,
    eq,
    refused,
    run,
    wait_for,
    wait_terminal,
)
from dialtone_recording import media
from dialtone_whatsapp import sender_number, user_calls_business, user_number, voice_sender, whatsapp_user

HEARD_DIR = os.environ["DIALTONE_HEARD_DIR"]
# Seconds recorded before the pause, paused, and after it.
BEFORE, PAUSED, AFTER = 2.5, 3.0, 2.5


def main():
    c = client()
    sender, a = sender_number(), user_number()
    with App() as app:
        voice = app.route("/voice", '<Response><Say>Hello</Say><Pause length="40"/></Response>')
        rsc = app.url + "/rsc"
        application = c.applications.create(friendly_name="recorded line", voice_url=voice)
        voice_sender(c, sender, application.sid)
        whatsapp_user(a, Audio="tone:440")
        user_calls_business(a, sender)
        call_sid = app.wait_received("/voice", 1, timeout=15.0)[0].params["CallSid"]
        wait_for(
            lambda: c.calls(call_sid).fetch().status == "in-progress" or None,
            "the call answered",
            15.0,
        )
        refused(
            lambda: c.calls(call_sid).recordings.create(recording_channels="stereo"),
            400,
            20001,
            "RecordingChannels=stereo",
        )
        refused(
            lambda: c.calls(call_sid).recordings("Twilio.CURRENT").update(status="paused"),
            404,
            20404,
            "Twilio.CURRENT with no recording",
        )
        started_at = time.monotonic()
        rec = c.calls(call_sid).recordings.create(
            recording_status_callback=rsc,
            recording_status_callback_event=["in-progress completed"],
            recording_channels="mono",
            trim="do-not-trim",
        )
        check(rec.sid.startswith("RE") and len(rec.sid) == 34, f"recording SID {rec.sid}")
        eq(
            (rec.status, rec.source, rec.call_sid, rec.channels, rec.track, rec.duration),
            ("in-progress", "StartCallRecordingAPI", call_sid, 1, "both", None),
            "the created recording",
        )
        eq(rec.account_sid, ACCOUNT_SID, "account_sid")
        eq(rec.uri, f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call_sid}/Recordings/{rec.sid}.json", "uri")
        time.sleep(BEFORE)
        paused = c.calls(call_sid).recordings("Twilio.CURRENT").update(status="paused", pause_behavior="skip")
        eq((paused.sid, paused.status), (rec.sid, "paused"), "paused")
        eq(c.calls(call_sid).recordings(rec.sid).fetch().status, "paused", "fetched while paused")
        time.sleep(PAUSED)
        resumed = c.calls(call_sid).recordings("Twilio.CURRENT").update(status="in-progress")
        eq(resumed.status, "in-progress", "resumed")
        time.sleep(AFTER)
        stopped = c.calls(call_sid).recordings(rec.sid).update(status="stopped")
        eq(stopped.status, "stopped", "stopped")
        recorded_for = time.monotonic() - started_at

        callbacks = app.wait_received("/rsc", 2, timeout=15.0)
        eq(len(callbacks), 2, "recording status callbacks")
        url = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{rec.sid}"
        for cb, status in zip(callbacks, ["in-progress", "completed"]):
            p = cb.params
            names = ["AccountSid", "CallSid", "RecordingSid", "RecordingUrl", "RecordingStatus"]
            if status == "completed":
                names.append("RecordingDuration")
            names += ["RecordingChannels", "RecordingStartTime", "RecordingSource"]
            eq(sorted(p), sorted(names), f"{status} callback parameters")
            eq(cb.method, "POST", f"{status} callback method")
            eq(
                (p["AccountSid"], p["CallSid"], p["RecordingSid"], p["RecordingStatus"]),
                (ACCOUNT_SID, call_sid, rec.sid, status),
                f"{status} callback",
            )
            check(p["RecordingUrl"].endswith(url), f"RecordingUrl {p['RecordingUrl']}")
            eq((p["RecordingChannels"], p["RecordingSource"]), ("1", "StartCallRecordingAPI"), status)
            check_rfc2822(p["RecordingStartTime"], "RecordingStartTime")
        duration = int(callbacks[1].params["RecordingDuration"])
        # BEFORE + AFTER = 5 s recorded; the pause is not.
        check(4 <= duration <= 6, f"RecordingDuration {duration} (recorded for {recorded_for:.1f} s)")

        done = wait_for(
            lambda: (lambda r: r if r.status == "completed" else None)(c.recordings(rec.sid).fetch()),
            "the recording completed",
        )
        eq(done.duration, str(duration), "duration")
        eq(done.source, "StartCallRecordingAPI", "source")
        refused(
            lambda: c.calls(call_sid).recordings(rec.sid).update(status="paused"),
            400,
            21220,
            "updating a completed recording",
        )
        status, headers, wav = media(BASE_URL + url + ".wav")
        content_type = headers.get("content-type")
        eq((status, content_type), (200, "audio/x-wav"), "the WAV")
        with open(os.path.join(HEARD_DIR, "recording.wav"), "wb") as f:
            f.write(wav)

        c.calls(call_sid).update(status="completed")
        ended = wait_terminal(c, call_sid, timeout=15.0)
        # The call lasted the pause (3 s) longer than what was recorded, give or take rounding.
        check(int(ended.duration) >= duration + 2, f"call {ended.duration} s vs recording {duration} s")
        refused(
            lambda: c.calls(call_sid).recordings.create(),
            400,
            21220,
            "recording an ended call",
        )
        listed = c.calls(call_sid).recordings.list()
        eq([r.sid for r in listed], [rec.sid], "the call's recordings")


if __name__ == "__main__":
    run(main)
