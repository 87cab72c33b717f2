"""`<Record>` on WhatsApp calls, through the real server: the `action` request, the
`recordingStatusCallback`s, the Recording resource and its media.

Four simulated users call four business numbers at once, each application answering a
`<Record>` (every webhook's `X-Twilio-Signature` is checked by `App`):

- `max`: A plays `tone:700`; `<Record maxLength="4" playBeep="true" action
  recordingStatusCallbackEvent="in-progress completed absent">`: `in-progress` then
  `completed` callbacks, the action without `Digits`;
- `key`: A plays `tone:700` and presses `#` 4 s after the answer (`Digits=WWW#`); `<Record
  finishOnKey="#" playBeep="false">`: the action with `Digits=#`;
- `hangup`: A plays `tone:700` and hangs up 3 s after the answer: the action still comes,
  with `CallStatus=completed` and `Digits=hangup`, and so does the `completed` callback;
- `silent`: A is silent; `<Record timeout="2">` then `<Redirect>`: nothing recorded, so an
  `absent` callback (`ErrorCode=16101`), no action request, the document goes on.

For every recording: the callbacks parameter by parameter, the resource (twilio-python), the
WAV downloaded with Basic auth (`RecordingUrl.wav`, and without extension) saved as
`{name}.wav` in `$DIALTONE_HEARD_DIR` for the Rust test's Goertzel checks, `.mp3` as
`audio/mpeg`, byte ranges (206, 416), another account (401 on this account's URL, 404 under its
own) and a wrong token (401). `recordings.json` gets each one's `RecordingDuration`.

Usage: `whatsapp_record.py` (run by `crates/cli/tests/e2e_recording.rs`)."""

from dialtone_e2e import (
    ACCOUNT_SID,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    App,
    check,
    check_sid,
    client,
    eq,
    run,
    wait_terminal,
)
from dialtone_recording import (
    check_media_variants,
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

RECORDING = ["RecordingUrl", "RecordingDuration", "RecordingSid"]
# A call handled by a TwiML App, in Dialtone's parameter order (docs/twilio-compat.md).
STANDARD_ORDER = ["AccountSid", "ApiVersion", "ApplicationSid", "CallSid", "CallStatus", "Direction", "From", "To"]


def check_action(request, parent, application, user, sender, status, digits):
    """The `<Record action>` request: the call's standard parameters (in Dialtone's order),
    then `RecordingUrl` (no extension), `RecordingDuration`, `RecordingSid` and `Digits` when
    given. Returns (RecordingSid, RecordingDuration)."""
    p = request.params
    eq(request.method, "POST", "action method")
    keys = STANDARD_ORDER + RECORDING + (["Digits"] if digits is not None else [])
    eq(list(p), keys, "action parameters (in order)")
    sid = p["RecordingSid"]
    want = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "ApplicationSid": application,
        "CallSid": parent,
        "CallStatus": status,
        "Direction": "inbound",
        "From": f"whatsapp:{user}",
        "To": f"whatsapp:{sender}",
        "RecordingUrl": recording_url(sid),
        "RecordingDuration": p["RecordingDuration"],
        "RecordingSid": sid,
    }
    if digits is not None:
        want["Digits"] = digits
    eq(p, want, "action")
    check(p["RecordingDuration"].isdigit(), f"RecordingDuration {p['RecordingDuration']!r}")
    return sid, p["RecordingDuration"]


class Scenario:
    def __init__(self, c, app, name, record, user, after=""):
        self.name = name
        self.sender, self.user = sender_number(), user_number()
        self.done = f"/{name}-done"
        self.status = f"/{name}-rec"
        app.route(self.done, "<Response><Hangup/></Response>")
        record = record.format(done=app.url + self.done, status=app.url + self.status)
        voice = app.route(f"/{name}-voice", f"<Response>{record}{after}</Response>")
        self.application = c.applications.create(friendly_name=name, voice_url=voice).sid
        voice_sender(c, self.sender, self.application)
        whatsapp_user(self.user, **user)

    def call(self, app):
        user_calls_business(self.user, self.sender)

    def parent(self, app):
        sid = app.wait_received(f"/{self.name}-voice", 1, timeout=20.0)[0].params["CallSid"]
        check_sid(sid, "CA", f"{self.name}: CallSid")
        return sid


