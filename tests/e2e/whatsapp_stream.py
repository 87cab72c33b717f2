"""`<Connect><Stream>` on a WhatsApp call, through the real server, against a consumer written
from Twilio's protocol (`stream_consumer.py`, standard library only).

User A (`Audio=tone:440`, presses `5` a second after the answer) calls the business number
whose voice application answers
`<Connect action="/after"><Stream url="ws://…/media" statusCallback="/stream-status">` with a
`<Parameter>`. The consumer:

1. checks the upgrade's `X-Twilio-Signature` with twilio-python's `RequestValidator` (the
   `ws://` URL as written, no parameters), then `connected` and `start` (every field);
2. hears A's 440 Hz in the inbound μ-law (Goertzel) and checks the media cadence (160-byte
   chunks, `chunk`/`timestamp`/`sequenceNumber` counting as strings);
3. floods 3 s of 1000 Hz at once with marks after 1, 2 and 3 s of it: the echoes come back in
   order, each once its audio has played (about 1 s apart);
4. sends 10 s of 1000 Hz and a mark, and after 1.5 s `clear`: the mark echoes at once. The
   script saves A's `Heard.wav` while the tone plays (`tone.wav`) and 1.5 s after the clear
   (`cleared.wav`), with the time of the clear counted back from the download, in
   `$DIALTONE_HEARD_DIR/timing.json`; the Rust test (`e2e_streams.rs`) checks them;
5. gets A's `dtmf` (`5`, `inbound_track`);
6. sends a non-JSON text, a binary frame and an unknown event: each is a warning (31951,
   31950) once, and the stream goes on;
7. closes the socket: `<Connect>` ends, `/after` is requested with the call's standard
   parameters, whose `<Hangup/>` ends the call; the stream status callbacks are
   `stream-started` then `stream-stopped`, and the call has a 31921 notification (and the
   parser's 31922 warning for the `ws://` URL Twilio would refuse).

Usage: `whatsapp_stream.py` (run by `crates/cli/tests/e2e_streams.rs`)."""

import base64
import json
import os
import threading
import time

from dialtone_e2e import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    App,
    check,
    check_sid,
    client,
    eq,
    run,
    wait_for,
    wait_terminal,
)
from dialtone_whatsapp import heard_wav, sender_number, user_calls_business, user_number, voice_sender, whatsapp_user
from stream_consumer import WsServer, goertzel_share, tone_ulaw, ulaw_decode
from twilio.request_validator import RequestValidator

HEARD_DIR = os.environ["DIALTONE_HEARD_DIR"]


