"""Webhook details and API keys through twilio-python: a voice URL with connection overrides
(`#rc=...`, not signed), GET status callbacks (signed over the query string), the fallback
URL with ErrorCode/ErrorUrl after a 500, a call placed with an ApplicationSid, and an API key
(`SK...` + secret) created with `new_keys` and used as twilio-python's credentials."""

import uuid

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from dialtone_e2e import ACCOUNT_SID, BASE_URL, App, check, check_sid, client, eq, run, softphone, wait_terminal

HANGUP = "<Response><Hangup/></Response>"


def overrides_and_get_callbacks(c, app, identity):
    voice = app.route("/override", HANGUP) + "#rc=0&ct=1000&rt=2000"
    call = c.calls.create(
        to=f"client:{identity}",
        from_="+15005550006",
        url=voice,
        status_callback=app.url + "/get-status?tenant=a%20b",
        status_callback_method="GET",
        status_callback_event=["answered", "completed"],
    )
    eq(wait_terminal(c, call.sid).status, "completed", "call with overrides")
    eq(len(app.wait_received("/override", 1, call.sid)), 1, "voice request (fragment not sent)")
    callbacks = app.wait_received("/get-status", 2, call.sid)
    eq([r.method for r in callbacks], ["GET", "GET"], "callback method")
    eq([r.params["CallStatus"] for r in callbacks], ["in-progress", "completed"], "GET callbacks")
    eq([r.params["tenant"] for r in callbacks], ["a b", "a b"], "configured query kept")


def fallback_after_500(c, app, identity):
    broken = app.route("/fails", "no", status=500, content_type="text/plain")
    fallback = app.route("/fallback", HANGUP)
    call = c.calls.create(to=f"client:{identity}", from_="+15005550006", url=broken, fallback_url=fallback)
    eq(wait_terminal(c, call.sid).status, "completed", "call saved by its fallback")
    requests = app.wait_received("/fallback", 1, call.sid)
    eq(len(requests), 1, "fallback requests")
    p = requests[0].params
    eq((p["ErrorCode"], p["ErrorUrl"]), ("11200", broken), "fallback ErrorCode/ErrorUrl")
    eq(p["CallStatus"], "in-progress", "fallback CallStatus")
    eq(len(app.received("/fails", call.sid)), 1, "primary requests")


def application_call(c, app, identity):
    voice = app.route("/app-voice", HANGUP)
    application = c.applications.create(
        friendly_name="e2e app call", voice_url=voice, status_callback=app.url + "/app-call-status"
    )
    call = c.calls.create(to=f"client:{identity}", from_="+15005550006", application_sid=application.sid)
    eq(wait_terminal(c, call.sid).status, "completed", "call through an application")
    voice_requests = app.wait_received("/app-voice", 1, call.sid)
    eq(len(voice_requests), 1, "application VoiceUrl fetched")
    eq(
        sorted(voice_requests[0].params),
        sorted(["AccountSid", "ApiVersion", "ApplicationSid", "CallSid", "CallStatus", "Direction", "From", "To"]),
        "application call voice parameters",
    )
    eq(voice_requests[0].params["ApplicationSid"], application.sid, "voice ApplicationSid")
    done = app.wait_received("/app-call-status", 1, call.sid)
    eq(
        [(r.params["CallStatus"], r.params["ApplicationSid"]) for r in done],
        [("completed", application.sid)],
        "application StatusCallback",
    )
    eq(c.applications(application.sid).delete(), True, "delete")


def api_key(c, app, identity):
    key = c.new_keys.create(friendly_name="e2e key")
    check_sid(key.sid, "SK", "key sid")
    check(isinstance(key.secret, str) and len(key.secret) >= 32, "key secret")
    keyed = Client(key.sid, key.secret, account_sid=ACCOUNT_SID)
    keyed.api.base_url = BASE_URL
    call = keyed.calls.create(
        to=f"client:{identity}", from_="+15005550006", url=app.route("/keyed", HANGUP)
    )
    check_sid(call.sid, "CA", "call created with an API key")
    eq(wait_terminal(keyed, call.sid).account_sid, ACCOUNT_SID, "keyed call account")
    # Webhooks are still signed with the account's auth token (the App validates with it).
    eq(len(app.wait_received("/keyed", 1, call.sid)), 1, "keyed call voice request")
    wrong = Client(key.sid, "0" * 32, account_sid=ACCOUNT_SID)
    wrong.api.base_url = BASE_URL
    try:
        wrong.calls(call.sid).fetch()
        raise AssertionError("a wrong key secret was accepted")
    except TwilioRestException as e:
        eq((e.status, e.code), (401, 20003), "wrong key secret")
    c.keys(key.sid).delete()
    try:
        keyed.calls(call.sid).fetch()
        raise AssertionError("a deleted key was accepted")
    except TwilioRestException as e:
        eq((e.status, e.code), (401, 20003), "deleted key")


def main():
    c = client()
    identity = f"hooks-{uuid.uuid4().hex[:12]}"
    softphone(identity, AnswerAfter="0.05")
    with App() as app:
        overrides_and_get_callbacks(c, app, identity)
        fallback_after_500(c, app, identity)
        application_call(c, app, identity)
        api_key(c, app, identity)


if __name__ == "__main__":
    run(main)
