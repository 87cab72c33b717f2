"""A REST call to a simulated softphone with every status-callback event: the exact callbacks
(status sequence, SequenceNumber, CallDuration, Direction, Timestamp) and the voice request."""

import email.utils
import uuid
from datetime import timedelta

from twilio.request_validator import RequestValidator

from dialtone_e2e import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    App,
    check,
    check_rfc2822,
    client,
    eq,
    run,
    softphone,
    wait_terminal,
)

STANDARD = ["AccountSid", "ApiVersion", "CallSid", "CallStatus", "Direction", "From", "To"]
CALLBACK = STANDARD + ["CallbackSource", "SequenceNumber", "Timestamp"]


def main():
    c = client()
    identity = f"cb-{uuid.uuid4().hex[:12]}"
    # Answers after 50 ms, hangs up 1.2 s later: CallDuration is 1.
    softphone(identity, AnswerAfter="0.05", HangupAfter="1.2")
    with App() as app:
        voice = app.route("/voice", '<Response><Pause length="30"/></Response>')
        status = app.url + "/status"
        call = c.calls.create(
            to=f"client:{identity}",
            from_="+15005550006",
            url=voice,
            status_callback=status,
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        ended = wait_terminal(c, call.sid)
        eq(ended.status, "completed", "call status")
        eq(ended.duration, "1", "call duration")
        callbacks = app.wait_received("/status", 4, call.sid)
        eq(len(callbacks), 4, "status callbacks")
        eq([r.method for r in callbacks], ["POST"] * 4, "callback methods")
        eq(
            [r.params["CallStatus"] for r in callbacks],
            ["initiated", "ringing", "in-progress", "completed"],
            "CallStatus sequence",
        )
        eq([r.params["SequenceNumber"] for r in callbacks], ["0", "1", "2", "3"], "SequenceNumber")
        for r in callbacks[:3]:
            eq(sorted(r.params), sorted(CALLBACK), f"{r.params['CallStatus']} callback parameters")
        eq(sorted(callbacks[3].params), sorted(CALLBACK + ["CallDuration"]), "completed parameters")
        eq(callbacks[3].params["CallDuration"], "1", "CallDuration")
        times = []
        for r in callbacks:
            p = r.params
            eq(p["CallSid"], call.sid, "callback CallSid")
            eq(p["AccountSid"], ACCOUNT_SID, "callback AccountSid")
            eq(p["Direction"], "outbound-api", "callback Direction")
            eq(p["From"], "+15005550006", "callback From")
            eq(p["To"], f"client:{identity}", "callback To")
            eq(p["ApiVersion"], "2010-04-01", "callback ApiVersion")
            eq(p["CallbackSource"], "call-progress-events", "CallbackSource")
            check_rfc2822(p["Timestamp"], "Timestamp")
            times.append(email.utils.parsedate_to_datetime(p["Timestamp"]))
            eq(r.headers.get("content-type"), "application/x-www-form-urlencoded", "callback body type")
        eq(times, sorted(times), "Timestamps in order")
        check(times[3] - times[2] >= timedelta(seconds=1), f"answered to completed: {times}")
        tokens = [r.headers["i-twilio-idempotency-token"] for r in callbacks]
        eq(len(set(tokens)), 4, "one idempotency token per callback")

        voice_requests = app.received("/voice", call.sid)
        eq(len(voice_requests), 1, "voice requests")
        v = voice_requests[0].params
        eq(sorted(v), sorted(STANDARD), "voice request parameters")
        eq(
            {k: v[k] for k in STANDARD},
            {
                "AccountSid": ACCOUNT_SID,
                "ApiVersion": "2010-04-01",
                "CallSid": call.sid,
                "CallStatus": "in-progress",
                "Direction": "outbound-api",
                "From": "+15005550006",
                "To": f"client:{identity}",
            },
            "voice request",
        )

        # Without StatusCallbackEvent only `completed` is sent (Twilio's default); the softphone
        # busy: the call ends busy and the voice URL is never fetched.
        busy = f"busy-{uuid.uuid4().hex[:12]}"
        softphone(busy, Behavior="busy", AnswerAfter="0.05")
        call = c.calls.create(to=f"client:{busy}", from_="+15005550006", url=voice, status_callback=status)
        eq(wait_terminal(c, call.sid).status, "busy", "busy softphone")
        only = app.wait_received("/status", 1, call.sid)
        eq([(r.params["CallStatus"], r.params["SequenceNumber"], r.params["CallDuration"]) for r in only],
           [("busy", "0", "0")], "default events on a busy call")
        eq(app.received("/voice", call.sid), [], "no voice request for a busy call")

        # A URL is requested and signed exactly as set: `'`, `+`, `%20` and `~` travel as they
        # are, the `#rc=2` fragment (a connection override) is neither sent nor signed, and
        # RequestValidator given the configured URL accepts the request.
        as_set = app.url + "/status?name=William+O'hara&s=%20&t=~"
        call = c.calls.create(
            to=f"client:{identity}", from_="+15005550006", url=voice, status_callback=as_set + "#rc=2"
        )
        eq(wait_terminal(c, call.sid).status, "completed", "call with a quoted callback URL")
        [done] = app.wait_received("/status", 1, call.sid)
        eq(done.target, "/status?name=William+O'hara&s=%20&t=~", "request target as set")
        check(
            RequestValidator(AUTH_TOKEN).validate(as_set, done.params, done.headers["x-twilio-signature"]),
            f"RequestValidator accepts the signature against {as_set!r}",
        )


if __name__ == "__main__":
    run(main)
