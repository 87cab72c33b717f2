"""REST-created calls recorded with `Record=true`, and a REST recording of one track, with
twilio-python through the real server.

Three simulated softphones (`Audio=tone:600`) are called with
`client.calls.create(...)`; each call's TwiML plays a 1 kHz WAV in a loop, so the party's
inbound track is 600 Hz and its outbound track 1 kHz:

- `dual`: `record=True, recording_channels='dual'` with a recording status callback for
  `in-progress completed` and a status callback: the recording (`OutboundAPI`) starts at the
  answer; its callbacks are checked parameter by parameter (signed, as every webhook the App
  receives), and the call's `completed` callback carries `RecordingUrl`, `RecordingSid`,
  `RecordingDuration`. Saved as `dual.wav`.
- `outbound`: `record=True, recording_track='outbound', recording_channels='dual'`: one track,
  so mono (`channels: 1`). Saved as `outbound.wav`.
- `inbound`: no `Record`; `calls(sid).recordings.create(recording_track='inbound')` once
  answered. Saved as `inbound.wav`.

It also checks the call's `subresource_uris.recordings`, the call-scoped list, and a bad
`RecordingChannels` / `RecordingTrack` (20001). The Rust test
(`crates/cli/tests/e2e_rest_recording.rs`) checks the tones in the files with Goertzel.

Usage: `calls_record.py` (run by `crates/cli/tests/e2e_rest_recording.rs`)."""

import os
import time
import urllib.request
import base64

from twilio.base.exceptions import TwilioRestException

from dialtone_e2e import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    App,
    check,
    check_rfc2822,
    client,
    eq,
    run,
    softphone,
    wait_for,
    wait_terminal,
)
from whatsapp_prompts import Media, tone_wav

HEARD_DIR = os.environ["DIALTONE_HEARD_DIR"]
FROM = "+15005550006"
# Seconds each call is left to run once answered.
TALK = 4.0


def refused(f, status, code, what):
    try:
        f()
    except TwilioRestException as e:
        eq((e.status, e.code), (status, code), what)
        return
    raise AssertionError(f"{what}: no error")


def download(path):
    req = urllib.request.Request(BASE_URL + path)
    auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    req.add_header("Authorization", "Basic " + auth)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.headers.get("content-type"), resp.read()


def answered(c, sid):
    wait_for(lambda: c.calls(sid).fetch().status == "in-progress" or None, f"{sid} answered", 15.0)


def check_rsc(cb, call_sid, rec_sid, status, channels):
    p = cb.params
    names = ["AccountSid", "CallSid", "RecordingSid", "RecordingUrl", "RecordingStatus"]
    if status == "completed":
        names.append("RecordingDuration")
    names += ["RecordingChannels", "RecordingStartTime", "RecordingSource"]
    eq(sorted(p), sorted(names), f"{status} recording callback parameters")
    eq(cb.method, "POST", f"{status} recording callback method")
    eq(
        (p["AccountSid"], p["CallSid"], p["RecordingSid"], p["RecordingStatus"]),
        (ACCOUNT_SID, call_sid, rec_sid, status),
        f"{status} recording callback",
    )
    url = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{rec_sid}"
    check(p["RecordingUrl"].endswith(url), f"RecordingUrl {p['RecordingUrl']}")
    eq((p["RecordingChannels"], p["RecordingSource"]), (channels, "OutboundAPI"), status)
    check_rfc2822(p["RecordingStartTime"], "RecordingStartTime")


