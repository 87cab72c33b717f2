"""The Content API through twilio-python's `client.content.v1` (JSON), unchanged but for the
content domain's base URL: create a call-to-action content with the VOICE_CALL_REQUEST action
(the WhatsApp call permission request), fetch it, list it across pages, request WhatsApp
approval and see it go `received` -> `pending` -> `approved` as the simulator's delay passes,
see it in ContentAndApprovals, the validation and isolation errors, and delete it.

Argument `keep`: leave the approved content in place and print `CONTENT_SID=HX...` (the Rust
harness restarts the server and runs `check HX...` to see it survived); `check HX...`: the
content and its approval are still there after the restart, then delete it."""

import random
import sys
import time

from twilio.base.exceptions import TwilioRestException
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList

from dialtone_e2e import (
    BASE_URL,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    check,
    client,
    eq,
    run,
    wait_for,
)

HX_RE = __import__("re").compile("^HX[0-9a-f]{32}$")
ISO_RE = __import__("re").compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def content_api(c):
    """`content.v1` with the content domain pointed at Dialtone."""
    c.content.base_url = BASE_URL
    return c.content.v1


def error(op):
    try:
        op()
    except TwilioRestException as e:
        return (e.status, e.code)
    raise AssertionError("expected an error")


def cpr_request(name):
    types = ContentList.Types(
        {
            "twilio/call-to-action": {
                "body": "May we call you about order {{1}} today?",
                "actions": [{"type": "VOICE_CALL_REQUEST", "title": "Call Request"}],
            }
        }
    )
    return ContentList.ContentCreateRequest(
        {"friendly_name": name, "language": "en", "variables": {"1": "ON-12853"}, "types": types}
    )


def main_flow(keep):
    api = content_api(client())
    contents = api.contents
    name = f"cpr_{random.randrange(10**9)}"
    created = contents.create(cpr_request(name))
    check(HX_RE.match(created.sid), f"content sid {created.sid!r}")
    eq(created.friendly_name, name, "friendly_name")
    eq(created.language, "en", "language")
    eq(created.variables, {"1": "ON-12853"}, "variables")
    eq(
        created.types,
        {
            "twilio/call-to-action": {
                "body": "May we call you about order {{1}} today?",
                "actions": [{"type": "VOICE_CALL_REQUEST", "title": "Call Request"}],
            }
        },
        "types without twilio-python's nulls",
    )
    url = f"{BASE_URL}/v1/Content/{created.sid}"
    eq(created.url, url, "url")
    eq(
        created.links,
        {"approval_create": f"{url}/ApprovalRequests/whatsapp", "approval_fetch": f"{url}/ApprovalRequests"},
        "links",
    )
    check(created.date_created is not None and created.date_created.tzinfo is not None, "ISO date parsed")

    fetched = contents(created.sid).fetch()
    eq(fetched.sid, created.sid, "fetched sid")
    eq(fetched.types, created.types, "fetched types")

    text = contents.create(
        ContentList.ContentCreateRequest(
            {"language": "en", "types": ContentList.Types({"twilio/text": {"body": "Hello"}})}
        )
    )
    listed = [c.sid for c in contents.list(page_size=1)]
    check(created.sid in listed and text.sid in listed, f"both listed across pages of one: {listed}")
    page = contents.page(page_size=1)
    check(page.next_page_url is not None and "PageToken=" in page.next_page_url, "next_page_url")

    # Bad input and isolation, with Twilio's codes.
    bad = ContentList.Types(
        {
            "twilio/call-to-action": {
                "body": "Call?",
                "actions": [
                    {"type": "VOICE_CALL_REQUEST", "title": "Call"},
                    {"type": "URL", "title": "Site", "url": "https://example.test"},
                ],
            }
        }
    )
    eq(
        error(lambda: contents.create(ContentList.ContentCreateRequest({"language": "en", "types": bad}))),
        (400, 20001),
        "VOICE_CALL_REQUEST with another action",
    )
    other = content_api(client(OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)).contents
    eq(error(lambda: other(created.sid).fetch()), (404, 20404), "other account's content")
    eq(error(lambda: other(created.sid).delete()), (404, 20404), "other account's delete")

    # WhatsApp approval: the simulator approves after its delay.
    request = ApprovalCreateList.ContentApprovalRequest({"name": "call_permission_req", "category": "UTILITY"})
    eq(
        error(lambda: other(created.sid).approval_create.create(request)),
        (404, 20404),
        "other account's approval request",
    )
    approval = contents(created.sid).approval_create.create(request)
    eq(approval.status, "received", "approval status on create")
    eq(approval.name, "call_permission_req", "approval name")
    eq(approval.category, "UTILITY", "approval category")
    eq(approval.content_type, "twilio/call-to-action", "approval content_type")
    first = contents(created.sid).approval_fetch().fetch()
    eq(first.sid, created.sid, "approval sid")
    eq(first.whatsapp["status"], "pending", "pending during the simulated review")
    eq(error(lambda: contents(created.sid).approval_create.create(request)), (400, 20001), "second request")
    started = time.monotonic()
    approved = wait_for(
        lambda: (w := contents(created.sid).approval_fetch().fetch().whatsapp)["status"] == "approved" and w,
        "approval",
        timeout=20,
        interval=0.2,
    )
    check(time.monotonic() - started > 0.5, "the review took the configured delay")
    eq(approved["rejection_reason"], "", "no rejection reason")
    with_approvals = {c.sid: c for c in api.content_and_approvals.list()}
    eq(with_approvals[created.sid].approval_requests["status"], "approved", "ContentAndApprovals")
    eq(with_approvals[text.sid].approval_requests["status"], "unsubmitted", "unsubmitted content")

    check(contents(text.sid).delete(), "text deleted")
    if keep:
        print(f"CONTENT_SID={created.sid}")
        return
    finish(contents, created.sid)


def finish(contents, sid):
    check(contents(sid).delete(), "content deleted")
    eq(error(lambda: contents(sid).fetch()), (404, 20404), "deleted content")
    eq(error(lambda: contents(sid).approval_fetch().fetch()), (404, 20404), "deleted content's approval")


def after_restart(sid):
    contents = content_api(client()).contents
    eq(contents(sid).fetch().variables, {"1": "ON-12853"}, "content kept across the restart")
    eq(contents(sid).approval_fetch().fetch().whatsapp["status"], "approved", "approval kept")
    finish(contents, sid)


def main():
    args = sys.argv[1:]
    if args[:1] == ["check"]:
        after_restart(args[1])
    else:
        main_flow(keep=args[:1] == ["keep"])


if __name__ == "__main__":
    run(main)
