"""Authentication failures (20003, 401 with WWW-Authenticate) and isolation between two
accounts on one server: another account's resources are indistinguishable from missing ones
(20404)."""

import base64
import json
import urllib.error
import urllib.request
import uuid

from twilio.base.exceptions import TwilioException, TwilioRestException

from dialtone_e2e import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    App,
    check,
    client,
    eq,
    http,
    run,
    softphone,
    wait_terminal,
)


class Failure:
    """(HTTP status, Twilio code) of a failed request. twilio-python raises
    TwilioRestException for records and a plain TwilioException (with the response) for
    list pages."""

    def __init__(self, status, code):
        self.status = status
        self.code = code


def rest_error(op, what):
    try:
        op()
    except TwilioRestException as e:
        return Failure(e.status, e.code)
    except TwilioException as e:
        response = e.args[1]
        return Failure(response.status_code, json.loads(response.text)["code"])
    raise AssertionError(f"{what}: expected an error")


def unauthenticated(c, what):
    for op in (lambda: c.calls.list(limit=1), lambda: c.calls("CA" + uuid.uuid4().hex).fetch()):
        e = rest_error(op, what)
        eq((e.status, e.code), (401, 20003), what)


def main():
    check(OTHER_ACCOUNT_SID and OTHER_AUTH_TOKEN, "the harness provides a second account")
    a = client()
    b = client(OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)

    unauthenticated(client(ACCOUNT_SID, "0" * 32), "wrong auth token")
    unauthenticated(client(ACCOUNT_SID, OTHER_AUTH_TOKEN), "the other account's token")
    unauthenticated(client("AC" + uuid.uuid4().hex, AUTH_TOKEN), "unknown account")
    # Valid credentials of B on A's path: the same 401, nothing learned about A.
    e = rest_error(lambda: b.api.v2010.accounts(ACCOUNT_SID).calls.list(limit=1), "B on A's path")
    eq((e.status, e.code), (401, 20003), "B's credentials on A's path")

    # The raw 401: Twilio's error body and a WWW-Authenticate challenge.
    req = urllib.request.Request(f"{BASE_URL}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{ACCOUNT_SID}:wrong".encode()).decode())
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("a wrong token was accepted")
    except urllib.error.HTTPError as err:
        eq(err.code, 401, "raw status")
        check(err.headers.get("WWW-Authenticate", "").startswith("Basic"), f"WWW-Authenticate {err.headers}")
        body = err.read().decode()
        check('"code":20003' in body.replace(" ", ""), f"raw 401 body {body}")
    eq(http("GET", "/sim/v1/Clients", token="f" * 32)[0], 401, "simulator with a wrong token")

    # A call and an application of A, seen from B: 20404 everywhere, absent from lists.
    identity = f"iso-{uuid.uuid4().hex[:10]}"
    softphone(identity, AnswerAfter="0.05")
    with App() as app:
        hangup = app.route("/hangup", "<Response><Hangup/></Response>")
        call = a.calls.create(to=f"client:{identity}", from_="+15005550006", url=hangup)
        eq(wait_terminal(a, call.sid).status, "completed", "A's call")
        application = a.applications.create(friendly_name="iso", voice_url=hangup)
        for what, op in (
            ("fetch A's call", lambda: b.calls(call.sid).fetch()),
            ("update A's call", lambda: b.calls(call.sid).update(status="completed")),
            ("delete A's call", lambda: b.calls(call.sid).delete()),
            ("A's call events", lambda: b.calls(call.sid).events.list()),
            ("A's call notifications", lambda: b.calls(call.sid).notifications.list()),
            ("fetch A's application", lambda: b.applications(application.sid).fetch()),
            ("delete A's application", lambda: b.applications(application.sid).delete()),
            ("a random call", lambda: a.calls("CA" + uuid.uuid4().hex).fetch()),
            ("a random application", lambda: a.applications("AP" + uuid.uuid4().hex).fetch()),
        ):
            e = rest_error(op, what)
            eq((e.status, e.code), (404, 20404), what)
        check(call.sid not in [c.sid for c in b.calls.list()], "A's call not in B's list")
        check(application.sid not in [x.sid for x in b.applications.list()], "A's app not in B's list")
        e = rest_error(
            lambda: b.calls.create(to="client:x", from_="+15005550006", application_sid=application.sid),
            "B creates a call with A's application",
        )
        eq((e.status, e.code), (400, 21218), "A's ApplicationSid used by B")
        # Softphones are per account: A's is unreachable for B's calls.
        status, listed = http("GET", "/sim/v1/Clients", sid=OTHER_ACCOUNT_SID, token=OTHER_AUTH_TOKEN)
        eq(status, 200, "B lists softphones")
        check(identity not in [p["identity"] for p in listed["clients"]], f"A's softphone listed for B: {listed}")
        b_call = b.calls.create(to=f"client:{identity}", from_="+15005550006", url=hangup)
        ended = wait_terminal(b, b_call.sid)
        check(ended.status in ("failed", "no-answer"), f"B's call to A's softphone: {ended.status}")
        eq(app.received("/hangup", b_call.sid), [], "no voice request for B's unreachable call")
        # A's resources are untouched.
        eq(a.calls(call.sid).fetch().status, "completed", "A's call after B's attempts")
        eq(a.applications(application.sid).delete(), True, "A deletes its application")


if __name__ == "__main__":
    run(main)
