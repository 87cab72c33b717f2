"""A browser agent on the published Voice JavaScript SDK, through the real server.

The page (`voice_sdk_browser.js`: headless Chromium driven by puppeteer-core, the SDK's
`dist/twilio.min.js` from npm, a fake microphone playing a 440 Hz WAV) registers as `alice`
with an access token minted by twilio-python's `AccessToken` + `VoiceGrant`, signed with an API
key created through the REST API. Then:

1. a REST call to `client:alice` rings the page (its `invite` parameters are checked), which
   answers; the call's TwiML is `<Gather numDigits="2">`, and the digits the page presses
   (`call.sendDigits`, RFC 4733 in the media) reach the `<Gather>` action;
2. the action dials a simulated WhatsApp user (`Audio=tone:1000`), who answers: after a few
   seconds of talk the script downloads what the user heard (`Heard.wav` of the child) into
   `$DIALTONE_HEARD_DIR/user.wav` (the Rust test checks the browser's 440 Hz tone in it with
   Goertzel), and the page reports how much of what it received was the user's 1000 Hz tone;
3. the REST API hangs the call up; the page sees `disconnect`.

Needs `$DIALTONE_SDK_CHUNDERW` (the server's TLS listener), `$DIALTONE_SDK_MODULES` (npm's
node_modules with puppeteer-core and @twilio/voice-sdk) and Debian's chromium.

Usage: `voice_sdk_browser.py` (run by `crates/cli/tests/e2e_voice_sdk.rs`)."""

import json
import math
import os
import queue
import struct
import subprocess
import tempfile
import threading
import time
import wave

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from dialtone_e2e import ACCOUNT_SID, App, check, check_sid, client, eq, run, wait_for, wait_terminal
from dialtone_whatsapp import heard_wav, sender_number, user_calls, user_number, voice_sender, whatsapp_user

HEARD_DIR = os.environ["DIALTONE_HEARD_DIR"]
CHUNDERW = os.environ["DIALTONE_SDK_CHUNDERW"]
MODULES = os.environ["DIALTONE_SDK_MODULES"]
TALK = 5.0


def tone_wav(path, hz, seconds=30, rate=48000):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(seconds * rate)
        )
        w.writeframes(frames)


class Browser:
    """The node driver: its events, read from stdout in a thread."""

    def __init__(self, token, wav, digits):
        env = dict(os.environ)
        env.update(
            DIALTONE_SDK_TOKEN=token,
            DIALTONE_SDK_TONE_WAV=wav,
            DIALTONE_SDK_DIGITS=digits,
            DIALTONE_SDK_HEAR_HZ="1000",
        )
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "voice_sdk_browser.js")
        self.proc = subprocess.Popen(
            ["node", script], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                event = json.loads(line)
                print("browser:", json.dumps(event)[:300], flush=True)
                self.events.put(event)
        self.events.put({"event": "exited"})

    def expect(self, name, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            check(left > 0, f"the browser did not report {name!r} within {timeout} s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            check(event["event"] not in ("error", "call-error", "exited"), f"browser: {event}")
            if event["event"] == name:
                return event

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main():
    c = client()
    key = c.new_keys.create(friendly_name="voice sdk e2e")
    check_sid(key.sid, "SK", "API key SID")
    sender, user = sender_number(), user_number()
    with App() as app, tempfile.TemporaryDirectory() as tmp:
        dial = f'<Response><Dial callerId="whatsapp:{sender}"><WhatsApp>{user}</WhatsApp></Dial></Response>'
        digits_url = app.route("/digits", dial)
        agent = app.route(
            "/agent",
            f'<Response><Gather numDigits="2" timeout="20" action="{digits_url}"/></Response>',
        )
        application = c.applications.create(friendly_name="agent app", voice_url=agent)
        voice_sender(c, sender, application.sid)
        whatsapp_user(user, Permission="granted", AnswerAfter="0.2", Audio="tone:1000")

        token = AccessToken(ACCOUNT_SID, key.sid, key.secret, identity="alice", ttl=600)
        token.add_grant(VoiceGrant(incoming_allow=True, outgoing_application_sid=application.sid))
        wav = os.path.join(tmp, "tone.wav")
        tone_wav(wav, 440)
        browser = Browser(token.to_jwt(), wav, "12")
        try:
            eq(browser.expect("registered", 30.0)["identity"], "alice", "the Device's identity")
            call = c.calls.create(to="client:alice", from_="+15550001111", url=agent)
            check_sid(call.sid, "CA", "CallSid")
            incoming = browser.expect("incoming")["parameters"]
            eq(incoming.get("CallSid"), call.sid, "invite CallSid")
            eq(incoming.get("To"), "client:alice", "invite To")
            eq(incoming.get("From"), "+15550001111", "invite From")
            eq(incoming.get("AccountSid"), ACCOUNT_SID, "invite AccountSid")
            eq(browser.expect("accepted")["sid"], call.sid, "accepted call")
            gathered = app.wait_received("/digits", 1, timeout=20.0)[0]
            eq(gathered.params.get("Digits"), "12", "the digits the page pressed reach <Gather>")
            eq(gathered.params.get("CallSid"), call.sid, "the <Gather> action's CallSid")
            wait_for(
                lambda: [x for x in user_calls(user) if x["status"] == "in-progress"] or None,
                "the WhatsApp user to answer",
                20.0,
            )
            children = wait_for(lambda: c.calls.list(parent_call_sid=call.sid) or None, "the child call", 10.0)
            child = children[0].sid
            time.sleep(TALK)
            status, content_type, body = heard_wav(child)
            eq((status, content_type), (200, "audio/x-wav"), f"Heard.wav of the user: {body[:200]!r}")
            with open(os.path.join(HEARD_DIR, "user.wav"), "wb") as f:
                f.write(body)
            c.calls(call.sid).update(status="completed")
            tone = browser.expect("tone", 20.0)
            samples = tone["samples"]
            heard = [s for s in samples if s["share"] > 0.5 and s["rms"] > 0.005]
            print(f"browser heard the user's 1000 Hz tone in {len(heard)} of {len(samples)} frames", flush=True)
            check(len(heard) >= 10, f"the browser hears the user's tone: {samples[-40:]}")
            browser.expect("disconnected")
            wait_terminal(c, call.sid, timeout=15.0)
            eq(c.calls(call.sid).fetch().status, "completed", "the browser call's status")
            browser.proc.stdin.write("quit\n")
            browser.proc.stdin.flush()
            eq(browser.expect("offline", 30.0)["outside"], [], "requests leaving the loopback")
        finally:
            browser.close()


if __name__ == "__main__":
    run(main)
