"""WhatsApp pieces of Dialtone's end-to-end scripts, on top of `dialtone_e2e`.

- voice-enabled senders through twilio-python's `client.messaging.v2.channels_senders`;
- simulated WhatsApp users (`/sim/v1/WhatsAppUsers`, the embedded Meta simulator that `dialtone
  serve` runs by default) and the calls they see;
- the exact status callbacks of a `<Dial><WhatsApp>` child and the `<Dial action>` request,
  checked parameter by parameter.

Numbers are random so that scenarios sharing a server never share a business/user pair (Meta
allows one active call per pair and revokes consent after four unanswered calls in a row).
The senders are British and the users Brazilian: Meta offers business-initiated calls to
neither US nor Canadian business numbers.
"""

import base64
import email.utils
import hashlib
import hmac
import json
import random
import urllib.error
import urllib.parse
import urllib.request

from twilio.rest.messaging.v2.channels_sender import ChannelsSenderList

from dialtone_e2e import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    check,
    check_rfc2822,
    check_sid,
    eq,
    http,
    wait_for,
)

# Twilio's standard request parameters, and what a `<Dial>` child's status callback adds.
STANDARD = ["AccountSid", "ApiVersion", "CallSid", "CallStatus", "Direction", "From", "To"]
CHILD = STANDARD + ["ParentCallSid"]
CHILD_CALLBACK = CHILD + ["CallbackSource", "SequenceNumber", "Timestamp"]
DIAL_ACTION = ["DialCallStatus", "DialCallSid", "DialCallDuration", "DialBridged"]
ALL_EVENTS = "initiated ringing answered completed"
# The simulator's final call states (`dialtone_sim::network::CallStatus`).
USER_CALL_ENDED = {"completed", "canceled", "busy", "rejected", "no-answer", "failed"}


def sender_number():
    """A random British mobile number (+44 7700 ...)."""
    return "+447700" + "".join(random.choice("0123456789") for _ in range(6))


def user_number():
    """A random Brazilian mobile number (+55 11 9....-....)."""
    return "+55119" + "".join(random.choice("0123456789") for _ in range(8))


def senders(c):
    """`channels_senders` with the messaging domain pointed at Dialtone."""
    c.messaging.base_url = BASE_URL
    return c.messaging.v2.channels_senders


def voice_sender(c, number, voice_application_sid):
    """Creates the WhatsApp sender `whatsapp:{number}`, voice-enabled by its application."""
    sender = senders(c).create(
        ChannelsSenderList.MessagingV2ChannelsSenderRequestsCreate(
            {
                "sender_id": f"whatsapp:{number}",
                "configuration": {"voice_application_sid": voice_application_sid},
            }
        )
    )
    check_sid(sender.sid, "XE", "sender sid")
    eq(sender.configuration["voice_application_sid"], voice_application_sid, "sender's voice application")
    return sender


def user_path(number):
    return "/sim/v1/WhatsAppUsers/" + urllib.parse.quote(number, safe="")


def whatsapp_user(number, **settings):
    """Creates (or replaces) a simulated WhatsApp user; `settings` are form fields
    (`Permission="granted"`, `Behavior="busy"`, `AnswerAfter="0.2"`...)."""
    params = {"Number": number}
    params.update({k: str(v) for k, v in settings.items()})
    status, body = http("POST", "/sim/v1/WhatsAppUsers", params)
    check(status in (200, 201), f"creating WhatsApp user: {status} {body}")
    eq(body["number"], number, "WhatsApp user's number")
    eq(body["account_sid"], ACCOUNT_SID, "WhatsApp user's account")
    return body


def user_calls(number):
    """The calls the simulated user has seen (business- and user-initiated), as the
    simulator reports them."""
    status, body = http("GET", user_path(number) + "/Calls")
    eq(status, 200, f"listing the WhatsApp user's calls: {body}")
    return body["calls"]


def user_calls_business(number, sender):
    """The user calls the business `whatsapp:{sender}`; returns the simulator's call."""
    status, body = http("POST", user_path(number) + "/Calls", {"To": f"whatsapp:{sender}"})
    eq(status, 201, f"the WhatsApp user calls the business: {body}")
    return body


def wait_user_call_ended(number, count=1, timeout=15.0):
    """Waits until the user has seen `count` calls, none still live and the answered ones with
    their media counters (the simulator shows them once the media leg has stopped, a moment
    after the call ended); returns them."""

    def settled(call):
        return call["status"] in USER_CALL_ENDED and (call["date_answered"] is None or call["media"] is not None)

    def ended():
        calls = user_calls(number)
        return calls if len(calls) >= count and all(settled(call) for call in calls) else None

    return wait_for(ended, f"the WhatsApp user's {count} call(s) to end", timeout)


def check_media(call, min_rtp):
    """The user's media leg of an answered call, as the simulator counted it: at least
    `min_rtp` RTP packets received from Dialtone (one every 20 ms while connected), RTP sent
    back, RTCP both ways, nothing lost (loopback) by either count: the user's own and what
    Dialtone's RTCP receiver reports said of the user's stream."""
    m = call["media"]
    check(m is not None, f"no media counters on the user's call {call}")
    check(m["rtp_received"] >= min_rtp, f"RTP received by the user: {m} (expected at least {min_rtp})")
    check(m["rtp_sent"] > 0, f"RTP sent by the user: {m}")
    check(m["rtcp_received"] > 0 and m["rtcp_sent"] > 0, f"RTCP both ways: {m}")
    eq((m["rtp_lost"], m["remote_lost"]), (0, 0), f"RTP lost on loopback ({m})")


