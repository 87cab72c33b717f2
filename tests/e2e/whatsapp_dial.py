"""`<Dial><WhatsApp>` through the real server and its embedded WhatsApp simulator.

A simulated softphone agent calls an application whose TwiML dials a simulated WhatsApp user:

    <Dial callerId="whatsapp:+S" action=".../dial-action" timeout="...">
      <WhatsApp statusCallback=".../wa-status"
                statusCallbackEvent="initiated ringing answered completed" [url=whisper]>+U</WhatsApp>
    </Dial>

Each scenario checks the child's exact status callbacks, the `action` request, the call
records, the notifications, and what the WhatsApp user saw. Every webhook is checked with
twilio-python's `RequestValidator` (`dialtone_e2e.App`).

Usage: `whatsapp_dial.py [SCENARIO...]` (all of them by default); the Rust harness
(`crates/cli/tests/e2e_whatsapp.rs`) runs one scenario per test on SQLite and all of them on
PostgreSQL.

Durations are Dialtone's own measure (from the moment the child's media connected to its end),
in whole seconds rounded down. The user's `HangupAfter` (counted by the simulator from its
answer) is chosen half a second away from a whole number, so that signalling and ICE/DTLS set-up
on loopback cannot move a duration across a boundary.
"""

import os
import sys
import time
import uuid

from twilio.base.exceptions import TwilioRestException

from dialtone_e2e import (
    ACCOUNT_SID,
    App,
    check,
    check_sid,
    client,
    eq,
    http,
    run,
    softphone,
    wait_for,
    wait_terminal,
)
from dialtone_whatsapp import (
    ALL_EVENTS,
    CHILD,
    STANDARD,
    check_child_callbacks,
    check_dial_action,
    check_media,
    meta_post,
    meta_signature,
    meta_subscription,
    sender_number,
    terminate_notification,
    user_calls,
    user_number,
    voice_sender,
    wait_user_call_ended,
    whatsapp_user,
)

TERMINAL_CALLBACK = {"completed", "busy", "failed", "no-answer", "canceled"}
AGENT_TO = "client:support"


