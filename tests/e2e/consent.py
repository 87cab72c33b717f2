"""Getting permission to call, through twilio-python only (no Dialtone client code): a
call-to-action content with the VOICE_CALL_REQUEST action is created and approved, sent with
`client.messages.create` to a simulated WhatsApp user, reported `sent`, `delivered`, `read`
through signed status callbacks, answered by the user on the sender's messaging webhook
(`ButtonPayload`), and then a call to that user is answered (accept) or fails with 37000
(reject, ignore). Every webhook's `X-Twilio-Signature` is checked with `RequestValidator`.

Also: the answer is visible in the sender's CallPermissions and the simulated user; a second
request inside 24 hours hits Meta's limit; an unapproved request outside the customer service
window fails with 63016; a missing variable, another account's content, a sender of another
account and bad addresses get Twilio's codes; messages are fetched and listed with paging."""

import json
import re
import time

from twilio.base.exceptions import TwilioRestException
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList
from twilio.rest.messaging.v2.channels_sender import ChannelsSenderList

from dialtone_e2e import (
    ACCOUNT_SID,
    BASE_URL,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    App,
    check,
    check_sid,
    client,
    eq,
    http,
    run,
    wait_for,
    wait_terminal,
)
from dialtone_whatsapp import sender_number, senders, user_number, user_path, whatsapp_user

ANSWER = "<Response><Pause length='1'/><Hangup/></Response>"
STATUS_KEYS = {
    "MessageSid",
    "SmsSid",
    "MessageStatus",
    "SmsStatus",
    "AccountSid",
    "From",
    "To",
    "ApiVersion",
    "ChannelPrefix",
    "ChannelToAddress",
    "ChannelInstallSid",
}
EXTRA_BY_STATUS = {
    "sent": {"StructuredMessage": "false"},
    "delivered": {"EventType": "DELIVERED"},
    "read": {"EventType": "READ"},
}
REPLY_KEYS = {
    "SmsMessageSid",
    "NumMedia",
    "MessageType",
    "SmsSid",
    "WaId",
    "SmsStatus",
    "Body",
    "ButtonText",
    "To",
    "ButtonPayload",
    "ReferralNumMedia",
    "MessageSid",
    "AccountSid",
    "From",
    "ApiVersion",
    "OriginalRepliedMessageSid",
}
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def error(op):
    try:
        op()
    except TwilioRestException as e:
        return (e.status, e.code)
    raise AssertionError("expected an error")


class Business:
    """An application, its voice-enabled WhatsApp sender whose messaging webhook is the app's
    `/incoming`, and an approved call permission request content."""

    def __init__(self, c, app):
        self.c = c
        self.app = app
        voice = c.applications.create(voice_url=app.route("/voice", ANSWER), friendly_name="consent")
        self.number = sender_number()
        self.sender = senders(c).create(
            ChannelsSenderList.MessagingV2ChannelsSenderRequestsCreate(
                {
                    "sender_id": f"whatsapp:{self.number}",
                    "configuration": {"voice_application_sid": voice.sid},
                    "webhook": {"callback_url": app.url + "/incoming", "callback_method": "POST"},
                }
            )
        )
        eq(self.sender.webhook["callback_url"], app.url + "/incoming", "sender's messaging webhook")
        c.content.base_url = BASE_URL
        self.contents = c.content.v1.contents
        self.content = self.cpr("approved")
        request = ApprovalCreateList.ContentApprovalRequest({"name": "call_permission_req", "category": "UTILITY"})
        self.contents(self.content).approval_create.create(request)
        wait_for(
            lambda: self.contents(self.content).approval_fetch().fetch().whatsapp["status"] == "approved",
            "approval",
            timeout=10,
            interval=0.1,
        )

    def cpr(self, name):
        types = ContentList.Types(
            {
                "twilio/call-to-action": {
                    "body": "May we call you about order {{1}} today?",
                    "actions": [{"type": "VOICE_CALL_REQUEST", "title": "Call Request"}],
                }
            }
        )
        request = ContentList.ContentCreateRequest(
            {"friendly_name": name, "language": "en", "variables": {"1": "ON-12853"}, "types": types}
        )
        return self.contents.create(request).sid

    def ask(self, user, content=None, **extra):
        """Sends the permission request to `user`; callbacks to `/status`."""
        return self.c.messages.create(
            to=f"whatsapp:{user}",
            from_=f"whatsapp:{self.number}",
            content_sid=content or self.content,
            content_variables=json.dumps({"1": "ON-777"}),
            status_callback=self.app.url + "/status",
            **extra,
        )

    def call(self, user):
        """A REST call from the sender to `user`, to its terminal state."""
        call = self.c.calls.create(
            to=f"whatsapp:{user}", from_=f"whatsapp:{self.number}", url=self.app.url + "/voice"
        )
        return wait_terminal(self.c, call.sid, timeout=15)


