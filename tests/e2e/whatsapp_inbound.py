"""A WhatsApp user calls the business: the embedded simulator sends Meta's `connect` webhook,
Dialtone creates an inbound call on the sender's voice application (`From=whatsapp:+U`,
`To=whatsapp:+S`, `Direction=inbound`, signed like every webhook), runs its `<Say>` and
`<Hangup>`, and the user's call ends. Then the same call refused by the application's
`<Reject>`, and a call to a sender without a voice application (37009).

Usage: `whatsapp_inbound.py` (run by `crates/cli/tests/e2e_whatsapp.rs`)."""

from twilio.rest.messaging.v2.channels_sender import ChannelsSenderList

from dialtone_e2e import ACCOUNT_SID, App, check_sid, client, eq, run, wait_for, wait_terminal
from dialtone_whatsapp import (
    STANDARD,
    check_media,
    sender_number,
    senders,
    user_calls_business,
    user_number,
    voice_sender,
    wait_user_call_ended,
    whatsapp_user,
)

# Four words: 1.6 s of simulated speech, so the answered call lasts 1 s (rounded down).
GREETING = "Thanks for calling Acme"


def user_calls_the_business(c, app):
    sender, user = sender_number(), user_number()
    voice = app.route("/wa-voice", f"<Response><Say>{GREETING}</Say><Hangup/></Response>")
    application = c.applications.create(
        friendly_name="whatsapp line", voice_url=voice, status_callback=app.url + "/wa-app-status"
    )
    voice_sender(c, sender, application.sid)
    # Calling a business needs no permission: that is for the business calling the user.
    whatsapp_user(user)

    placed = user_calls_business(user, sender)
    eq((placed["from"], placed["to"]), (f"whatsapp:{user}", f"whatsapp:{sender}"), "the user's call")
    eq(placed["direction"], "USER_INITIATED", "the user's call direction")

    requests = app.wait_received("/wa-voice", 1, timeout=15.0)
    eq(len(requests), 1, "voice requests")
    v = requests[0].params
    eq(requests[0].method, "POST", "voice request method")
    eq(sorted(v), sorted(STANDARD + ["ApplicationSid"]), "voice request parameters")
    call_sid = v["CallSid"]
    check_sid(call_sid, "CA", "inbound CallSid")
    eq(
        v,
        {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "ApplicationSid": application.sid,
            "CallSid": call_sid,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "From": f"whatsapp:{user}",
            "To": f"whatsapp:{sender}",
        },
        "voice request",
    )

    # The user's side: the call was answered (pre_accept, accept) and then ended by the business.
    # (Waited for first: the voice request can reach the application before the new call's
    # record is stored, so an immediate REST fetch of the CallSid may answer 404.)
    calls = wait_user_call_ended(user)
    eq([(x["status"], x["direction"]) for x in calls], [("completed", "USER_INITIATED")], "the user's calls")
    check_media(calls[0], 25)

    call = wait_terminal(c, call_sid, timeout=15.0)
    eq(
        (call.status, call.direction, call._from, call.to, call.duration, call.parent_call_sid),
        ("completed", "inbound", f"whatsapp:{user}", f"whatsapp:{sender}", "1", None),
        "inbound call record (status, direction, from, to, duration, parent)",
    )
    eq([n.error_code for n in c.calls(call_sid).notifications.list()], [], "notifications")

    done = app.wait_received("/wa-app-status", 1, call_sid)
    eq(len(done), 1, "application status callbacks")
    p = done[0].params
    eq(
        sorted(p),
        sorted(STANDARD + ["ApplicationSid", "CallDuration", "CallbackSource", "SequenceNumber", "Timestamp"]),
        "application status callback parameters",
    )
    eq(
        {k: p[k] for k in ("CallStatus", "Direction", "From", "To", "CallDuration", "SequenceNumber")},
        {
            "CallStatus": "completed",
            "Direction": "inbound",
            "From": f"whatsapp:{user}",
            "To": f"whatsapp:{sender}",
            "CallDuration": "1",
            "SequenceNumber": "0",
        },
        "application status callback",
    )

    eq(len(app.received("/wa-voice")), 1, "voice requests at the end")


def rejected_by_the_application(c, app):
    """The voice application answers `<Reject/>`: the call is refused unanswered (Dialtone
    `pre_accept`ed while fetching the TwiML, then sends Meta `reject`); Twilio's default reason
    `rejected` ends the call `no-answer`; the user's call was declined."""
    sender, user = sender_number(), user_number()
    voice = app.route("/reject-voice", "<Response><Reject/></Response>")
    application = c.applications.create(friendly_name="closed line", voice_url=voice)
    voice_sender(c, sender, application.sid)
    whatsapp_user(user)
    user_calls_business(user, sender)
    call_sid = app.wait_received("/reject-voice", 1, timeout=15.0)[0].params["CallSid"]
    calls = wait_user_call_ended(user)
    eq([(x["status"], x["duration"]) for x in calls], [("rejected", None)], "the user's calls")
    call = wait_terminal(c, call_sid, timeout=15.0)
    eq(
        (call.status, call.direction, call._from, call.to, call.duration),
        ("no-answer", "inbound", f"whatsapp:{user}", f"whatsapp:{sender}", "0"),
        "rejected call record (status, direction, from, to, duration)",
    )
    eq([n.error_code for n in c.calls(call_sid).notifications.list()], [], "notifications")
    eq(len(app.received("/reject-voice")), 1, "voice requests")


def sender_without_voice_application(c, app):
    """A user calls a sender that has no voice application: Meta is told `reject` at once, and
    a `failed` inbound call with a 37009 error notification records why (Twilio's "voice
    application not configured")."""
    sender, user = sender_number(), user_number()
    created = senders(c).create(
        ChannelsSenderList.MessagingV2ChannelsSenderRequestsCreate({"sender_id": f"whatsapp:{sender}"})
    )
    eq(created.configuration["voice_application_sid"], None, "the sender's voice application")
    whatsapp_user(user)
    user_calls_business(user, sender)
    calls = wait_user_call_ended(user)
    eq([x["status"] for x in calls], ["rejected"], "the user's calls")
    records = wait_for(lambda: c.calls.list(to=f"whatsapp:{sender}"), "the refused call's record", 15.0)
    eq(len(records), 1, "calls to the sender")
    call = wait_terminal(c, records[0].sid)
    eq(
        (call.status, call.direction, call._from, call.to),
        ("failed", "inbound", f"whatsapp:{user}", f"whatsapp:{sender}"),
        "refused call record (status, direction, from, to)",
    )
    notes = c.calls(call.sid).notifications.list()
    eq([(n.error_code, n.log) for n in notes], [("37009", "0")], "notifications")
    eq(notes[0].more_info, "https://www.twilio.com/docs/errors/37009", "notification more_info")


def main():
    c = client()
    for scenario in (user_calls_the_business, rejected_by_the_application, sender_without_voice_application):
        with App() as app:
            scenario(c, app)


if __name__ == "__main__":
    run(main)