class Dial:
    """One `<Dial><WhatsApp>` placed by a softphone agent through an application."""

    def __init__(self, c, app, user, whatsapp_attrs="", timeout=20):
        self.c = c
        self.app = app
        self.sender = sender_number()
        self.user = user_number()
        self.agent = f"agent-{uuid.uuid4().hex[:10]}"
        # The sender's own voice application (what a user calling the business reaches): it is
        # what makes the sender voice-enabled, and must not be fetched by an outbound dial.
        self.sender_app = c.applications.create(friendly_name="whatsapp line", voice_url=app.url + "/wa-voice")
        self.sender_record = voice_sender(c, self.sender, self.sender_app.sid)
        whatsapp_user(self.user, **user)
        softphone(self.agent)
        app.route(
            "/agent",
            f'<Response><Dial callerId="whatsapp:{self.sender}" action="{app.url}/dial-action" '
            f'timeout="{timeout}"><WhatsApp statusCallback="{app.url}/wa-status" '
            f'statusCallbackEvent="{ALL_EVENTS}"{whatsapp_attrs}>{self.user}</WhatsApp></Dial></Response>',
        )
        app.route("/dial-action", "<Response><Hangup/></Response>")
        self.application = c.applications.create(friendly_name="agent desk", voice_url=app.url + "/agent")
        self.parent = None
        self.expected = []

    def place(self):
        """The agent calls the application; returns the parent call's SID."""
        status, body = http(
            "POST",
            f"/sim/v1/Clients/{self.agent}/Calls",
            {"ApplicationSid": self.application.sid, "To": AGENT_TO},
        )
        eq(status, 201, f"the agent's call: {body}")
        self.parent = body["sid"]
        check_sid(self.parent, "CA", "parent sid")
        return self.parent

    def voice_request(self):
        """The application's one voice request for the agent's call."""
        requests = self.app.wait_received("/agent", 1, self.parent)
        eq(len(requests), 1, "voice requests for the agent's call")
        p = requests[0].params
        # A Voice SDK call into a TwiML App: Twilio's legacy Called/Caller too.
        eq(sorted(p), sorted(STANDARD + ["ApplicationSid", "Called", "Caller"]), "voice request parameters")
        eq(
            (p["CallStatus"], p["Direction"], p["From"], p["To"], p["ApplicationSid"]),
            ("ringing", "inbound", f"client:{self.agent}", AGENT_TO, self.application.sid),
            "voice request",
        )
        eq((p["Called"], p["Caller"]), (AGENT_TO, f"client:{self.agent}"), "voice request Called/Caller")

    def callbacks(self):
        return [r for r in self.app.received("/wa-status") if r.params.get("ParentCallSid") == self.parent]

    def wait_callback(self, statuses, timeout=20.0):
        """Waits for a child status callback whose CallStatus is in `statuses`."""
        return wait_for(
            lambda: [r for r in self.callbacks() if r.params.get("CallStatus") in statuses],
            f"a child status callback in {sorted(statuses)}",
            timeout,
        )[0]

    def child_callbacks(self, expected):
        """Waits for the child's terminal callback, then checks them all (see
        `check_child_callbacks`); returns the child's SID."""
        self.wait_callback(TERMINAL_CALLBACK)
        self.expected = expected
        return check_child_callbacks(self.callbacks(), expected, self.parent, self.sender, self.user)

    def action(self, call_status, dial):
        requests = self.app.wait_received("/dial-action", 1, self.parent, timeout=20.0)
        eq(len(requests), 1, "action requests")
        check_dial_action(
            requests[0], self.parent, self.application.sid, f"client:{self.agent}", AGENT_TO, call_status, dial
        )

    def records(self, child, child_status, child_duration, parent_status="completed"):
        """The parent's and the child's REST records once both ended."""
        parent = wait_terminal(self.c, self.parent, timeout=20.0)
        eq(parent.status, parent_status, "parent status")
        eq((parent.direction, parent._from, parent.to), ("inbound", f"client:{self.agent}", AGENT_TO), "parent")
        children = self.c.calls.list(parent_call_sid=self.parent)
        eq([x.sid for x in children], [child], "the parent's children")
        record = wait_terminal(self.c, child, timeout=20.0)
        eq(
            (record.status, record.duration, record.direction, record._from, record.to, record.parent_call_sid),
            (child_status, child_duration, "outbound-dial", f"whatsapp:{self.sender}", f"whatsapp:{self.user}", self.parent),
            "child record (status, duration, direction, from, to, parent)",
        )
        return record

    def notifications(self, call):
        return [(n.error_code, n.log) for n in self.c.calls(call).notifications.list()]

    def user_saw(self, statuses, min_rtp=None):
        """The simulated user's calls, all ended, with these statuses (oldest first); answered
        ones (`min_rtp` given) with media both ways, the others without a media leg."""
        calls = wait_user_call_ended(self.user, len(statuses))
        # Nothing arrived after the terminal status callback.
        eq(len(self.callbacks()), len(self.expected), "child status callbacks at the end")
        eq([call["status"] for call in calls], statuses, "the WhatsApp user's calls")
        for call in calls:
            eq(call["direction"], "BUSINESS_INITIATED", "the WhatsApp user's call direction")
            eq((call["from"], call["to"]), (f"whatsapp:{self.sender}", f"whatsapp:{self.user}"), "user call parties")
            if min_rtp is None:
                eq(call["media"], None, "media of an unanswered call")
            else:
                check_media(call, min_rtp)
        return calls

    def no_other_requests(self):
        """Nothing fetched the sender's voice application (it is for user-initiated calls)."""
        eq(self.app.received("/wa-voice"), [], "requests to the sender's voice application")