class Consumer:
    """The application's side of one stream; every message received is kept with its time."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Condition()
        self.conn = None
        self.connected = threading.Event()
        self.closed = threading.Event()

    def handle(self, conn):
        self.conn = conn
        self.connected.set()
        while True:
            message = conn.recv_json()
            with self.lock:
                if message is None:
                    self.closed.set()
                    self.lock.notify_all()
                    return
                self.messages.append((time.monotonic(), message))
                self.lock.notify_all()

    def wait(self, predicate, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = predicate(self.messages)
                if found:
                    return found
                left = deadline - time.monotonic()
                check(left > 0, f"stream consumer: timed out waiting for {what}")
                self.lock.wait(left)

    def events(self, name):
        with self.lock:
            return [(t, m) for t, m in self.messages if m.get("event") == name]

    def send(self, message):
        self.conn.send_json(message)


def media(stream_sid, ulaw):
    return {"event": "media", "streamSid": stream_sid, "media": {"payload": base64.b64encode(ulaw).decode()}}


def mark(stream_sid, name):
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


def save(call_sid, name):
    status, content_type, body = heard_wav(call_sid)
    eq((status, content_type), (200, "audio/x-wav"), f"Heard.wav ({name}): {body[:200]!r}")
    with open(os.path.join(HEARD_DIR, name), "wb") as f:
        f.write(body)
    return time.monotonic()


def main():
    c = client()
    sender, a = sender_number(), user_number()
    consumer = Consumer()
    ws = WsServer(consumer.handle)
    stream_url = ws.url("/media")
    with App() as app:
        voice = app.route(
            "/voice",
            f'<Response><Connect action="{app.url}/after"><Stream url="{stream_url}" name="agent" '
            f'statusCallback="{app.url}/stream-status"><Parameter name="FirstName" value="Jane"/>'
            f'<Parameter name="token" value="a b&amp;c"/></Stream></Connect><Say>not reached</Say></Response>',
        )
        app.route("/after", "<Response><Hangup/></Response>")
        application = c.applications.create(friendly_name="stream", voice_url=voice)
        voice_sender(c, sender, application.sid)
        whatsapp_user(a, Audio="tone:440", Digits="5")
        user_calls_business(a, sender)
        call_sid = app.wait_received("/voice", 1, timeout=15.0)[0].params["CallSid"]
        check_sid(call_sid, "CA", "CallSid")

        # 1. The upgrade and the first two messages.
        check(consumer.connected.wait(10.0), "Dialtone connected to the stream URL")
        request = consumer.conn.request
        eq((request["method"], request["path"]), ("GET", "/media"), "upgrade request line")
        signature = request["headers"].get("x-twilio-signature", "")
        check(
            RequestValidator(AUTH_TOKEN).validate(stream_url, {}, signature),
            f"X-Twilio-Signature {signature!r} validates for {stream_url}",
        )
        check("sec-websocket-protocol" not in request["headers"], "no subprotocol is asked for")
        first = consumer.wait(lambda ms: ms if len(ms) >= 2 else None, "connected and start")
        eq(first[0][1], {"event": "connected", "protocol": "Call", "version": "1.0.0"}, "connected")
        start = first[1][1]
        stream_sid = start["streamSid"]
        check_sid(stream_sid, "MZ", "streamSid")
        eq(
            start,
            {
                "event": "start",
                "sequenceNumber": "1",
                "streamSid": stream_sid,
                "start": {
                    "accountSid": ACCOUNT_SID,
                    "streamSid": stream_sid,
                    "callSid": call_sid,
                    "tracks": ["inbound"],
                    "customParameters": {"FirstName": "Jane", "token": "a b&c"},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            },
            "start",
        )

        # 2. A's tone in the inbound audio, at Twilio's cadence.
        inbound = consumer.wait(lambda ms: (lambda m: m if len(m) >= 150 else None)(
            [m for _, m in ms if m["event"] == "media"]), "3 s of inbound media")
        for i, m in enumerate(inbound[:100]):
            eq(m["media"]["track"], "inbound", "media.track")
            eq(m["media"]["chunk"], str(i + 1), "media.chunk")
            eq(m["media"]["timestamp"], str(20 * i), "media.timestamp")
            eq(len(base64.b64decode(m["media"]["payload"])), 160, "160 μ-law bytes per message")
            eq(m["streamSid"], stream_sid, "media.streamSid")
        seqs = [int(m["sequenceNumber"]) for _, m in consumer.messages[1:]]
        eq(seqs, list(range(1, len(seqs) + 1)), "sequenceNumber counts every message from start")
        pcm = []
        for m in inbound[100:150]:
            pcm.extend(ulaw_decode(base64.b64decode(m["media"]["payload"])))
        share440, share1000 = goertzel_share(pcm, 8000, 440), goertzel_share(pcm, 8000, 1000)
        print(f"inbound: 440 Hz share {share440:.3f}, 1000 Hz share {share1000:.3f}")
        check(share440 > 0.5 and share1000 < 0.05, f"A's 440 Hz reaches the consumer ({share440:.3f}, {share1000:.3f})")

        # 3. A flood of 3 s of 1000 Hz with three marks: echoes in order, as the audio plays.
        tone = tone_ulaw(1000, 3000)
        sent_at = time.monotonic()
        for second in range(3):
            for k in range(50):
                offset = (second * 50 + k) * 160
                consumer.send(media(stream_sid, tone[offset : offset + 160]))
            consumer.send(mark(stream_sid, f"m{second + 1}"))
        marks = consumer.wait(lambda ms: (lambda e: e if len(e) >= 3 else None)(
            [(t, m) for t, m in ms if m["event"] == "mark"]), "three mark echoes", 8.0)
        eq([m["mark"]["name"] for _, m in marks], ["m1", "m2", "m3"], "marks echo in order")
        delays = [t - sent_at for t, _ in marks]
        print("mark echoes after " + ", ".join(f"{d:.3f}s" for d in delays))
        for i, d in enumerate(delays):
            check(i + 0.9 <= d <= i + 1.4, f"mark m{i + 1} echoes once its audio played ({d:.3f}s)")
        eq(marks[0][1]["streamSid"], stream_sid, "mark.streamSid")

        # 4. 10 s of 1000 Hz, then `clear` after 1.5 s: the pending mark echoes at once.
        consumer.send(media(stream_sid, tone_ulaw(1000, 10000)))
        consumer.send(mark(stream_sid, "long"))
        time.sleep(1.5)
        save(call_sid, "tone.wav")
        cleared_at = time.monotonic()
        consumer.send({"event": "clear", "streamSid": stream_sid})
        echo = consumer.wait(lambda ms: [(t, m) for t, m in ms if m["event"] == "mark" and m["mark"]["name"] == "long"],
                             "the cleared mark's echo", 2.0)
        echo_delay = echo[0][0] - cleared_at
        print(f"clear: the pending mark echoed after {echo_delay * 1000:.1f} ms")
        check(echo_delay < 0.1, f"clear echoes the pending mark at once ({echo_delay:.3f}s)")
        time.sleep(1.5)
        downloaded = save(call_sid, "cleared.wav")
        with open(os.path.join(HEARD_DIR, "timing.json"), "w") as f:
            json.dump({"clear_before_download_secs": downloaded - cleared_at}, f)

        # 5. A's digit.
        dtmf = consumer.wait(lambda ms: [m for _, m in ms if m["event"] == "dtmf"], "A's dtmf", 5.0)
        eq(dtmf[0]["dtmf"], {"track": "inbound_track", "digit": "5"}, "dtmf")
        eq(dtmf[0]["streamSid"], stream_sid, "dtmf.streamSid")

        # 6. Bad messages are warnings; the stream goes on.
        consumer.conn.send_text("this is not JSON")
        consumer.conn.send_binary(b"\x00\x01")
        consumer.send({"event": "dance", "streamSid": stream_sid})
        consumer.send({"event": "mark", "streamSid": "MZ" + "0" * 32, "mark": {"name": "other"}})
        before = len(consumer.events("media"))
        time.sleep(0.5)
        check(len(consumer.events("media")) >= before + 20, "media still flows after bad messages")
        check(not [m for _, m in consumer.events("mark") if m["mark"]["name"] == "other"], "a foreign mark is ignored")

        # 7. The application closes the socket: <Connect action> runs.
        consumer.conn.close(1000)
        after = app.wait_received("/after", 1, timeout=10.0)[0]
        params = after.params
        eq(params["CallSid"], call_sid, "/after CallSid")
        eq(params["CallStatus"], "in-progress", "/after CallStatus")
        eq(params["AccountSid"], ACCOUNT_SID, "/after AccountSid")
        eq(params["Direction"], "inbound", "/after Direction")
        check("StreamSid" not in params, "no stream parameters on the action (none documented)")
        wait_terminal(c, call_sid, timeout=15.0)
        check(not app.received("/voice")[1:], "one voice request")

        callbacks = app.wait_received("/stream-status", 2, timeout=10.0)
        eq([r.params["StreamEvent"] for r in callbacks], ["stream-started", "stream-stopped"], "stream callbacks")
        for r in callbacks:
            eq(r.method, "POST", "stream callback method")
            eq(
                sorted(r.params),
                ["AccountSid", "CallSid", "StreamEvent", "StreamName", "StreamSid", "Timestamp"],
                "stream callback parameters",
            )
            eq((r.params["AccountSid"], r.params["CallSid"]), (ACCOUNT_SID, call_sid), "callback call")
            eq((r.params["StreamSid"], r.params["StreamName"]), (stream_sid, "agent"), "callback stream")
            check(r.params["Timestamp"].endswith("Z") and "T" in r.params["Timestamp"], "ISO 8601 Timestamp")

        notes = wait_for(
            lambda: (lambda n: n if any(x.error_code == "31921" for x in n) else None)(
                c.calls(call_sid).notifications.list()),
            "the 31921 notification",
        )
        codes = sorted((x.error_code, x.log) for x in notes)
        print(f"notifications: {codes}")
        # 31922 (warning): the document's ws:// URL, which Twilio would refuse (Dialtone connects).
        eq(codes, [("31921", "0"), ("31922", "1"), ("31950", "1"), ("31951", "1")], "notifications (each warning once)")
        check(not ws.errors, f"consumer errors: {ws.errors}")
        eq(ws.connections, 1, "one WebSocket connection")


if __name__ == "__main__":
    run(main)
