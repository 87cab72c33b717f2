import os, time
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.rest.messaging.v2.channels_sender import ChannelsSenderList
from twilio.twiml.voice_response import VoiceResponse

base_url = os.environ.get("DIALTONE_BASE_URL", "http://127.0.0.1:8080")
client = Client(os.environ["DIALTONE_ACCOUNT_SID"], os.environ["DIALTONE_AUTH_TOKEN"])
client.api.base_url = client.messaging.base_url = base_url
business, user = "+447700900123", "+5511912345678"

# 1. A WhatsApp sender, voice-enabled by a TwiML App (the app users calling the business reach).
app = client.applications.create(friendly_name="WhatsApp line", voice_url="https://example.com/voice")
try:
    client.messaging.v2.channels_senders.create(ChannelsSenderList.MessagingV2ChannelsSenderRequestsCreate(
        {"sender_id": f"whatsapp:{business}", "configuration": {"voice_application_sid": app.sid}}))
except TwilioRestException as e:
    if e.status != 409:  # 409: created by an earlier run
        raise
# 2. A simulated WhatsApp user who granted call permission, answers after 1 s, talks for 2 s.
client.request("POST", base_url + "/sim/v1/WhatsAppUsers",
               data={"Number": user, "Permission": "granted", "HangupAfter": "2"})
# 3. A simulated softphone agent, and a call to it whose TwiML dials the WhatsApp user.
client.request("POST", base_url + "/sim/v1/Clients", data={"Identity": "agent"})
twiml = VoiceResponse()
twiml.dial(caller_id=f"whatsapp:{business}").whats_app(user)
call = client.calls.create(to="client:agent", from_="client:desk", twiml=str(twiml))
while call.fetch().status in ("queued", "ringing", "in-progress"):
    time.sleep(0.2)
whatsapp_call = client.calls.list(parent_call_sid=call.sid)[0]
print(whatsapp_call.sid, whatsapp_call.to, whatsapp_call.status)