def answered_user_hangup(c, app):
    """The user answers after 0.2 s and hangs up 2.5 s later: completed, duration 2."""
    d = Dial(c, app, {"Permission": "granted", "AnswerAfter": "0.2", "HangupAfter": "2.5"})
    d.place()
    child = d.child_callbacks([("initiated", None), ("ringing", None), ("in-progress", None), ("completed", "2")])
    d.action(
        "in-progress",
        {"DialCallStatus": "completed", "DialCallSid": child, "DialCallDuration": "2", "DialBridged": "true"},
    )
    d.voice_request()
    d.records(child, "completed", "2")
    eq(d.notifications(child), [], "notifications of the child")
    eq(d.notifications(d.parent), [], "notifications of the parent")
    calls = d.user_saw(["completed"], min_rtp=50)
    # Meta's `duration`: whole seconds from the user's answer to the hang-up.
    eq(calls[0]["duration"], 2, "the WhatsApp user's call duration")
    d.no_other_requests()


def answered_agent_hangup(c, app):
    """The user answers and stays; 1.2 s after the answer the application hangs the agent's
    call up over REST: the child is completed with duration 1 and the WhatsApp call is
    terminated; `action` is still requested with the parent's final status."""
    d = Dial(c, app, {"Permission": "granted", "AnswerAfter": "0.2"})
    d.place()
    d.wait_callback({"in-progress"})
    # At least 1.2 s after the answer; under 2 s unless the machine stalls for 0.8 s.
    time.sleep(1.2)
    updated = c.calls(d.parent).update(status="completed")
    eq(updated.sid, d.parent, "updated call")
    child = d.child_callbacks([("initiated", None), ("ringing", None), ("in-progress", None), ("completed", "1")])
    d.action(
        "completed",
        {"DialCallStatus": "completed", "DialCallSid": child, "DialCallDuration": "1", "DialBridged": "true"},
    )
    d.records(child, "completed", "1")
    d.user_saw(["completed"], min_rtp=25)
    d.no_other_requests()


def busy(c, app):
    """A busy user: the child ends busy without ringing; `DialCallStatus=busy`."""
    d = Dial(c, app, {"Permission": "granted", "Behavior": "busy"})
    d.place()
    child = d.child_callbacks([("initiated", None), ("busy", "0")])
    d.action(
        "in-progress",
        {"DialCallStatus": "busy", "DialCallSid": child, "DialCallDuration": "0", "DialBridged": "false"},
    )
    d.records(child, "busy", "0")
    eq(d.notifications(child), [], "notifications of a busy child")
    d.user_saw(["busy"])


def rejected(c, app):
    """The user declines after ringing 0.3 s: busy, as Twilio reports a declined call."""
    d = Dial(c, app, {"Permission": "granted", "Behavior": "reject", "AnswerAfter": "0.3"})
    d.place()
    child = d.child_callbacks([("initiated", None), ("ringing", None), ("busy", "0")])
    d.action(
        "in-progress",
        {"DialCallStatus": "busy", "DialCallSid": child, "DialCallDuration": "0", "DialBridged": "false"},
    )
    d.records(child, "busy", "0")
    d.user_saw(["rejected"])


def no_answer(c, app):
    """Nobody answers within the Dial's timeout (5 s): no-answer, and the WhatsApp call is
    terminated at Meta."""
    d = Dial(c, app, {"Permission": "granted", "Behavior": "no-answer"}, timeout=5)
    d.place()
    child = d.child_callbacks([("initiated", None), ("ringing", None), ("no-answer", "0")])
    d.action(
        "in-progress",
        {"DialCallStatus": "no-answer", "DialCallSid": child, "DialCallDuration": "0", "DialBridged": "false"},
    )
    d.records(child, "no-answer", "0")
    # Dialtone gave up first and terminated the ringing call.
    d.user_saw(["canceled"])


def no_permission(c, app):
    """No call permission: Meta refuses the connect (138006), the child fails with a 37000
    notification and `DialCallStatus=failed`. A second dial fails the same way without
    reaching Meta (the permission cache), and the user's phone never rang."""
    d = Dial(c, app, {"Permission": "none"})
    for attempt in (1, 2):
        d.place()
        child = d.child_callbacks([("initiated", None), ("failed", "0")])
        d.action(
            "in-progress",
            {"DialCallStatus": "failed", "DialCallSid": child, "DialCallDuration": "0", "DialBridged": "false"},
        )
        d.records(child, "failed", "0")
        notes = c.calls(child).notifications.list()
        eq([(n.error_code, n.log, n.call_sid) for n in notes], [("37000", "0", child)], f"notification {attempt}")
        eq(notes[0].more_info, "https://www.twilio.com/docs/errors/37000", "notification more_info")
        eq(d.notifications(d.parent), [], "notifications of the parent")
    eq(user_calls(d.user), [], "the WhatsApp user's calls (none rang)")


