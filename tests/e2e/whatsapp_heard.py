"""What the simulated WhatsApp users heard on a bridged call, through the real server.

User A (`Audio=tone:440`) calls the business number S, whose voice application answers
`<Dial callerId="whatsapp:+S"><WhatsApp>+B</WhatsApp></Dial>`; user B (`Audio=tone:1000`,
permission granted) answers. After a few seconds of talk the script downloads
`GET /sim/v1/Calls/{CallSid}/Heard.wav` of the parent (what A heard) and of the child (what B
heard) into `$DIALTONE_HEARD_DIR` as `parent.wav` and `child.wav`; the Rust test
(`crates/cli/tests/e2e_audio.rs`) checks the tones with Goertzel. It also checks the 404s: an
unknown CallSid and another account's call (20404 both), and that the audio stays available
once the call has ended.

Usage: `whatsapp_heard.py` (run by `crates/cli/tests/e2e_audio.rs`)."""

import json
import os
import time

from dialtone_e2e import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    App,
    check,
    check_sid,
    client,
    eq,
    run,
    wait_for,
    wait_terminal,
)
from dialtone_whatsapp import (
    heard_wav,
    sender_number,
    user_calls,
    user_calls_business,
    user_number,
    voice_sender,
    whatsapp_user,
)

HEARD_DIR = os.environ["DIALTONE_HEARD_DIR"]
# Seconds of talk before the download: the tail of each file is what the Rust test analyses.
TALK = 4.0


def check_not_found(call_sid, sid=ACCOUNT_SID, token=AUTH_TOKEN):
    status, _, body = heard_wav(call_sid, sid, token)
    eq(status, 404, f"Heard.wav of {call_sid}: {body[:200]!r}")
    eq(json.loads(body)["code"], 20404, f"Heard.wav of {call_sid}: error code")


def wav(call_sid, what):
    status, content_type, body = heard_wav(call_sid)
    eq((status, content_type), (200, "audio/x-wav"), f"Heard.wav of the {what}: {body[:200]!r}")
    check(body[:4] == b"RIFF" and body[8:12] == b"WAVE", f"Heard.wav of the {what} is a WAV file")
    return body


def main():
    c = client()
    check(OTHER_ACCOUNT_SID != "", "DIALTONE_OTHER_ACCOUNT_SID is set")
    sender, a, b = sender_number(), user_number(), user_number()
    with App() as app:
        voice = app.route(
            "/bridge",
            f'<Response><Dial callerId="whatsapp:{sender}"><WhatsApp>{b}</WhatsApp></Dial></Response>',
        )
        application = c.applications.create(friendly_name="bridge", voice_url=voice)
        voice_sender(c, sender, application.sid)
        eq(whatsapp_user(a, Audio="tone:440")["audio"], "tone:440", "A's audio")
        eq(
            whatsapp_user(b, Permission="granted", AnswerAfter="0.2", Audio="tone:1000")["audio"],
            "tone:1000",
            "B's audio",
        )

        user_calls_business(a, sender)
        parent = app.wait_received("/bridge", 1, timeout=15.0)[0].params["CallSid"]
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
            f.write(wav(parent, "parent"))
        with open(os.path.join(HEARD_DIR, "child.wav"), "wb") as f:
            f.write(wav(child, "child"))

        # Scoping: another account sees neither call; an unknown CallSid names nothing.
        check_not_found(parent, OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)
        check_not_found(child, OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)
        check_not_found("CA" + "0" * 32)

        c.calls(parent).update(status="completed")
        wait_terminal(c, parent, timeout=15.0)
        wait_terminal(c, child, timeout=15.0)
        # What was heard stays downloadable once the call has ended.
        ended = wait_for(
            lambda: (lambda body: body if len(body) > 44 else None)(wav(parent, "ended parent")),
            "the ended parent's Heard.wav",
        )
        check(len(ended) >= os.path.getsize(os.path.join(HEARD_DIR, "parent.wav")), "audio kept after the end")


if __name__ == "__main__":
    run(main)
