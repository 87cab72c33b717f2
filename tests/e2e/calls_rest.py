"""Calls through twilio-python: create, fetch, list (filters, paging), update (redirect with a
URL and with TwiML, hang up, 21220 once ended), delete, call events and notifications."""

import urllib.parse
import uuid
from datetime import datetime

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
    wait_for,
    wait_terminal,
)

PAUSE = "<Response><Pause length=\"60\"/></Response>"
HANGUP = "<Response><Hangup/></Response>"


def rest_error(call, what):
    try:
        call()
    except TwilioRestException as e:
        return e
    raise AssertionError(f"{what}: expected a TwilioRestException")


def create_fetch_update_delete(c, app, identity):
    voice = app.route("/voice", PAUSE)
    created = c.calls.create(to=f"client:{identity}", from_="+15005550006", url=voice)
    check_sid(created.sid, "CA", "created sid")
    eq(created.account_sid, ACCOUNT_SID, "account_sid")
    eq(created.to, f"client:{identity}", "to")
    eq(created._from, "+15005550006", "from")
    eq(created.status, "queued", "status at creation")
    eq(created.direction, "outbound-api", "direction")
    eq(created.api_version, "2010-04-01", "api_version")
    eq(created.parent_call_sid, None, "parent_call_sid")
    eq(created.uri, f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{created.sid}.json", "uri")
    status, raw = http("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{created.sid}.json")
    eq(status, 200, "raw fetch")
    check_rfc2822(raw["date_created"], "date_created")
    check_rfc2822(raw["date_updated"], "date_updated")
    eq(
        created.subresource_uris["events"],
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{created.sid}/Events.json",
        "subresource_uris.events",
    )

    live = wait_for(
        lambda: (lambda call: call if call.status == "in-progress" else None)(c.calls(created.sid).fetch()),
        "the call to be answered",
    )
    check(live.start_time is not None, "start_time once answered")
    eq(live.end_time, None, "end_time while live")
    first = app.wait_received("/voice", 1, created.sid)[0]
    eq(first.method, "POST", "voice method")
    eq(first.params["CallStatus"], "in-progress", "voice CallStatus")
    eq(first.params["Direction"], "outbound-api", "voice Direction")
    eq(first.params["From"], "+15005550006", "voice From")
    eq(first.params["To"], f"client:{identity}", "voice To")
    eq(first.params["AccountSid"], ACCOUNT_SID, "voice AccountSid")
    eq(first.params["ApiVersion"], "2010-04-01", "voice ApiVersion")
    eq(
        sorted(first.params),
        ["AccountSid", "ApiVersion", "CallSid", "CallStatus", "Direction", "From", "To"],
        "voice request parameters",
    )

    # Redirect with a URL (GET this time), then with TwiML that redirects again.
    redirected = app.route("/redirected", PAUSE)
    updated = c.calls(created.sid).update(url=redirected, method="GET")
    eq(updated.sid, created.sid, "updated sid")
    request = app.wait_received("/redirected", 1, created.sid)[0]
    eq(request.method, "GET", "redirect method")
    eq(request.params["CallStatus"], "in-progress", "redirect CallStatus")
    via_twiml = app.route("/via-twiml", PAUSE)
    c.calls(created.sid).update(twiml=f"<Response><Redirect>{via_twiml}</Redirect></Response>")
    eq(app.wait_received("/via-twiml", 1, created.sid)[0].method, "POST", "<Redirect> method")

    # Hang up, then 21220 for any further change.
    hung_up = c.calls(created.sid).update(status="completed")
    eq(hung_up.sid, created.sid, "hung-up sid")
    ended = wait_terminal(c, created.sid)
    eq(ended.status, "completed", "status after Status=completed")
    check(ended.end_time is not None, "end_time once ended")
    check(ended.duration is not None and ended.duration.isdigit(), f"duration {ended.duration!r}")
    for what, update in (
        ("redirect", lambda: c.calls(created.sid).update(url=redirected)),
        ("hang up", lambda: c.calls(created.sid).update(status="completed")),
        ("cancel", lambda: c.calls(created.sid).update(status="canceled")),
    ):
        e = rest_error(update, f"{what} an ended call")
        eq(e.code, 21220, f"{what} an ended call: code")
        eq(e.status, 400, f"{what} an ended call: HTTP status")

    # Events: every webhook of the call, requests and responses.
    # Events are written off the call's task: wait for the third.
    events = wait_for(
        lambda: (lambda es: es if len(es) >= 3 else None)(c.calls(created.sid).events.list()),
        "3 call events",
    )
    eq(len(events), 3, "call events")
    urls = [e.request["url"].split("?")[0] for e in events]
    eq(sorted(urls), sorted([voice, redirected, via_twiml]), "event request URLs")
    by_url = {e.request["url"].split("?")[0]: e for e in events}
    get = by_url[redirected].request
    eq(
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(get["url"]).query)),
        get["parameters"],
        "GET event: query string == parameters",
    )
    eq(by_url[voice].request["method"], "POST", "event method")
    eq(by_url[redirected].request["method"], "GET", "event method of the GET redirect")
    eq(by_url[voice].request["parameters"]["CallSid"], created.sid, "event parameters.CallSid")
    eq(by_url[voice].response["response_code"], 200, "event response_code")
    eq(by_url[voice].response["content_type"], "text/xml", "event content_type")
    eq(by_url[voice].response["response_body"], PAUSE, "event response_body")

    # Delete: gone afterwards, for fetch, update and delete alike.
    eq(c.calls(created.sid).delete(), True, "delete")
    for what, op in (
        ("fetch", lambda: c.calls(created.sid).fetch()),
        ("delete", lambda: c.calls(created.sid).delete()),
    ):
        e = rest_error(op, f"{what} a deleted call")
        eq((e.status, e.code), (404, 20404), f"{what} a deleted call")