def unreachable(c, app):
    """A phone that cannot be reached never rings; Meta ends the call with error 138001
    ("receiver is uncallable"), which Dialtone reports as 13224 on a failed child, like an
    unreachable softphone."""
    d = Dial(c, app, {"Permission": "granted", "Behavior": "unreachable"})
    d.place()
    child = d.child_callbacks([("initiated", None), ("failed", "0")])
    d.action(
        "in-progress",
        {"DialCallStatus": "failed", "DialCallSid": child, "DialCallDuration": "0", "DialBridged": "false"},
    )
    d.records(child, "failed", "0")
    eq(d.notifications(child), [("13224", "0")], "notifications of the child")
    d.user_saw(["failed"])


def whisper_hangup(c, app):
    """The whisper (`url`) ends in `<Hangup>`: the answered child is never bridged; it ends
    completed and `action` gets `DialBridged=false`. The whisper request carries the child's
    parameters."""
    d = Dial(c, app, {"Permission": "granted", "AnswerAfter": "0.2"}, whisper_attr(app, "/whisper"))
    app.route("/whisper", "<Response><Say>Goodbye</Say><Hangup/></Response>")
    d.place()
    # The child lives as long as espeak-ng takes to speak the whisper: under a loaded machine
    # that can pass one second, so its duration is 0 or 1 (never more), the same everywhere.
    d.wait_callback(TERMINAL_CALLBACK)
    duration = d.callbacks()[-1].params.get("CallDuration")
    check(duration in ("0", "1"), f"the whispered child's CallDuration: {duration!r}")
    child = d.child_callbacks([("initiated", None), ("ringing", None), ("in-progress", None), ("completed", duration)])
    whisper = app.received("/whisper", child)
    eq(len(whisper), 1, "whisper requests")
    check_child_request(whisper[0], child, d, {})
    d.action(
        "in-progress",
        {"DialCallStatus": "completed", "DialCallSid": child, "DialCallDuration": duration, "DialBridged": "false"},
    )
    d.records(child, "completed", duration)
    d.user_saw(["completed"], min_rtp=1)


def whisper_gather(c, app):
    """The whisper `<Gather numDigits="1">` gets the user's DTMF (RFC 4733 over the WebRTC leg):
    its action receives `Digits=1` for the child, then the call is bridged; the user hangs up
    6.5 s after answering."""
    d = Dial(
        c,
        app,
        {"Permission": "granted", "AnswerAfter": "0.2", "Digits": "1", "HangupAfter": "6.5"},
        whisper_attr(app, "/whisper"),
    )
    app.route(
        "/whisper",
        f'<Response><Gather numDigits="1" timeout="10" action="{app.url}/screen">'
        "<Say>Press 1 to accept the call</Say></Gather><Hangup/></Response>",
    )
    app.route("/screen", "<Response><Say>Connecting</Say></Response>")
    d.place()
    child = d.child_callbacks([("initiated", None), ("ringing", None), ("in-progress", None), ("completed", "6")])
    eq(len(app.received("/whisper", child)), 1, "whisper requests")
    screen = app.received("/screen", child)
    eq(len(screen), 1, "gather action requests")
    check_child_request(screen[0], child, d, {"Digits": "1"})
    d.action(
        "in-progress",
        {"DialCallStatus": "completed", "DialCallSid": child, "DialCallDuration": "6", "DialBridged": "true"},
    )
    d.records(child, "completed", "6")
    d.user_saw(["completed"], min_rtp=150)