def check_created(message, business, user):
    check_sid(message.sid, "SM", "message sid")
    eq(message.status, "queued", "status on create")
    eq(message.direction, "outbound-api", "direction")
    eq(message.to, f"whatsapp:{user}", "to")
    eq(message.from_, f"whatsapp:{business.number}", "from")
    eq(message.body, "May we call you about order ON-777 today?", "body with the variable")
    eq(message.account_sid, ACCOUNT_SID, "account")
    eq(message.error_code, None, "no error")
    eq(message.num_segments, "1", "num_segments")
    eq(message.api_version, "2010-04-01", "api_version")
    eq(message.uri, f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json", "uri")


def check_statuses(business, message, user):
    """`sent`, `delivered`, `read` in order, each with Twilio's parameters."""
    got = wait_for(
        lambda: (lambda rs: rs if len(rs) >= 3 else None)(
            [r for r in business.app.received("/status") if r.params.get("MessageSid") == message.sid]
        ),
        "three status callbacks",
        timeout=15,
    )
    eq([r.params["MessageStatus"] for r in got], ["sent", "delivered", "read"], "status order")
    for r in got:
        status = r.params["MessageStatus"]
        eq(set(r.params), STATUS_KEYS | set(EXTRA_BY_STATUS[status]), f"{status} callback's parameters")
        eq(r.params["SmsSid"], message.sid, "SmsSid")
        eq(r.params["SmsStatus"], status, "SmsStatus")
        eq(r.params["AccountSid"], ACCOUNT_SID, "AccountSid")
        eq(r.params["From"], f"whatsapp:{business.number}", "From")
        eq(r.params["To"], f"whatsapp:{user}", "To")
        eq(r.params["ApiVersion"], "2010-04-01", "ApiVersion")
        eq(r.params["ChannelPrefix"], "whatsapp", "ChannelPrefix")
        eq(r.params["ChannelToAddress"], user[:-4] + "XXXX", "ChannelToAddress masked")
        eq(r.params["ChannelInstallSid"], business.sender.sid, "ChannelInstallSid")
        for k, v in EXTRA_BY_STATUS[status].items():
            eq(r.params[k], v, f"{status} {k}")
    fetched = business.c.messages(message.sid).fetch()
    eq(fetched.status, "read", "the resource after read")
    check(fetched.date_sent is not None, "date_sent set once sent")


def check_reply(business, request, user, payload):
    def from_user():
        return [r for r in business.app.received("/incoming") if r.params.get("From") == f"whatsapp:{user}"]

    wait_for(lambda: from_user() or None, f"the reply webhook from {user}", timeout=15)
    time.sleep(0.3)
    mine = from_user()
    eq(len(mine), 1, f"one reply webhook from {user}")
    r = mine[0].params
    keys = set(r) - {"ProfileName"}
    eq(keys, REPLY_KEYS, "reply webhook's parameters")
    check_sid(r["MessageSid"], "SM", "reply MessageSid")
    eq(r["SmsMessageSid"], r["MessageSid"], "SmsMessageSid")
    eq(r["SmsSid"], r["MessageSid"], "SmsSid")
    eq(r["NumMedia"], "0", "NumMedia")
    eq(r["MessageType"], "interactive", "MessageType")
    eq(r["WaId"], user.lstrip("+"), "WaId")
    eq(r["SmsStatus"], "received", "SmsStatus")
    eq(r["Body"], "VOICE_CALL_REQUEST", "Body")
    eq(r["ButtonText"], "VOICE_CALL_REQUEST", "ButtonText")
    eq(r["ButtonPayload"], payload, "ButtonPayload")
    eq(r["To"], f"whatsapp:{business.number}", "To")
    eq(r["From"], f"whatsapp:{user}", "From")
    eq(r["AccountSid"], ACCOUNT_SID, "AccountSid")
    eq(r["ApiVersion"], "2010-04-01", "ApiVersion")
    eq(r["ReferralNumMedia"], "0", "ReferralNumMedia")
    eq(r["OriginalRepliedMessageSid"], request.sid, "OriginalRepliedMessageSid")
    inbound = business.c.messages(r["MessageSid"]).fetch()
    eq((inbound.direction, inbound.status, inbound.body), ("inbound", "received", "VOICE_CALL_REQUEST"), "reply stored")
    return r


def permissions(business):
    status, body = http("GET", f"/v2/Channels/Senders/{business.sender.sid}/CallPermissions")
    eq(status, 200, f"CallPermissions: {body}")
    return {p["user"]: p for p in body["call_permissions"]}


def accepted(c, business):
    user = user_number()
    whatsapp_user(user, Permission="none", ConsentReply="accept", ReplyAfter="0.2", AnswerAfter="0.2")
    eq(business.call(user).status, "failed", "a call before the permission")
    request = business.ask(user)
    check_created(request, business, user)
    check_statuses(business, request, user)
    check_reply(business, request, user, "ACCEPTED")
    p = permissions(business)[f"whatsapp:{user}"]
    eq((p["status"], p["response_source"], p["request_message_sid"]), ("temporary", "user_action", request.sid), "stored")
    check(ISO_RE.match(p["expiration"] or ""), f"temporary permission's expiration {p['expiration']!r}")
    status, sim = http("GET", user_path(user))
    eq(status, 200, "simulated user")
    seen = [x for x in sim["permissions"] if x["business"] == f"whatsapp:{business.number}"]
    eq([x["status"] for x in seen], ["temporary"], "the simulated Meta's view")
    call = business.call(user)
    eq(call.status, "completed", "the call after the permission was answered")


def rejected(c, business):
    user = user_number()
    whatsapp_user(user, Permission="none", ConsentReply="reject", ReplyAfter="0.2")
    request = business.ask(user)
    check_statuses(business, request, user)
    check_reply(business, request, user, "REJECTED")
    eq(permissions(business)[f"whatsapp:{user}"]["status"], "rejected", "stored rejection")
    call = business.call(user)
    eq(call.status, "failed", "a call after the rejection")
    eq([n.error_code for n in c.calls(call.sid).notifications.list()], ["37000"], "its notification")
    # A second request inside 24 hours: Meta's limit (138009), refused at once.
    again = business.ask(user)
    eq((again.status, again.error_code), ("failed", 63018), "second request in 24 h")
    check_refused(business, again, "63018")


def permanent(c, business):
    """A permanent permission; asking again is refused (Meta 138017)."""
    user = user_number()
    whatsapp_user(user, Permission="none", ConsentReply="accept-permanent", ReplyAfter="0.2", AnswerAfter="0.2")
    request = business.ask(user)
    check_statuses(business, request, user)
    check_reply(business, request, user, "ACCEPTED")
    p = permissions(business)[f"whatsapp:{user}"]
    eq((p["status"], p["expiration"]), ("permanent", None), "stored permanent permission")
    eq(business.call(user).status, "completed", "the call")
    again = business.ask(user)
    eq((again.status, again.error_code), ("failed", 63013), "a request while permanent")
    check_refused(business, again, "63013")


def check_refused(business, message, code):
    failed = wait_for(
        lambda: [r for r in business.app.received("/status") if r.params.get("MessageSid") == message.sid] or None,
        "the refused request's callback",
    )
    eq([(r.params["MessageStatus"], r.params["ErrorCode"]) for r in failed], [("failed", code)], "its callback")


def ignored(c, business):
    user = user_number()
    whatsapp_user(user, Permission="none", ConsentReply="ignore", ReplyAfter="0.2")
    request = business.ask(user)
    check_statuses(business, request, user)
    call = business.call(user)
    eq(call.status, "failed", "a call to a user who never answered")
    eq([n.error_code for n in c.calls(call.sid).notifications.list()], ["37000"], "its notification")
    check(
        not [r for r in business.app.received("/incoming") if r.params.get("From") == f"whatsapp:{user}"],
        "no reply webhook for an ignored request",
    )
    check(f"whatsapp:{user}" not in permissions(business), "nothing stored without a reply")


def outside_window(c, business):
    """An unapproved request goes out free-form, which Meta accepts only inside the customer
    service window: reported failed with 63016."""
    user = user_number()
    whatsapp_user(user, Permission="none", ConsentReply="accept", ReplyAfter="0.2")
    content = business.cpr("unapproved")
    m = business.ask(user, content=content)
    failed = wait_for(
        lambda: [r for r in business.app.received("/status") if r.params.get("MessageSid") == m.sid] or None,
        "the out-of-window request's callback",
        timeout=15,
    )
    eq([(r.params["MessageStatus"], r.params["ErrorCode"]) for r in failed], [("failed", "63016")], "63016")
    fetched = c.messages(m.sid).fetch()
    eq((fetched.status, fetched.error_code), ("failed", 63016), "the resource")


def bad_input(c, business):
    user = user_number()
    ask = business.ask
    eq(error(lambda: ask("12345")), (400, 21211), "invalid To")
    eq(
        error(lambda: c.messages.create(to=f"whatsapp:{user}", from_="whatsapp:+447700000001", body="hi")),
        (400, 21606),
        "From not a sender of the account",
    )
    eq(error(lambda: c.messages.create(to=f"whatsapp:{user}", from_=f"whatsapp:{business.number}")), (400, 21602), "no Body")
    eq(error(lambda: ask(user, content="HXnope")), (400, 21655), "malformed ContentSid")
    other = client(OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)
    other.content.base_url = BASE_URL
    types = ContentList.Types({"twilio/text": {"body": "Hello"}})
    foreign = other.content.v1.contents.create(ContentList.ContentCreateRequest({"language": "en", "types": types}))
    eq(error(lambda: ask(user, content=foreign.sid)), (404, 20404), "another account's content")
    eq(
        error(
            lambda: c.messages.create(
                to=f"whatsapp:{user}", from_=f"whatsapp:{business.number}", content_sid=business.content,
                content_variables="[1]",
            )
        ),
        (400, 21656),
        "ContentVariables not an object",
    )
    eq(error(lambda: other.messages(business_message(c)).fetch()), (404, 20404), "another account's message")
    # A missing variable of an approved template fails before Meta is asked.
    types = ContentList.Types({"twilio/text": {"body": "Hello {{1}} and {{2}}"}})
    two = business.contents.create(
        ContentList.ContentCreateRequest({"language": "en", "variables": {"1": "Ana", "2": "Bo"}, "types": types})
    ).sid
    business.contents(two).approval_create.create(
        ApprovalCreateList.ContentApprovalRequest({"name": "two_vars", "category": "UTILITY"})
    )
    wait_for(lambda: business.contents(two).approval_fetch().fetch().whatsapp["status"] == "approved", "approved")
    m = c.messages.create(
        to=f"whatsapp:{user}", from_=f"whatsapp:{business.number}", content_sid=two,
        content_variables=json.dumps({"1": "A", "3": "C"}),
    )
    eq((m.body, m.status, m.error_code), ("Hello A and Bo", "queued", None), "missing values from the samples")


def business_message(c):
    return c.messages.list(limit=1)[0].sid


def listing(c, business):
    mine = [m for m in c.messages.list(page_size=2) if m.from_ == f"whatsapp:{business.number}"]
    check(len(mine) >= 4, f"the business's messages listed across pages of two: {len(mine)}")
    to = mine[0].to
    filtered = c.messages.list(to=to)
    check(filtered and all(m.to == to for m in filtered), "filtered by To")


def main():
    c = client()
    with App() as app:
        business = Business(c, app)
        for scenario in (accepted, rejected, permanent, ignored, outside_window, bad_input, listing):
            scenario(c, business)


if __name__ == "__main__":
    run(main)