def save(c, rec_sid, name):
    done = wait_for(
        lambda: (lambda r: r if r.status == "completed" else None)(c.recordings(rec_sid).fetch()),
        f"recording {name} completed",
        15.0,
    )
    status, content_type, wav = download(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{rec_sid}.wav")
    eq((status, content_type), (200, "audio/x-wav"), f"the WAV of {name}")
    with open(os.path.join(HEARD_DIR, name), "wb") as f:
        f.write(wav)
    return done


def main():
    c = client()
    media = Media()
    try:
        with App() as app:
            tone = media.add("/tone1k.wav", tone_wav(1000, 1.0))
            voice = app.route("/voice", f'<Response><Play loop="0">{tone}</Play></Response>')
            rsc, status_cb = app.url + "/rsc", app.url + "/status"
            for who in ["dual", "outbound", "inbound"]:
                softphone(who, Audio="tone:600", AnswerAfter="0.2")
            refused(
                lambda: c.calls.create(to="client:dual", from_=FROM, url=voice, record=True, recording_channels="stereo"),
                400,
                20001,
                "RecordingChannels=stereo",
            )
            refused(
                lambda: c.calls.create(to="client:dual", from_=FROM, url=voice, record=True, recording_track="left"),
                400,
                20001,
                "RecordingTrack=left",
            )

            dual = c.calls.create(
                to="client:dual",
                from_=FROM,
                url=voice,
                record=True,
                recording_channels="dual",
                recording_status_callback=rsc,
                recording_status_callback_event=["in-progress completed"],
                status_callback=status_cb,
            )
            eq(
                dual.subresource_uris["recordings"],
                f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{dual.sid}/Recordings.json",
                "subresource_uris.recordings",
            )
            outbound = c.calls.create(
                to="client:outbound",
                from_=FROM,
                url=voice,
                record=True,
                recording_channels="dual",
                recording_track="outbound",
                recording_status_callback=rsc,
            )
            inbound = c.calls.create(to="client:inbound", from_=FROM, url=voice)
            for call in (dual, outbound, inbound):
                answered(c, call.sid)
            rest = c.calls(inbound.sid).recordings.create(recording_track="inbound", recording_channels="dual")
            eq((rest.track, rest.channels, rest.source), ("inbound", 1, "StartCallRecordingAPI"), "the inbound recording")

            started = app.wait_received("/rsc", 1, call_sid=dual.sid, timeout=15.0)[0]
            rec_dual = started.params["RecordingSid"]
            check_rsc(started, dual.sid, rec_dual, "in-progress", "2")
            listed = c.calls(dual.sid).recordings.list()
            eq([r.sid for r in listed], [rec_dual], "the dual call's recordings")
            eq(
                (listed[0].source, listed[0].status, listed[0].channels, listed[0].track, listed[0].duration),
                ("OutboundAPI", "in-progress", 2, "both", None),
                "the dual recording while in progress",
            )
            time.sleep(TALK)
            for call in (dual, outbound, inbound):
                c.calls(call.sid).update(status="completed")
            ended = wait_terminal(c, dual.sid, timeout=15.0)
            for call in (outbound, inbound):
                wait_terminal(c, call.sid, timeout=15.0)

            done = app.wait_received("/rsc", 2, call_sid=dual.sid, timeout=15.0)
            eq(len(done), 2, "the dual call's recording callbacks (in-progress, completed)")
            check_rsc(done[1], dual.sid, rec_dual, "completed", "2")
            recorded = int(done[1].params["RecordingDuration"])
            check(recorded >= TALK - 1, f"RecordingDuration {recorded}")
            completed = app.wait_received("/status", 1, call_sid=dual.sid, timeout=15.0)[0].params
            eq(completed["CallStatus"], "completed", "the dual call's status callback")
            eq(completed["RecordingSid"], rec_dual, "RecordingSid in the completed callback")
            eq(completed["RecordingUrl"], done[1].params["RecordingUrl"], "RecordingUrl in the completed callback")
            check(
                abs(int(completed["RecordingDuration"]) - recorded) <= 1,
                f"RecordingDuration {completed['RecordingDuration']} vs {recorded}",
            )
            check(int(ended.duration) >= recorded, f"call {ended.duration} s vs recording {recorded} s")

            out_cb = app.wait_received("/rsc", 1, call_sid=outbound.sid, timeout=15.0)
            eq(len(out_cb), 1, "the outbound recording's callbacks (completed only)")
            rec_out = out_cb[0].params["RecordingSid"]
            check_rsc(out_cb[0], outbound.sid, rec_out, "completed", "1")

            d = save(c, rec_dual, "dual.wav")
            eq((d.source, d.channels, d.duration), ("OutboundAPI", 2, str(recorded)), "the dual recording")
            o = save(c, rec_out, "outbound.wav")
            eq((o.source, o.channels), ("OutboundAPI", 1), "the outbound recording")
            eq(c.calls(outbound.sid).recordings(rec_out).fetch().track, "outbound", "its track")
            i = save(c, rest.sid, "inbound.wav")
            eq((i.source, i.channels), ("StartCallRecordingAPI", 1), "the inbound recording")
            check("/tone1k.wav" in media.requests, f"the WAV was fetched: {media.requests}")
    finally:
        media.close()


if __name__ == "__main__":
    run(main)