def forged_webhooks(c, app):
    """Meta's webhook receiver while an answered call is live. A terminate for that call sent
    unsigned (401), signed with another secret or a malformed signature (403) is refused; a
    correctly signed body that is not JSON is 400; a correctly signed terminate for a call
    nobody knows is accepted and ignored; the subscription check answers the challenge only to
    the right verify token. The call goes on untouched until the agent's side hangs up.
    The harness sets `DIALTONE_WHATSAPP_APP_SECRET`/`_VERIFY_TOKEN` for server and script."""
    secret = os.environ["DIALTONE_WHATSAPP_APP_SECRET"]
    verify_token = os.environ["DIALTONE_WHATSAPP_VERIFY_TOKEN"]
    d = Dial(c, app, {"Permission": "granted", "AnswerAfter": "0.2"})
    d.place()
    child = d.wait_callback({"in-progress"}).params["CallSid"]
    answered = time.monotonic()
    live = wait_for(
        lambda: [x for x in user_calls(d.user) if x["status"] == "in-progress"], "the user's call in progress"
    )[0]
    pnid = d.sender_record.configuration["phone_number_id"]
    forged = terminate_notification(pnid, live["call_id"], d.sender, d.user)
    eq(meta_post(forged, None), 401, "unsigned terminate")
    eq(meta_post(forged, meta_signature("not-the-app-secret", forged)), 403, "terminate signed with another secret")
    eq(meta_post(forged, "sha256=" + "0" * 64), 403, "terminate with a wrong signature")
    eq(meta_post(forged, "md5=" + meta_signature(secret, forged)[7:]), 403, "malformed signature header")
    eq(meta_post(forged + b" ", meta_signature(secret, forged)), 403, "signature of another body")
    garbage = b'{"object": "whatsapp_business_account", "entry": ['
    eq(meta_post(garbage, meta_signature(secret, garbage)), 400, "signed, but not JSON")
    unknown = terminate_notification(pnid, "wacid.forged" + uuid.uuid4().hex, d.sender, d.user)
    eq(meta_post(unknown, meta_signature(secret, unknown)), 200, "signed terminate of an unknown call")
    eq(meta_subscription("wrong-" + verify_token, "1158201444")[0], 403, "subscription check, wrong token")
    eq(meta_subscription(verify_token, "1158201444"), (200, "1158201444"), "subscription check")

    eq(c.calls(child).fetch().status, "in-progress", "the child after the forged webhooks")
    eq([x["status"] for x in user_calls(d.user)], ["in-progress"], "the user's call after the forged webhooks")
    time.sleep(max(0.0, 1.2 - (time.monotonic() - answered)))
    c.calls(d.parent).update(status="completed")
    child = d.child_callbacks([("initiated", None), ("ringing", None), ("in-progress", None), ("completed", "1")])
    d.action(
        "completed",
        {"DialCallStatus": "completed", "DialCallSid": child, "DialCallDuration": "1", "DialBridged": "true"},
    )
    d.records(child, "completed", "1")
    d.user_saw(["completed"], min_rtp=25)


