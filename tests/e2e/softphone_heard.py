"""What a simulated softphone and a simulated WhatsApp user heard on a bridged call, through
the real server.

Softphone `alice` (`Audio=tone:440`) calls a voice application that answers
`<Dial callerId="whatsapp:+S"><WhatsApp>+B</WhatsApp></Dial>`; user B (`Audio=tone:1000`,
permission granted) answers. After a few seconds of talk the script downloads
`GET /sim/v1/Calls/{CallSid}/Heard.wav` of the parent (the call alice placed: what alice heard)
and of the child (what B heard) into `$DIALTONE_HEARD_DIR` as `parent.wav` and `child.wav`; the
Rust test (`crates/cli/tests/e2e_audio.rs`) checks the tones with Goertzel. It also checks that
a softphone refuses a bad `Audio` exactly as a WhatsApp user does, and that a call with no
simulated party on it answers 20404.

Usage: `softphone_heard.py` (run by `crates/cli/tests/e2e_audio.rs`)."""

import json
import os
import time

from dialtone_e2e import App, check, check_sid, client, eq, http, run, softphone, wait_for, wait_terminal
from dialtone_whatsapp import heard_wav, sender_number, user_calls, user_number, voice_sender, whatsapp_user

HEARD_DIR = os.environ["DIALTONE_HEARD_DIR"]
# Seconds of talk before the download: the tail of each file is what the Rust test analyses.
TALK = 4.0


def wav(call_sid, what):
    status, content_type, body = heard_wav(call_sid)
    eq((status, content_type), (200, "audio/x-wav"), f"Heard.wav of the {what}: {body[:200]!r}")
    check(body[:4] == b"RIFF" and body[8:12] == b"WAVE", f"Heard.wav of the {what} is a WAV file")
    return body


def check_bad_audio():
    """A softphone and a WhatsApp user refuse the same bad `Audio` values with the same error."""
    for bad in ["tone:10", "noise", "http://", "ftp://host/a.wav"]:
        phone = http("POST", "/sim/v1/Clients", {"Identity": "carol", "Audio": bad})
        user = http("POST", "/sim/v1/WhatsAppUsers", {"Number": user_number(), "Audio": bad})
        eq(phone[0], 400, f"softphone Audio={bad}: {phone[1]}")
        eq(phone, user, f"Audio={bad}: the softphone's error is the WhatsApp user's")


def main():
    c = client()
    check_bad_audio()
    sender, b = sender_number(), user_number()
    with App() as app:
        voice = app.route(
            "/bridge",
            f'<Response><Dial callerId="whatsapp:{sender}"><WhatsApp>{b}</WhatsApp></Dial></Response>',
        )
        app.route("/quiet", "<Response><Hangup/></Response>")
        application = c.applications.create(friendly_name="bridge", voice_url=voice)
        voice_sender(c, sender, application.sid)
        eq(softphone("alice", Audio="tone:440")["audio"], "tone:440", "alice's audio")
        eq(
            whatsapp_user(b, Permission="granted", AnswerAfter="0.2", Audio="tone:1000")["audio"],
            "tone:1000",
            "B's audio",
        )

        status, body = http(
            "POST", "/sim/v1/Clients/alice/Calls", {"ApplicationSid": application.sid, "To": "+15551230000"}
        )
        eq(status, 201, f"alice's call: {body}")
        parent = body["sid"]
        check_sid(parent, "CA", "parent CallSid")
        wait_for(
            lambda: [x for x in user_calls(b) if x["status"] == "in-progress"] or None,
            "B to answer",
            15.0,
        )
        children = wait_for(lambda: c.calls.list(parent_call_sid=parent) or None, "the child call", 10.0)
        eq(len(children), 1, "children of the parent")
        child = children[0].sid
        time.sleep(TALK)

        with open(os.path.join(HEARD_DIR, "parent.wav"), "wb") as f:
            f.write(wav(parent, "parent (alice)"))
        with open(os.path.join(HEARD_DIR, "child.wav"), "wb") as f:
            f.write(wav(child, "child (B)"))
        c.calls(parent).update(status="completed")
        wait_terminal(c, parent, timeout=15.0)
        wait_terminal(c, child, timeout=15.0)

        # A call with no simulated party on it: to a softphone nobody registered (it fails at
        # once, unreachable), so nothing ever heard it.
        nobody = c.calls.create(to="client:nobody", from_="+15005550006", url=app.url + "/quiet")
        wait_terminal(c, nobody.sid, timeout=15.0)
        status, _, body = heard_wav(nobody.sid)
        eq(status, 404, f"Heard.wav of a call with no simulated party: {body[:200]!r}")
        eq(json.loads(body)["code"], 20404, "its error code")

if __name__ == "__main__":
    run(main)