def list_filters_and_paging(c, app, identity):
    hangup = app.route("/hangup", HANGUP)
    to = f"client:{identity}"
    sids = []
    for _ in range(5):
        sids.append(c.calls.create(to=to, from_="+15005550006", url=hangup).sid)
    for sid in sids:
        eq(wait_terminal(c, sid).status, "completed", "hung-up call status")

    # One page of 2, then next pages, as twilio-python follows next_page_uri verbatim.
    listed = c.calls.list(to=to, limit=5, page_size=2)
    eq(len(listed), 5, "calls listed with page_size=2")
    eq(sorted(call.sid for call in listed), sorted(sids), "listed sids")
    eq(len({call.sid for call in listed}), 5, "no call listed twice")
    eq(len(c.calls.list(to=to, limit=3, page_size=2)), 3, "limit=3")
    page = c.calls.page(to=to, page_size=2)
    first = list(page)
    eq(len(first), 2, "first page")
    page = page.next_page()
    second = list(page)
    eq(len(second), 2, "second page")
    page = page.next_page()
    third = list(page)
    eq(len(third), 1, "third page")
    eq(page.next_page(), None, "no page after the last")
    eq(
        [p.sid for p in first + second + third],
        [call.sid for call in listed],
        "pages in list order",
    )

    # Filters.
    eq(len(c.calls.list(to=to, status="completed")), 5, "To + Status=completed")
    eq(c.calls.list(to=to, status="in-progress"), [], "To + Status=in-progress")
    eq(c.calls.list(to=to, from_="+15005550007"), [], "To + another From")
    eq(len(c.calls.list(to=to, from_="+15005550006")), 5, "To + From")
    eq(c.calls.list(to=f"client:nobody-{uuid.uuid4().hex}"), [], "unknown To")
    eq(c.calls.list(parent_call_sid=sids[0]), [], "ParentCallSid of a call without children")
    # twilio-python sends `StartTime>`/`StartTime<` as `YYYY-MM-DDTHH:MM:SSZ`.
    eq(len(c.calls.list(to=to, start_time_after=datetime(2000, 1, 1))), 5, "StartTime> 2000")
    eq(c.calls.list(to=to, start_time_before=datetime(2000, 1, 1)), [], "StartTime< 2000")
    eq(len(c.calls.list(to=to, end_time_before=datetime(2100, 1, 1))), 5, "EndTime< 2100")

    # Each ended in its own TwiML: one voice request per call, all completed.
    for sid in sids:
        eq(len(app.received("/hangup", sid)), 1, "voice requests per call")


