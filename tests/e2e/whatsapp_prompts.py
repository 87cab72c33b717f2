"""What a WhatsApp caller hears of `<Say>`, `<Play>`, `<Gather>` prompts and a `<Dial>` whisper,
through the real server.

One scenario per run (the first argument); each has user A call the business number S, whose
voice application answers the scenario's TwiML, and saves `GET /sim/v1/Calls/{CallSid}/Heard.wav`
into `$DIALTONE_HEARD_DIR`; the Rust test (`crates/cli/tests/e2e_prompts.rs`) analyses the audio.
`<Play>` files come from the script's own media server (`Media`: plain HTTP, no signature, as
Dialtone fetches them like Twilio, without `X-Twilio-Signature`).

- `say SHORT OTHER LONG`: `<Say>SHORT</Say><Pause 2/><Say>OTHER</Say><Pause 2/><Say>LONG</Say>`
  then `<Hangup/>`; saves `parent.wav` once the call has ended.
- `play`: `<Play loop="2">` then `<Play loop="1">` of a 1 s 1 kHz WAV, a 2 s pause between;
  saves `parent.wav`; checks the file was fetched.
- `gather TEXT`: `<Gather numDigits="1" action><Say>TEXT</Say></Gather>`; A has
  `Digits=wwwwww5` (the simulator presses 1 s after the answer, then each `w` waits 0.5 s: the
  5 goes 4 s after the answer). The action must carry `Digits=5`; it answers a 3 s pause. Right
  after the action arrives the script downloads Heard.wav and writes `gather.json`: `action_at`,
  where in the file's timeline the action request arrived (the file's length at the download
  less the time since the action), in seconds; it saves `parent.wav` 1.5 s later.
- `whisper`: `<Dial callerId><WhatsApp url=whisper>+B</WhatsApp></Dial>`, the whisper a
  `<Play>` of the 1 kHz WAV; B has `Audio=tone:600`. Saves `parent.wav` (A) and `child.wav`
  (B) two seconds after the bridge.
- `missing TEXT`: `<Play>` of a URL that answers 404, then `<Say>TEXT</Say>`, `<Hangup/>`:
  the call ends `completed`, it has a Notification 11200 naming the URL (twilio-python's
  `calls(sid).notifications`), and `parent.wav` is saved.

Usage: `whatsapp_prompts.py SCENARIO [TEXT...]` (run by `crates/cli/tests/e2e_prompts.rs`)."""

import json
import math
import os
import struct
import sys
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from xml.sax.saxutils import escape

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
    wait_user_call_ended,
    whatsapp_user,
)

HEARD_DIR = os.environ["DIALTONE_HEARD_DIR"]
RATE = 16000


def tone_wav(hz, seconds, amplitude=0.5):
    """A mono 16-bit WAV of a sine at `hz`."""
    n = int(RATE * seconds)
    peak = amplitude * 32767
    pcm = b"".join(struct.pack("<h", round(peak * math.sin(2 * math.pi * hz * i / RATE))) for i in range(n))
    out = BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return out.getvalue()


class Media:
    """The `<Play>` files: a loopback HTTP server answering each registered path with its
    bytes (`audio/wav`), anything else 404; records the paths asked for."""

    def __init__(self):
        self.files = {}
        self.requests = []
        media = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                media.requests.append(self.path)
                body = media.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "audio/wav" if body is not None else "text/plain")
                data = body if body is not None else b"not found"
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path, body):
        self.files[path] = body
        return self.url + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def heard(call_sid):
    """GET Heard.wav of `call_sid` (200, a WAV file); returns the bytes."""
    status, _, body = heard_wav(call_sid)
    eq(status, 200, f"Heard.wav of {call_sid}")
    check(body[:4] == b"RIFF" and body[8:12] == b"WAVE", f"Heard.wav of {call_sid} is a WAV file")
    return body


def save(name, body):
    with open(os.path.join(HEARD_DIR, name), "wb") as f:
        f.write(body)


def call_business(c, app, twiml, **user):
    """A (a new simulated user with `user` settings) calls a new business number whose
    application answers `twiml`; returns (client, parent CallSid, A's number, S)."""
    sender, a = sender_number(), user_number()
    voice = app.route("/voice", twiml)
    application = c.applications.create(friendly_name="prompts", voice_url=voice)
    voice_sender(c, sender, application.sid)
    whatsapp_user(a, **user)
    user_calls_business(a, sender)
    parent = app.wait_received("/voice", 1, timeout=15.0)[0].params["CallSid"]
    check_sid(parent, "CA", "parent CallSid")
    return parent, a, sender


def save_after_end(c, parent, a):
    """Waits for the call (and A's media leg) to end, then saves what A heard."""
    call = wait_terminal(c, parent, timeout=60.0)
    eq(call.status, "completed", "the call's status")
    wait_user_call_ended(a, timeout=15.0)
    save("parent.wav", heard(parent))


def say(c, app, short, other, long):
    twiml = (
        f"<Response><Say>{escape(short)}</Say><Pause length=\"2\"/><Say>{escape(other)}</Say>"
        f"<Pause length=\"2\"/><Say>{escape(long)}</Say><Pause length=\"1\"/><Hangup/></Response>"
    )
    parent, a, _ = call_business(c, app, twiml)
    save_after_end(c, parent, a)


