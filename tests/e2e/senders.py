"""WhatsApp senders through twilio-python's `client.messaging.v2.channels_senders` (JSON):
create, fetch, list with paging, update (twilio-python sends `null` for every field not
given, which keeps it), delete, the duplicate and invalid-sender errors, and isolation from
the other account."""

import random

from twilio.base.exceptions import TwilioRestException
from twilio.rest.messaging.v2.channels_sender import ChannelsSenderList, ChannelsSenderContext

from dialtone_e2e import (
    BASE_URL,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    check,
    check_sid,
    client,
    eq,
    run,
)


def messaging(c):
    c.messaging.base_url = BASE_URL
    return c.messaging.v2.channels_senders


def create_request(number, **configuration):
    return ChannelsSenderList.MessagingV2ChannelsSenderRequestsCreate(
        {"sender_id": f"whatsapp:{number}", "configuration": configuration}
    )


def error(op):
    try:
        op()
    except TwilioRestException as e:
        return (e.status, e.code)
    raise AssertionError("expected an error")


def main():
    c = client()
    senders = messaging(c)
    app = c.applications.create(friendly_name="wa", voice_url="https://app.test/voice")
    # Random numbers: the server may already hold senders from an earlier run.
    base = random.randrange(10**9, 10**10)
    numbers = [f"+1{base + i}" for i in range(3)]

    first = senders.create(create_request(numbers[0], waba_id="555", voice_application_sid=app.sid))
    check_sid(first.sid, "XE", "sender sid")
    eq(first.sender_id, f"whatsapp:{numbers[0]}", "sender_id")
    eq(first.status, "ONLINE", "status")
    eq(first.configuration["waba_id"], "555", "waba_id")
    eq(first.configuration["voice_application_sid"], app.sid, "voice_application_sid")
    check(first.configuration["phone_number_id"].isdigit(), "phone_number_id assigned")
    eq(first.url, f"{BASE_URL}/v2/Channels/Senders/{first.sid}", "url")
    for n in numbers[1:]:
        senders.create(create_request(n))

    fetched = senders(first.sid).fetch()
    eq(fetched.sender_id, first.sender_id, "fetched sender_id")
    listed = [s.sender_id for s in senders.list(channel="whatsapp", page_size=2)]
    for n in numbers:
        check(f"whatsapp:{n}" in listed, f"{n} listed across pages: {listed}")

    update = ChannelsSenderContext.MessagingV2ChannelsSenderRequestsUpdate({"friendly_name": "Support"})
    updated = senders(first.sid).update(update)
    eq(updated.friendly_name, "Support", "renamed")
    eq(updated.configuration["voice_application_sid"], app.sid, "nulls keep the voice application")
    eq(updated.configuration["waba_id"], "555", "nulls keep waba_id")

    eq(error(lambda: senders.create(create_request(numbers[0]))), (409, 60231), "duplicate sender")
    eq(
        error(lambda: senders.create(ChannelsSenderList.MessagingV2ChannelsSenderRequestsCreate({"sender_id": numbers[0]}))),
        (400, 20001),
        "sender_id without whatsapp:",
    )
    other = messaging(client(OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN))
    eq(error(lambda: other(first.sid).fetch()), (404, 20404), "other account's sender")
    eq(error(lambda: other(first.sid).delete()), (404, 20404), "other account's delete")

    for s in list(senders.list(channel="whatsapp")):
        if s.sender_id in [f"whatsapp:{n}" for n in numbers]:
            check(senders(s.sid).delete(), f"deleted {s.sid}")
    eq(error(lambda: senders(first.sid).fetch()), (404, 20404), "deleted sender")
    c.applications(app.sid).delete()


if __name__ == "__main__":
    run(main)