def cancel_ringing(c, app):
    slow = f"slow-{uuid.uuid4().hex[:12]}"
    softphone(slow, AnswerAfter="30")
    status = app.url + "/cancel-status"
    call = c.calls.create(
        to=f"client:{slow}",
        from_="+15005550006",
        url=app.route("/never", PAUSE),
        status_callback=status,
        status_callback_event=["ringing", "completed"],
    )
    ringing = app.wait_received("/cancel-status", 1, call.sid)
    eq(ringing[0].params["CallStatus"], "ringing", "ringing callback")
    eq(c.calls(call.sid).update(status="canceled").sid, call.sid, "cancel")
    eq(wait_terminal(c, call.sid).status, "canceled", "status after Status=canceled")
    done = app.wait_received("/cancel-status", 2, call.sid)
    eq(
        [(r.params["CallStatus"], r.params["SequenceNumber"], r.params["CallDuration"]) for r in done[1:]],
        [("canceled", "1", "0")],
        "canceled callback",
    )
    eq(app.received("/never", call.sid), [], "no voice request for a canceled call")


def validation_errors(c, app):
    url = app.route("/unused", PAUSE)
    cases = [
        ("invalid To", dict(to="not a number", from_="+15005550006", url=url), 21211),
        ("invalid From", dict(to="+15005550006", from_="nobody", url=url), 21212),
        ("invalid Url", dict(to="client:x", from_="+15005550006", url="ftp://x"), 21205),
        ("invalid Method", dict(to="client:x", from_="+15005550006", url=url, method="PUT"), 21209),
        ("invalid Timeout", dict(to="client:x", from_="+15005550006", url=url, timeout=-1), 21208),
        (
            "invalid StatusCallbackEvent",
            dict(to="client:x", from_="+15005550006", url=url, status_callback=url,
                 status_callback_event=["picked-up"]),
            21626,
        ),
        ("Twiml over 4000 characters", dict(to="client:x", from_="+15005550006",
                                            twiml="<Response>" + "<Pause/>" * 600 + "</Response>"), 32018),
        ("unknown ApplicationSid", dict(to="client:x", from_="+15005550006",
                                        application_sid="AP" + uuid.uuid4().hex), 21218),
    ]
    for what, params, code in cases:
        e = rest_error(lambda: c.calls.create(**params), what)
        eq((e.status, e.code), (400, code), what)
    eq(app.received("/unused"), [], "no call placed by an invalid request")


def notifications_after_app_error(c, app, identity):
    broken = app.route("/broken", "oops", status=500, content_type="text/plain")
    call = c.calls.create(to=f"client:{identity}", from_="+15005550006", url=broken)
    ended = wait_terminal(c, call.sid)
    eq(ended.status, "completed", "status after an application error")
    notifications = wait_for(
        lambda: c.calls(call.sid).notifications.list(), "a notification for the 500"
    )
    codes = [n.error_code for n in notifications]
    check("11200" in codes, f"11200 among the notifications: {codes}")
    n = notifications[codes.index("11200")]
    check_sid(n.sid, "NO", "notification sid")
    eq(n.call_sid, call.sid, "notification call_sid")
    eq(n.log, "0", "notification log (error)")
    eq(n.request_url, broken, "notification request_url")
    eq(n.request_method, "POST", "notification request_method")
    eq(n.more_info, "https://www.twilio.com/docs/errors/11200", "notification more_info")
    fetched = c.calls(call.sid).notifications(n.sid).fetch()
    eq(fetched.error_code, "11200", "fetched notification")
    events = c.calls(call.sid).events.list()
    eq([e.response["response_code"] for e in events], [500], "the 500 in the call's events")


def main():
    c = client()
    identity = f"rest-{uuid.uuid4().hex[:12]}"
    softphone(identity, AnswerAfter="0.05")
    with App() as app:
        create_fetch_update_delete(c, app, identity)
        list_filters_and_paging(c, app, identity)
        notifications_after_app_error(c, app, identity)
        cancel_ringing(c, app)
        validation_errors(c, app)


if __name__ == "__main__":
    run(main)
