"""A `<Record>` cut by a crash: `dialtone serve` is SIGKILLed while two recordings run, then
started again on the same data directory and port; nothing recorded may be lost.

- `long`: A plays `tone:700` into `<Record maxLength="60">`; about 3 s after its `in-progress`
  callback the script prints `KILL` and waits for `RESTARTED` on its standard input (the Rust
  test kills and restarts the server). Then the recording is `completed` with what was
  captured: the `completed` callback arrives (the same `RecordingSid`, `RecordingUrl`,
  `RecordingStartTime` as `in-progress`), the resource agrees, the WAV (saved as `long.wav`
  for the Rust test's Goertzel check; `recordings.json` gets its duration) holds the tone.
- `empty`: a silent A (nothing captured): the recording ends `absent` (`ErrorCode=16101`),
  its `absent` callback delivered.

Neither call's `action` is requested: the process that ran them is gone, and the restarted one
ends their calls (`completed`, with a 12400 notification) without running TwiML.

Usage: `whatsapp_record_restart.py` (run by `crates/cli/tests/e2e_recording.rs`)."""

import sys
import time

from dialtone_e2e import App, check, check_sid, client, eq, run, wait_terminal
from dialtone_recording import (
    check_recording_callbacks,
    check_resource,
    download_wav,
    media,
    recording_url,
    rfc2822,
    save,
    save_json,
)
from dialtone_whatsapp import sender_number, user_calls_business, user_number, voice_sender, whatsapp_user

EVENTS = 'recordingStatusCallbackEvent="in-progress completed absent"'
# Seconds of recording before the kill.
CAPTURE = 3.0


class Scenario:
    def __init__(self, c, app, name, user):
        self.name = name
        self.sender, self.user = sender_number(), user_number()
        done = app.route(f"/{name}-done", "<Response><Hangup/></Response>")
        twiml = (
            f'<Response><Record action="{done}" maxLength="60" timeout="30" '
            f'recordingStatusCallback="{app.url}/{name}-rec" {EVENTS}/></Response>'
        )
        voice = app.route(f"/{name}-voice", twiml)
        application = c.applications.create(friendly_name=name, voice_url=voice).sid
        voice_sender(c, self.sender, application)
        whatsapp_user(self.user, **user)

    def parent(self, app):
        sid = app.wait_received(f"/{self.name}-voice", 1, timeout=20.0)[0].params["CallSid"]
        check_sid(sid, "CA", f"{self.name}: CallSid")
        return sid


def main():
    c = client()
    with App() as app:
        long = Scenario(c, app, "long", {"Audio": "tone:700"})
        empty = Scenario(c, app, "empty", {})
        for s in (long, empty):
            user_calls_business(s.user, s.sender)
        parents = {s.name: s.parent(app) for s in (long, empty)}
        for s in (long, empty):
            app.wait_received(f"/{s.name}-rec", 1, timeout=20.0)
        # The tone has been recording for CAPTURE seconds (its media connects right after the
        # answer, well before the in-progress callback is handled here).
        time.sleep(CAPTURE)
        print("KILL", flush=True)
        eq(sys.stdin.readline().strip(), "RESTARTED", "the harness's answer")

        # `long`: completed with what was captured.
        recs = app.wait_received("/long-rec", 2, timeout=30.0)
        duration = recs[1].params.get("RecordingDuration")
        sid = check_recording_callbacks(
            recs, [("in-progress", None), ("completed", duration)], parents["long"], "RecordVerb", 1
        )
        check(duration is not None and 1 <= int(duration) <= CAPTURE + 2, f"long: RecordingDuration {duration}")
        r = check_resource(c, sid, parents["long"], "RecordVerb", 1, duration)
        eq(r.start_time, rfc2822(recs[0].params["RecordingStartTime"]), "long: start_time")
        save("long.wav", download_wav(recording_url(sid), "long"))

        # `empty`: absent.
        recs = app.wait_received("/empty-rec", 2, timeout=30.0)
        sid = check_recording_callbacks(
            recs, [("in-progress", None), ("absent", None)], parents["empty"], "RecordVerb", 1
        )
        check_resource(c, sid, parents["empty"], "RecordVerb", 1, "0", status="absent")
        eq(media(recording_url(sid) + ".wav")[0], 404, "empty: no media")

        for s in (long, empty):
            call = wait_terminal(c, parents[s.name], timeout=20.0)
            eq(call.status, "completed", f"{s.name}: the call ended by the restart")
            codes = [n.error_code for n in c.calls(parents[s.name]).notifications.list()]
            check("12400" in codes, f"{s.name}: the restart's 12400 notification among {codes}")
            eq(app.received(f"/{s.name}-done"), [], f"{s.name}: no action after the restart")
        save_json("recordings.json", {"long": duration})
        print(f"long: {duration} s recovered")


if __name__ == "__main__":
    run(main)
