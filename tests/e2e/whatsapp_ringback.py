"""What a WhatsApp caller hears while the business dials someone: ringback, then the callee.

User A calls the business number S, whose voice application answers
`<Dial callerId="whatsapp:+S"><WhatsApp>+B</WhatsApp></Dial>`; user B (`Audio=tone:1000`,
permission granted) answers after 1.5 s. After two seconds of talk the script downloads
`GET /sim/v1/Calls/{CallSid}/Heard.wav` of the parent (what A heard) into `$DIALTONE_HEARD_DIR`
as `parent.wav`; the Rust test (`crates/cli/tests/e2e_ringback.rs`) checks that A heard the US
ringback (440 + 480 Hz) before the bridge and only B's 1000 Hz after it.

Usage: `whatsapp_ringback.py` (run by `crates/cli/tests/e2e_ringback.rs`)."""

import os
import time

from dialtone_e2e import (
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


def heard(call_sid):
    status, _, body = heard_wav(call_sid)
    eq(status, 200, "Heard.wav of the parent")
    return body


def main():
    c = client()
    sender, a, b = sender_number(), user_number(), user_number()
    with App() as app:
        voice = app.route(
            "/ringback",
            f'<Response><Dial callerId="whatsapp:{sender}"><WhatsApp>{b}</WhatsApp></Dial></Response>',
        )
        application = c.applications.create(friendly_name="ringback", voice_url=voice)
        voice_sender(c, sender, application.sid)
        whatsapp_user(a)
        whatsapp_user(b, Permission="granted", AnswerAfter="1.5", Audio="tone:1000")

        user_calls_business(a, sender)
        parent = app.wait_received("/ringback", 1, timeout=15.0)[0].params["CallSid"]
        check_sid(parent, "CA", "parent CallSid")
        wait_for(
            lambda: [x for x in user_calls(b) if x["status"] == "in-progress"] or None,
            "B to answer",
            15.0,
        )
        time.sleep(2.0)
        body = heard(parent)
        check(body[:4] == b"RIFF", "Heard.wav is a WAV file")
        with open(os.path.join(HEARD_DIR, "parent.wav"), "wb") as f:
            f.write(body)
        c.calls(parent).update(status="completed")
        wait_terminal(c, parent, timeout=15.0)


if __name__ == "__main__":
    run(main)