def play(c, app):
    media = Media()
    try:
        url = media.add("/tone1k.wav", tone_wav(1000, 1.0))
        twiml = (
            f'<Response><Play loop="2">{url}</Play><Pause length="2"/>'
            f'<Play loop="1">{url}</Play><Pause length="1"/><Hangup/></Response>'
        )
        parent, a, _ = call_business(c, app, twiml)
        save_after_end(c, parent, a)
        check("/tone1k.wav" in media.requests, f"the WAV was fetched: {media.requests}")
    finally:
        media.close()


def gather(c, app, text):
    action = app.route("/done", '<Response><Pause length="3"/><Hangup/></Response>')
    twiml = f'<Response><Gather numDigits="1" action="{action}"><Say>{escape(text)}</Say></Gather></Response>'
    parent, a, _ = call_business(c, app, twiml, Digits="wwwwww5")
    done = app.wait_received("/done", 1, call_sid=parent, timeout=20.0)[0]
    asked = time.monotonic()
    body = heard(parent)
    got = time.monotonic()
    eq(done.params.get("Digits"), "5", "the action's Digits")
    # The download's midpoint is "now" in the file's timeline (16-bit mono: 2 bytes a sample).
    length = (len(body) - 44) / 2 / RATE
    action_at = length - ((asked + got) / 2 - done.at)
    print(f"action request at {action_at:.3f} s of {length:.3f} s heard (download took {got - asked:.3f} s)")
    # What followed the digit: the same file (from the same start) 1.5 s later.
    time.sleep(1.5)
    later = heard(parent)
    check(len(later) > len(body), "Heard.wav grew")
    save("parent.wav", later)
    with open(os.path.join(HEARD_DIR, "gather.json"), "w") as f:
        json.dump({"action_at": action_at, "heard_at_download": length}, f)
    eq(wait_terminal(c, parent, timeout=20.0).status, "completed", "the call's status")


def whisper(c, app):
    media = Media()
    try:
        tone = media.add("/tone1k.wav", tone_wav(1000, 1.0))
        whisper_url = app.route("/whisper", f"<Response><Play>{tone}</Play></Response>")
        b = user_number()
        whatsapp_user(b, Permission="granted", AnswerAfter="1.0", Audio="tone:600")
        sender = sender_number()
        twiml = (
            f'<Response><Dial callerId="whatsapp:{sender}">'
            f'<WhatsApp url="{whisper_url}">{b}</WhatsApp></Dial></Response>'
        )
        voice = app.route("/voice", twiml)
        application = c.applications.create(friendly_name="whisper", voice_url=voice)
        voice_sender(c, sender, application.sid)
        a = user_number()
        whatsapp_user(a)
        user_calls_business(a, sender)
        parent = app.wait_received("/voice", 1, timeout=15.0)[0].params["CallSid"]
        wait_for(
            lambda: [x for x in user_calls(b) if x["status"] == "in-progress"] or None,
            "B to answer",
            15.0,
        )
        fetched = app.wait_received("/whisper", 1, timeout=10.0)[0]
        eq(fetched.params.get("ParentCallSid"), parent, "the whisper request's ParentCallSid")
        child = fetched.params["CallSid"]
        check_sid(child, "CA", "child CallSid")
        # The 1 s whisper, then two seconds of the bridge.
        time.sleep(3.5)
        save("parent.wav", heard(parent))
        save("child.wav", heard(child))
        check("/tone1k.wav" in media.requests, f"the whisper's WAV was fetched: {media.requests}")
        c.calls(parent).update(status="completed")
        wait_terminal(c, parent, timeout=15.0)
        wait_terminal(c, child, timeout=15.0)
    finally:
        media.close()


def missing(c, app, text):
    media = Media()
    try:
        url = media.url + "/missing.wav"
        twiml = f"<Response><Play>{url}</Play><Say>{escape(text)}</Say><Hangup/></Response>"
        parent, a, _ = call_business(c, app, twiml)
        save_after_end(c, parent, a)
        check("/missing.wav" in media.requests, f"the missing file was asked for: {media.requests}")
        notifications = wait_for(lambda: c.calls(parent).notifications.list(), "a notification for the 404")
        codes = [n.error_code for n in notifications]
        eq(codes.count("11200"), 1, f"one 11200 among the notifications {codes}")
        n = notifications[codes.index("11200")]
        eq(n.call_sid, parent, "the notification's call")
        eq(n.log, "0", "the notification's level (0: error)")
        check(url in n.message_text and "404" in n.message_text, f"the message names the URL and 404: {n.message_text!r}")
        print(f"notification {n.sid}: {n.error_code} {n.message_text!r}")
    finally:
        media.close()


def main():
    scenario, args = sys.argv[1], sys.argv[2:]
    c = client()
    with App() as app:
        {"say": say, "play": play, "gather": gather, "whisper": whisper, "missing": missing}[scenario](
            c, app, *args
        )


if __name__ == "__main__":
    run(main)
