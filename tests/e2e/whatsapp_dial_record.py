"""`<Dial record>` between two simulated WhatsApp users, through the real server.

Two pairs at once, each user A (`tone:440`) calling a business number whose application answers
`<Dial callerId record=MODE recordingStatusCallback recordingStatusCallbackEvent="in-progress
completed absent" action><WhatsApp statusCallback statusCallbackEvent="initiated ringing
answered completed">+B</WhatsApp></Dial>`, B (`tone:1000`) answering and hanging up 4 s later:

- `answer`: `record-from-answer-dual`, B answers after 0.5 s;
- `ringing`: `record-from-ringing-dual`, B answers after 2 s (the recording starts with the
  dial, so channel 2 is silent while B rings).

Checked: the child's status callbacks (`completed` with `CallDuration`, then `RecordingUrl`,
`RecordingDuration`, `RecordingSid`), the `<Dial action>` (the dial's outcome, then the same
three), the recording's `in-progress` and `completed` callbacks (`CallSid` = the parent,
`RecordingChannels=2`, `RecordingSource=DialVerb`), the Recording resource (`call_sid` = the
parent, 2 channels, `DialVerb`, the duration), and the seed parameters agree everywhere. The
WAVs are saved as `{name}.wav` (the Rust test checks each channel's tone) and `dial.json` gets
each one's durations.

Usage: `whatsapp_dial_record.py` (run by `crates/cli/tests/e2e_recording.rs`)."""

from dialtone_e2e import App, check, check_sid, client, eq, run, wait_terminal
from dialtone_recording import (
    check_recording_callbacks,
    check_resource,
    download_wav,
    recording_url,
    rfc2822,
    save,
    save_json,
)
from dialtone_whatsapp import (
    CHILD_CALLBACK,
    check_dial_action,
    sender_number,
    user_calls_business,
    user_number,
    voice_sender,
    whatsapp_user,
)

RECORDING = ["RecordingUrl", "RecordingDuration", "RecordingSid"]
EVENTS = "initiated ringing answered completed"


class Pair:
    def __init__(self, c, app, name, mode, answer_after):
        self.name = name
        self.sender, self.a, self.b = sender_number(), user_number(), user_number()
        done = app.route(f"/{name}-done", "<Response><Hangup/></Response>")
        status = app.url + f"/{name}-rec"
        child = app.url + f"/{name}-child"
        twiml = (
            f'<Response><Dial callerId="whatsapp:{self.sender}" record="{mode}" action="{done}" '
            f'recordingStatusCallback="{status}" '
            f'recordingStatusCallbackEvent="in-progress completed absent">'
            f'<WhatsApp statusCallback="{child}" statusCallbackEvent="{EVENTS}">{self.b}</WhatsApp>'
            f"</Dial></Response>"
        )
        voice = app.route(f"/{name}-voice", twiml)
        self.application = c.applications.create(friendly_name=name, voice_url=voice).sid
        voice_sender(c, self.sender, self.application)
        whatsapp_user(self.a, Audio="tone:440")
        whatsapp_user(self.b, Permission="granted", AnswerAfter=answer_after, HangupAfter="4", Audio="tone:1000")

    def check(self, c, app):
        name = self.name
        parent = app.wait_received(f"/{name}-voice", 1, timeout=20.0)[0].params["CallSid"]
        check_sid(parent, "CA", f"{name}: parent CallSid")
        action = app.wait_received(f"/{name}-done", 1, call_sid=parent, timeout=40.0)[0]
        p = action.params
        child = p.get("DialCallSid")
        check_sid(child, "CA", f"{name}: DialCallSid")
        sid, duration = p.get("RecordingSid"), p.get("RecordingDuration")
        check(sid is not None and sid.startswith("RE"), f"{name}: the action's RecordingSid {sid!r}")
        dial = {
            "DialCallStatus": "completed",
            "DialCallSid": child,
            "DialCallDuration": p.get("DialCallDuration"),
            "DialBridged": "true",
            "RecordingUrl": recording_url(sid),
            "RecordingDuration": duration,
            "RecordingSid": sid,
        }
        check_dial_action(
            action, parent, self.application, f"whatsapp:{self.a}", f"whatsapp:{self.sender}", "in-progress", dial
        )
        eq(list(p)[-len(RECORDING) :], RECORDING, f"{name}: the recording parameters end the action")
        check(duration.isdigit() and p["DialCallDuration"].isdigit(), f"{name}: durations {p}")

        # The child's status callbacks: `completed` carries the three as well.
        callbacks = app.wait_received(f"/{name}-child", 4, timeout=20.0)
        eq(
            [r.params["CallStatus"] for r in callbacks],
            ["initiated", "ringing", "in-progress", "completed"],
            f"{name}: child callbacks",
        )
        for r in callbacks[:3]:
            eq(sorted(r.params), sorted(CHILD_CALLBACK), f"{name}: {r.params['CallStatus']} callback keys")
        done = callbacks[3].params
        eq(done["CallSid"], child, f"{name}: the child's CallSid")
        eq(done["ParentCallSid"], parent, f"{name}: the child's ParentCallSid")
        keys = list(done)
        at = keys.index("CallDuration")
        eq(keys[at : at + 4], ["CallDuration"] + RECORDING, f"{name}: completed callback order")
        eq(sorted(keys), sorted(CHILD_CALLBACK + ["CallDuration"] + RECORDING), f"{name}: completed keys")
        eq(
            {k: done[k] for k in RECORDING},
            {"RecordingUrl": recording_url(sid), "RecordingDuration": duration, "RecordingSid": sid},
            f"{name}: the child's completed callback carries the action's recording parameters",
        )

        # The recording's own callbacks, and the resource.
        recs = app.wait_received(f"/{name}-rec", 2, timeout=30.0)
        final = recs[-1].params.get("RecordingDuration")
        eq(
            check_recording_callbacks(recs, [("in-progress", None), ("completed", final)], parent, "DialVerb", 2),
            sid,
            f"{name}: RecordingSid of the recording callbacks",
        )
        r = check_resource(c, sid, parent, "DialVerb", 2, final)
        eq(r.start_time, rfc2822(recs[0].params["RecordingStartTime"]), f"{name}: start_time")
        # The action's duration is the dial's (start to end); the file's is rounded from its
        # samples: they agree within a second (docs/twilio-compat.md).
        check(abs(int(final) - int(duration)) <= 1, f"{name}: file {final} s, dial {duration} s")
        save(f"{name}.wav", download_wav(recording_url(sid), name))
        eq(wait_terminal(c, parent, timeout=20.0).status, "completed", f"{name}: parent status")
        eq(wait_terminal(c, child, timeout=20.0).status, "completed", f"{name}: child status")
        print(f"{name}: {sid}: dial {duration} s, file {final} s, DialCallDuration {p['DialCallDuration']}")
        return {"dial": duration, "file": final}


def main():
    c = client()
    with App() as app:
        pairs = [
            Pair(c, app, "answer", "record-from-answer-dual", "0.5"),
            Pair(c, app, "ringing", "record-from-ringing-dual", "2"),
        ]
        for pair in pairs:
            user_calls_business(pair.a, pair.sender)
        save_json("dial.json", {pair.name: pair.check(c, app) for pair in pairs})


if __name__ == "__main__":
    run(main)