def recorded(c, app, s, call_status, digits, events, bounds):
    """Checks scenario `s`'s action, callbacks, resource and media; saves its WAV."""
    parent = s.parent(app)
    action = app.wait_received(s.done, 1, timeout=40.0)[0]
    sid, duration = check_action(action, parent, s.application, s.user, s.sender, call_status, digits)
    lo, hi = bounds
    check(lo <= int(duration) <= hi, f"{s.name}: RecordingDuration {duration} not in [{lo}, {hi}]")
    callbacks = app.wait_received(s.status, len(events), timeout=30.0)
    expected = [(e, duration if e == "completed" else None) for e in events]
    eq(check_recording_callbacks(callbacks, expected, parent, "RecordVerb", 1), sid, f"{s.name}: RecordingSid")
    r = check_resource(c, sid, parent, "RecordVerb", 1, duration)
    eq(r.start_time, rfc2822(callbacks[0].params["RecordingStartTime"]), f"{s.name}: start_time")
    wav = download_wav(recording_url(sid), s.name)
    save(f"{s.name}.wav", wav)
    call = wait_terminal(c, parent, timeout=20.0)
    eq(call.status, "completed", f"{s.name}: the call's status")
    print(f"{s.name}: {sid} {duration} s, {len(wav)} bytes; callbacks {[e for e, _ in expected]}")
    return sid, duration, wav


def main():
    c = client()
    check(OTHER_ACCOUNT_SID != "", "DIALTONE_OTHER_ACCOUNT_SID is set")
    with App() as app:
        every = 'recordingStatusCallbackEvent="in-progress completed absent"'
        scenarios = {
            "max": Scenario(
                c,
                app,
                "max",
                f'<Record action="{{done}}" maxLength="4" playBeep="true" '
                f'recordingStatusCallback="{{status}}" {every}/>',
                {"Audio": "tone:700"},
            ),
            "key": Scenario(
                c,
                app,
                "key",
                '<Record action="{done}" finishOnKey="#" maxLength="30" playBeep="false" '
                'recordingStatusCallback="{status}"/>',
                {"Audio": "tone:700", "Digits": "WWW#"},
            ),
            "hangup": Scenario(
                c,
                app,
                "hangup",
                '<Record action="{done}" maxLength="30" recordingStatusCallback="{status}"/>',
                {"Audio": "tone:700", "HangupAfter": "3"},
            ),
            "silent": Scenario(
                c,
                app,
                "silent",
                f'<Record action="{{done}}" timeout="2" maxLength="30" '
                f'recordingStatusCallback="{{status}}" {every}/>',
                {},
                after='<Redirect method="POST">/silent-after</Redirect>',
            ),
        }
        app.route("/silent-after", "<Response><Hangup/></Response>")
        for s in scenarios.values():
            s.call(app)

        durations = {}
        sid, durations["max"], wav = recorded(
            c, app, scenarios["max"], "in-progress", None, ["in-progress", "completed"], (2, 4)
        )
        check_media_variants(recording_url(sid), wav, "max", (OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN))
        _, durations["key"], _ = recorded(c, app, scenarios["key"], "in-progress", "#", ["completed"], (2, 5))
        _, durations["hangup"], _ = recorded(
            c, app, scenarios["hangup"], "completed", "hangup", ["completed"], (1, 4)
        )

        # Nothing recorded: `absent`, no action, the next verb.
        s = scenarios["silent"]
        parent = s.parent(app)
        app.wait_received("/silent-after", 1, call_sid=parent, timeout=30.0)
        callbacks = app.wait_received(s.status, 2, timeout=20.0)
        sid = check_recording_callbacks(
            callbacks, [("in-progress", None), ("absent", None)], parent, "RecordVerb", 1
        )
        check_resource(c, sid, parent, "RecordVerb", 1, "0", status="absent")
        status, _, body = media(recording_url(sid) + ".wav")
        eq(status, 404, f"an absent recording's media: {body[:200]!r}")
        eq(wait_terminal(c, parent, timeout=20.0).status, "completed", "silent: the call's status")
        eq(app.received(s.done), [], "no action request for an empty recording")

        save_json("recordings.json", durations)


if __name__ == "__main__":
    run(main)
