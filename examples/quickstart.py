import os, time
from twilio.rest import Client

base_url = os.environ.get("DIALTONE_BASE_URL", "http://127.0.0.1:8080")
client = Client(os.environ["DIALTONE_ACCOUNT_SID"], os.environ["DIALTONE_AUTH_TOKEN"])
client.api.base_url = base_url  # the only change an application written for Twilio needs
# A simulated softphone, "alice", that answers after one second.
client.request("POST", base_url + "/sim/v1/Clients", data={"Identity": "alice"})
call = client.calls.create(to="client:alice", from_="+15005550006",
                           twiml="<Response><Say>Hello from Dialtone</Say></Response>")
while (call := call.fetch()).status in ("queued", "ringing", "in-progress"):
    time.sleep(0.2)
print(call.sid, call.status, call.duration)
