"""Applications CRUD through twilio-python, then a softphone calling into an application whose
TwiML `<Dial><Client>`s another softphone: the inbound voice request, the child's status
callbacks and the `<Dial action>` request. Then softphone calls whose `To` is free text (as the
Voice SDK sends whatever the client code chose): the application and the Call resource see it
exactly as sent."""

import uuid

from twilio.base.exceptions import TwilioRestException

from dialtone_e2e import (
    ACCOUNT_SID,
    App,
    check,
    check_rfc2822,
    check_sid,
    client,
    eq,
    http,
    run,
    softphone,
    wait_terminal,
)

STANDARD = ["AccountSid", "ApiVersion", "CallSid", "CallStatus", "Direction", "From", "To"]


def applications_crud(c, app):
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    created = c.applications.create(
        friendly_name=name,
        voice_url=app.url + "/voice",
        voice_method="GET",
        voice_fallback_url=app.url + "/fallback",
        voice_fallback_method="POST",
        status_callback=app.url + "/status",
        status_callback_method="POST",
    )
    check_sid(created.sid, "AP", "application sid")
    eq(created.account_sid, ACCOUNT_SID, "application account_sid")
    eq(created.friendly_name, name, "friendly_name")
    eq(created.voice_url, app.url + "/voice", "voice_url")
    eq(created.voice_method, "GET", "voice_method")
    eq(created.voice_fallback_url, app.url + "/fallback", "voice_fallback_url")
    eq(created.status_callback, app.url + "/status", "status_callback")
    eq(created.uri, f"/2010-04-01/Accounts/{ACCOUNT_SID}/Applications/{created.sid}.json", "uri")

    fetched = c.applications(created.sid).fetch()
    eq((fetched.sid, fetched.friendly_name, fetched.voice_method), (created.sid, name, "GET"), "fetch")
    eq([a.sid for a in c.applications.list(friendly_name=name)], [created.sid], "list by FriendlyName")
    check(created.sid in [a.sid for a in c.applications.list(page_size=1)], "list with page_size=1")

    updated = c.applications(created.sid).update(friendly_name=name + "-2", voice_method="POST")
    eq((updated.friendly_name, updated.voice_method), (name + "-2", "POST"), "update")
    eq(updated.voice_url, app.url + "/voice", "voice_url kept by update")
    eq(c.applications(created.sid).fetch().friendly_name, name + "-2", "fetch after update")

    eq(c.applications(created.sid).delete(), True, "delete")
    try:
        c.applications(created.sid).fetch()
        raise AssertionError("fetched a deleted application")
    except TwilioRestException as e:
        eq((e.status, e.code), (404, 20404), "fetch a deleted application")
    try:
        c.applications.create(friendly_name=name, voice_url="not a url")
        raise AssertionError("created an application with an invalid VoiceUrl")
    except TwilioRestException as e:
        eq((e.status, e.code), (400, 21205), "invalid VoiceUrl")


def dial_client(c, app):
    caller = f"caller-{uuid.uuid4().hex[:10]}"
    callee = f"callee-{uuid.uuid4().hex[:10]}"
    softphone(caller)
    # Answers after 50 ms and hangs up 1.2 s later: DialCallDuration is 1.
    softphone(callee, AnswerAfter="0.05", HangupAfter="1.2")
    app.route(
        "/inbound",
        '<Response><Dial action="{0}/dial-action" timeout="10">'
        '<Client statusCallback="{0}/child-status" '
        'statusCallbackEvent="initiated ringing answered completed">{1}</Client>'
        "</Dial></Response>".format(app.url, callee),
    )
    app.route("/dial-action", "<Response><Hangup/></Response>")
    application = c.applications.create(
        friendly_name="dial", voice_url=app.url + "/inbound", status_callback=app.url + "/app-status"
    )

    status, body = http(
        "POST",
        f"/sim/v1/Clients/{caller}/Calls",
        {"ApplicationSid": application.sid, "To": "+15551230000", "Customer": "42"},
    )
    eq(status, 201, f"softphone call: {body}")
    parent = body["sid"]
    check_sid(parent, "CA", "parent sid")
    eq(body["direction"], "inbound", "parent direction")
    eq(body["from"], f"client:{caller}", "parent from")

    ended = wait_terminal(c, parent)
    eq(ended.status, "completed", "parent status")

    voice = app.wait_received("/inbound", 1, parent)
    eq(len(voice), 1, "inbound voice requests")
    v = voice[0].params
    eq(v["Direction"], "inbound", "inbound Direction")
    eq(v["From"], f"client:{caller}", "inbound From")
    eq(v["To"], "+15551230000", "inbound To")
    eq(v["Customer"], "42", "extra parameter passed to the VoiceUrl")
    # A Voice SDK call into a TwiML App carries its ApplicationSid and Twilio's legacy
    # Called (= To) and Caller (= From).
    eq(
        sorted(v),
        sorted(STANDARD + ["ApplicationSid", "Called", "Caller", "Customer"]),
        "inbound voice parameters",
    )
    eq((v["Called"], v["Caller"]), ("+15551230000", f"client:{caller}"), "inbound Called/Caller")
    eq(v["ApplicationSid"], application.sid, "inbound ApplicationSid")
    eq(v["CallStatus"], "ringing", "inbound CallStatus")
    check("ParentCallSid" not in v, "no ParentCallSid on the inbound leg")

    children = c.calls.list(parent_call_sid=parent)
    eq(len(children), 1, "children of the parent")
    child = children[0]
    eq(child.parent_call_sid, parent, "child parent_call_sid")
    eq(child.direction, "outbound-dial", "child direction")
    eq(child.to, f"client:{callee}", "child to")
    eq(child.status, "completed", "child status")
    eq(child.duration, "1", "child duration")

    callbacks = app.wait_received("/child-status", 4, child.sid)
    eq(
        [(r.params["CallStatus"], r.params["SequenceNumber"]) for r in callbacks],
        [("initiated", "0"), ("ringing", "1"), ("in-progress", "2"), ("completed", "3")],
        "child status callbacks",
    )
    for r in callbacks:
        check("ApplicationSid" not in r.params, "no ApplicationSid on the child's callbacks")
        eq(r.params["ParentCallSid"], parent, "child callback ParentCallSid")
        eq(r.params["Direction"], "outbound-dial", "child callback Direction")
        eq(r.params["To"], f"client:{callee}", "child callback To")
        eq(r.params["AccountSid"], ACCOUNT_SID, "child callback AccountSid")
    eq(callbacks[3].params["CallDuration"], "1", "child CallDuration")

    actions = app.wait_received("/dial-action", 1, parent)
    eq(len(actions), 1, "dial action requests")
    a = actions[0].params
    eq(
        {k: a.get(k) for k in ("DialCallStatus", "DialCallSid", "DialCallDuration", "DialBridged")},
        {
            "DialCallStatus": "completed",
            "DialCallSid": child.sid,
            "DialCallDuration": "1",
            "DialBridged": "true",
        },
        "dial action parameters",
    )
    eq(a["CallStatus"], "in-progress", "dial action CallStatus")
    eq(a["Direction"], "inbound", "dial action Direction")
    eq(a["CallSid"], parent, "dial action CallSid")

    # The application's StatusCallback receives the parent's `completed`.
    done = app.wait_received("/app-status", 1, parent)
    eq(
        [(r.params["CallStatus"], r.params["Direction"], r.params["ApplicationSid"]) for r in done],
        [("completed", "inbound", application.sid)],
        "app status",
    )
    eq(c.applications(application.sid).delete(), True, "delete the dial application")