def callback_times(callbacks):
    times = []
    for r in callbacks:
        check_rfc2822(r.params["Timestamp"], "Timestamp")
        times.append(email.utils.parsedate_to_datetime(r.params["Timestamp"]))
    eq(times, sorted(times), "status callback Timestamps in order")


def check_child_callbacks(callbacks, expected, parent, sender, user):
    """`callbacks` (one child's, in arrival order) are exactly `expected`: a list of
    `(CallStatus, CallDuration or None)`; each with every standard parameter, the child's
    `ParentCallSid`, `Direction=outbound-dial`, `From=whatsapp:{sender}`, `To=whatsapp:{user}`,
    `CallbackSource`, `SequenceNumber` from 0 and an RFC 2822 `Timestamp`."""
    eq(
        [(r.params.get("CallStatus"), r.params.get("CallDuration")) for r in callbacks],
        expected,
        "child status callbacks (CallStatus, CallDuration)",
    )
    child = callbacks[0].params["CallSid"]
    check_sid(child, "CA", "child CallSid")
    for i, r in enumerate(callbacks):
        p = r.params
        what = f"{p['CallStatus']} callback"
        eq(r.method, "POST", f"{what} method")
        keys = CHILD_CALLBACK + (["CallDuration"] if expected[i][1] is not None else [])
        eq(sorted(p), sorted(keys), f"{what} parameters")
        eq(
            {k: p[k] for k in CHILD_CALLBACK if k != "Timestamp"},
            {
                "AccountSid": ACCOUNT_SID,
                "ApiVersion": "2010-04-01",
                "CallSid": child,
                "CallStatus": expected[i][0],
                "Direction": "outbound-dial",
                "From": f"whatsapp:{sender}",
                "To": f"whatsapp:{user}",
                "ParentCallSid": parent,
                "CallbackSource": "call-progress-events",
                "SequenceNumber": str(i),
            },
            what,
        )
        eq(r.headers.get("content-type"), "application/x-www-form-urlencoded", f"{what} body type")
    callback_times(callbacks)
    tokens = {r.headers["i-twilio-idempotency-token"] for r in callbacks}
    eq(len(tokens), len(callbacks), "one idempotency token per status callback")
    return child


def check_dial_action(request, parent, application_sid, caller, to, call_status, dial):
    """The `<Dial action>` request: the parent's standard parameters (with its
    `ApplicationSid`, and the legacy `Called`/`Caller` of a Voice SDK parent) and `dial`, the
    expected `DialCallStatus`/`DialCallSid`/`DialCallDuration`/`DialBridged` (only the keys
    given are expected to be present)."""
    p = request.params
    eq(request.method, "POST", "action method")
    legacy = ["Called", "Caller"] if caller.startswith("client:") else []
    own = STANDARD + ["ApplicationSid"] + legacy
    eq(sorted(p), sorted(own + list(dial)), "action parameters")
    expected = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "ApplicationSid": application_sid,
        "CallSid": parent,
        "CallStatus": call_status,
        "Direction": "inbound",
        "From": caller,
        "To": to,
    }
    if legacy:
        expected.update({"Called": to, "Caller": caller})
    eq(
        {k: p[k] for k in own},
        expected,
        "action: the parent's parameters",
    )
    eq({k: p[k] for k in dial}, dial, "action: the dial's outcome")


# Meta's side of the webhook receiver, for the fault scenarios: raw requests to
# `/webhooks/whatsapp`, which takes no Basic auth (Meta authenticates by signature).


def heard_wav(call_sid, sid=ACCOUNT_SID, token=AUTH_TOKEN):
    """GET /sim/v1/Calls/{call_sid}/Heard.wav; returns (status, content type, body bytes)."""
    req = urllib.request.Request(f"{BASE_URL}/sim/v1/Calls/{call_sid}/Heard.wav")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("content-type"), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type"), e.read()


def meta_signature(secret, body):
    """`X-Hub-Signature-256` as Meta computes it: HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def meta_post(body, signature):
    """POSTs `body` (bytes) to the webhook receiver; returns the HTTP status."""
    req = urllib.request.Request(BASE_URL + "/webhooks/whatsapp", data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    if signature is not None:
        req.add_header("X-Hub-Signature-256", signature)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def meta_subscription(verify_token, challenge):
    """Meta's GET subscription check; returns (status, body text)."""
    query = urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    )
    try:
        with urllib.request.urlopen(BASE_URL + "/webhooks/whatsapp?" + query, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def terminate_notification(phone_number_id, call_id, business, user):
    """A Meta `calls` webhook saying the business-initiated call `call_id` ended (as bytes).
    Meta writes numbers without `+`."""
    business, user = business.lstrip("+"), user.lstrip("+")
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "calls",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": business,
                                    "phone_number_id": phone_number_id,
                                },
                                "calls": [
                                    {
                                        "id": call_id,
                                        "from": business,
                                        "to": user,
                                        "event": "terminate",
                                        "direction": "BUSINESS_INITIATED",
                                        "timestamp": "1764072000",
                                        "status": "COMPLETED",
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