def rest_call(c, app):
    """Not a `<Dial>`: a REST call `From=whatsapp:+S`, `To=whatsapp:+U` (Twilio's other way to
    call a WhatsApp user). The user answers and hangs up 2.5 s later: the voice URL is fetched
    once the call is answered, the status callbacks are the REST call's own (`outbound-api`,
    no `ParentCallSid`). A REST call to a user without permission fails with 37000; mixing
    WhatsApp with phone numbers is 21212 and a `From` that is no sender 37008."""
    sender, user, refusing = sender_number(), user_number(), user_number()
    line = c.applications.create(friendly_name="whatsapp line", voice_url=app.url + "/wa-voice")
    voice_sender(c, sender, line.sid)
    whatsapp_user(user, Permission="granted", AnswerAfter="0.2", HangupAfter="2.5")
    whatsapp_user(refusing)
    voice = app.route("/rest-voice", '<Response><Pause length="30"/></Response>')
    call = c.calls.create(
        to=f"whatsapp:{user}",
        from_=f"whatsapp:{sender}",
        url=voice,
        status_callback=app.url + "/rest-status",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    check_sid(call.sid, "CA", "REST call sid")
    ended = wait_terminal(c, call.sid, timeout=20.0)
    eq(
        (ended.status, ended.duration, ended.direction, ended._from, ended.to),
        ("completed", "2", "outbound-api", f"whatsapp:{sender}", f"whatsapp:{user}"),
        "REST call record (status, duration, direction, from, to)",
    )
    voice_requests = app.received("/rest-voice", call.sid)
    eq(len(voice_requests), 1, "voice requests")
    eq(
        voice_requests[0].params,
        {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": call.sid,
            "CallStatus": "in-progress",
            "Direction": "outbound-api",
            "From": f"whatsapp:{sender}",
            "To": f"whatsapp:{user}",
        },
        "voice request",
    )
    callbacks = app.wait_received("/rest-status", 4, call.sid)
    eq(
        [(r.params["CallStatus"], r.params["SequenceNumber"], r.params.get("CallDuration")) for r in callbacks],
        [("initiated", "0", None), ("ringing", "1", None), ("in-progress", "2", None), ("completed", "3", "2")],
        "REST call status callbacks",
    )
    for r in callbacks:
        keys = STANDARD + ["CallbackSource", "SequenceNumber", "Timestamp"]
        keys += ["CallDuration"] if r.params["CallStatus"] == "completed" else []
        eq(sorted(r.params), sorted(keys), f"{r.params['CallStatus']} callback parameters")
        eq(
            (r.params["Direction"], r.params["From"], r.params["To"]),
            ("outbound-api", f"whatsapp:{sender}", f"whatsapp:{user}"),
            "REST call callback",
        )
    calls = wait_user_call_ended(user)
    eq([x["status"] for x in calls], ["completed"], "the user's calls")
    check_media(calls[0], 50)

    refused = c.calls.create(to=f"whatsapp:{refusing}", from_=f"whatsapp:{sender}", url=voice)
    eq(wait_terminal(c, refused.sid).status, "failed", "REST call to a user without permission")
    eq([n.error_code for n in c.calls(refused.sid).notifications.list()], ["37000"], "its notification")
    eq(app.received("/rest-voice", refused.sid), [], "no voice request for the refused call")
    eq(app.received("/wa-voice"), [], "requests to the sender's voice application")

    # Refused before any call exists: WhatsApp and the phone network do not mix, and the
    # From must be a voice-enabled sender of the account.
    for to, from_, expected, what in (
        ("+442071838750", f"whatsapp:{sender}", (400, 21212), "a phone number called from a WhatsApp sender"),
        (f"whatsapp:{user}", "+442071838750", (400, 21212), "a WhatsApp user called from a phone number"),
        (f"whatsapp:{user}", f"whatsapp:{sender_number()}", (400, 37008), "a From that is not a sender"),
    ):
        try:
            c.calls.create(to=to, from_=from_, url=voice)
            raise AssertionError(f"{what}: the call was created")
        except TwilioRestException as e:
            eq((e.status, e.code), expected, what)


def whisper_attr(app, path):
    return f' url="{app.url}{path}"'


def check_child_request(request, child, d, extra):
    """A TwiML request made for the child (whisper, gather action): its standard parameters,
    with `ParentCallSid`, and `extra`."""
    p = request.params
    eq(request.method, "POST", "child request method")
    eq(sorted(p), sorted(CHILD + list(extra)), f"{request.path} parameters")
    eq(
        p,
        {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": child,
            "CallStatus": "in-progress",
            "Direction": "outbound-dial",
            "From": f"whatsapp:{d.sender}",
            "To": f"whatsapp:{d.user}",
            "ParentCallSid": d.parent,
            **extra,
        },
        f"{request.path} request",
    )


SCENARIOS = {
    f.__name__.replace("_", "-"): f
    for f in (
        answered_user_hangup,
        answered_agent_hangup,
        busy,
        rejected,
        no_answer,
        no_permission,
        unreachable,
        whisper_hangup,
        whisper_gather,
        forged_webhooks,
        rest_call,
    )
}


def main():
    names = sys.argv[1:] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    check(not unknown, f"unknown scenarios {unknown}; known: {list(SCENARIOS)}")
    c = client()
    for name in names:
        started = time.monotonic()
        with App() as app:
            SCENARIOS[name](c, app)
        print(f"  {name}: ok ({time.monotonic() - started:.2f}s)")


if __name__ == "__main__":
    run(main)