def formatted(to):
    """Twilio's `to_formatted`: North American numbers as `(415) 867-5309`, else unchanged."""
    digits = to[2:]
    if to.startswith("+1") and len(digits) == 10 and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return to


def free_form_to(c, app):
    caller = f"sdk-{uuid.uuid4().hex[:10]}"
    softphone(caller)
    app.route("/sdk", '<Response><Redirect>{0}/sdk-next</Redirect></Response>'.format(app.url))
    app.route("/sdk-next", "<Response><Hangup/></Response>")
    application = c.applications.create(
        friendly_name="sdk", voice_url=app.url + "/sdk", status_callback=app.url + "/sdk-status"
    )
    # The SDK's own parameters, names and empty values as the client code chose them.
    custom = {"Customer": "42", "Empty": "", "to": "lower-case", "ToCity": "Nowhere"}
    # (To as sent, or None for no To at all: then it is empty.)
    for sent in ["support", "", "queue-7", "+15557654321", None]:
        want = "" if sent is None else sent
        form = {"ApplicationSid": application.sid, **custom}
        if sent is not None:
            form["To"] = sent
        status, body = http("POST", f"/sim/v1/Clients/{caller}/Calls", form)
        eq(status, 201, f"softphone call to {sent!r}: {body}")
        sid = body["sid"]
        eq((body["to"], body["to_formatted"]), (want, formatted(want)), f"created call to {sent!r}")
        eq(body["from"], f"client:{caller}", "created call from")

        ended = wait_terminal(c, sid)
        eq(ended.status, "completed", f"status of the call to {sent!r}")
        eq((ended.to, ended.to_formatted), (want, formatted(want)), f"fetched call to {sent!r}")
        eq(ended.direction, "inbound", "fetched direction")
        if want:
            listed = c.calls.list(to=want, page_size=50)
            check(sid in [x.sid for x in listed], f"list To={want!r} finds {sid}")
            eq({x.to for x in listed}, {want}, f"list To={want!r} returns only that To")
        else:
            # An empty filter is no filter, as for Twilio's other optional parameters.
            listed = c.calls.list(to="", page_size=50)
            check(sid in [x.sid for x in listed], f"list To='' (no filter) finds {sid}")

        standard = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "ApplicationSid": application.sid,
            "CallSid": sid,
            "CallStatus": "ringing",
            "Called": want,
            "Caller": f"client:{caller}",
            "Direction": "inbound",
            "From": f"client:{caller}",
            "To": want,
        }
        voice = app.wait_received("/sdk", 1, sid)
        eq(len(voice), 1, f"voice requests for To={sent!r}")
        eq(voice[0].params, {**standard, **custom}, f"voice request for To={sent!r}")
        # The redirect is the application's own request: no SDK parameters.
        redirect = app.wait_received("/sdk-next", 1, sid)
        eq(redirect[0].params, standard, f"redirect request for To={sent!r}")
        done = app.wait_received("/sdk-status", 1, sid)
        eq(len(done), 1, f"status callbacks for To={sent!r}")
        d = dict(done[0].params)
        check_rfc2822(d.pop("Timestamp", None), "status callback Timestamp")
        eq(
            d,
            {
                **standard,
                "CallStatus": "completed",
                "CallDuration": "0",
                "CallbackSource": "call-progress-events",
                "SequenceNumber": "0",
            },
            f"status callback for To={sent!r}",
        )
    eq(c.applications(application.sid).delete(), True, "delete the sdk application")


def main():
    c = client()
    with App() as app:
        applications_crud(c, app)
        dial_client(c, app)
        free_form_to(c, app)


if __name__ == "__main__":
    run(main)
