"""Recording pieces of Dialtone's end-to-end scripts, on top of `dialtone_e2e`.

- the exact `recordingStatusCallback` requests (twilio-media.md §6.1, the parameter set and
  order `docs/twilio-compat.md` gives), checked parameter by parameter;
- the Recording resource through twilio-python (`client.recordings(RE).fetch()`);
- the media (`RecordingUrl` + `.wav` / `.mp3` / nothing) downloaded with HTTP Basic auth,
  plain `urllib` because twilio-python has no media download.
"""

import base64
import email.utils
import json
import os
import re
import urllib.error
import urllib.request

from dialtone_e2e import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, check, check_rfc2822, eq

HEARD_DIR = os.environ.get("DIALTONE_HEARD_DIR", "")
RE_SID = re.compile("^RE[0-9a-f]{32}$")


def recording_url(sid, account=ACCOUNT_SID, base=None):
    """What `RecordingUrl` must be: the API's public URL, no extension."""
    return f"{base or BASE_URL}/2010-04-01/Accounts/{account}/Recordings/{sid}"


def check_recording_callbacks(callbacks, expected, call_sid, source, channels, base=None):
    """`callbacks` (one recording's, in arrival order) are exactly `expected`, a list of
    `(RecordingStatus, RecordingDuration or None)`, each with exactly the documented
    parameters: `AccountSid`, `CallSid`, `RecordingSid`, `RecordingUrl` (no extension),
    `RecordingStatus`, `RecordingDuration` (`completed` only), `RecordingChannels`,
    `RecordingStartTime` (RFC 2822, the same on every callback), `RecordingSource`,
    `ErrorCode` (`absent` only: 16101). Returns the RecordingSid."""
    eq(
        [(r.params.get("RecordingStatus"), r.params.get("RecordingDuration")) for r in callbacks],
        expected,
        "recording status callbacks (RecordingStatus, RecordingDuration)",
    )
    sid = callbacks[0].params["RecordingSid"]
    check(RE_SID.match(sid), f"RecordingSid {sid!r}")
    start = callbacks[0].params["RecordingStartTime"]
    check_rfc2822(start, "RecordingStartTime")
    for r, (status, duration) in zip(callbacks, expected):
        p = r.params
        what = f"{status} recording callback"
        eq(r.method, "POST", f"{what} method")
        eq(r.headers.get("content-type"), "application/x-www-form-urlencoded", f"{what} body type")
        keys = ["AccountSid", "CallSid", "RecordingSid", "RecordingUrl", "RecordingStatus"]
        if duration is not None:
            keys.append("RecordingDuration")
        keys += ["RecordingChannels", "RecordingStartTime", "RecordingSource"]
        if status == "absent":
            keys.append("ErrorCode")
        eq(list(p), keys, f"{what} parameters (in order)")
        want = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call_sid,
            "RecordingSid": sid,
            "RecordingUrl": recording_url(sid, base=base),
            "RecordingStatus": status,
            "RecordingChannels": str(channels),
            "RecordingStartTime": start,
            "RecordingSource": source,
        }
        if duration is not None:
            want["RecordingDuration"] = duration
        if status == "absent":
            want["ErrorCode"] = "16101"
        eq(p, want, what)
    tokens = {r.headers["i-twilio-idempotency-token"] for r in callbacks}
    eq(len(tokens), len(callbacks), "one idempotency token per recording callback")
    return sid


def check_resource(c, sid, call_sid, source, channels, duration, status="completed"):
    """The Recording resource (twilio-python) agrees with the callbacks; returns it."""
    r = c.recordings(sid).fetch()
    eq(
        (r.sid, r.account_sid, r.call_sid, r.status, r.source, r.channels, r.duration, r.api_version),
        (sid, ACCOUNT_SID, call_sid, status, source, channels, duration, "2010-04-01"),
        "the Recording resource (sid, account, call, status, source, channels, duration, api)",
    )
    check(r.start_time is not None, "the resource's start_time")
    eq(r.error_code, None if status == "completed" else 16101, "the resource's error_code")
    eq(r.media_url, recording_url(sid), "the resource's media_url")
    eq(r.uri, f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.json", "the resource's uri")
    listed = [x.sid for x in c.calls(call_sid).recordings.list()]
    check(sid in listed, f"{sid} among the call's recordings {listed}")
    return r


def media(url, sid=ACCOUNT_SID, token=AUTH_TOKEN, headers=None):
    """GET `url` with HTTP Basic auth; returns (status, headers, body bytes)."""
    req = urllib.request.Request(url)
    if sid is not None:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode())
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def download_wav(url, what):
    """`url.wav` (200, `audio/x-wav`, a WAV file) equals `url` without extension; returns it."""
    status, headers, body = media(url + ".wav")
    eq((status, headers.get("content-type")), (200, "audio/x-wav"), f"{what}.wav: {body[:200]!r}")
    check(body[:4] == b"RIFF" and body[8:12] == b"WAVE", f"{what}.wav is a WAV file")
    eq(int(headers.get("content-length")), len(body), f"{what}.wav Content-Length")
    status, headers, plain = media(url)
    eq((status, headers.get("content-type")), (200, "audio/x-wav"), f"{what} (no extension)")
    eq(plain, body, f"{what} without extension is the same WAV")
    return body


def check_media_variants(url, wav, what, other=None):
    """`.mp3` is MP3 (`audio/mpeg`); one byte range gets 206 with its `Content-Range`, one past
    the end 416; `other` (another account's SID and token) gets 401 (20003) on this account's
    URL and 404 (20404) under its own; a wrong token 401 (20003), no credentials 401."""
    status, headers, mp3 = media(url + ".mp3")
    eq((status, headers.get("content-type")), (200, "audio/mpeg"), f"{what}.mp3: {mp3[:200]!r}")
    check(mp3[:3] == b"ID3" or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0), f"{what}.mp3 is MP3: {mp3[:8]!r}")
    status, headers, part = media(url + ".wav", headers={"Range": "bytes=0-99"})
    eq(status, 206, f"{what}.wav bytes=0-99")
    eq(headers.get("content-range"), f"bytes 0-99/{len(wav)}", f"{what}.wav Content-Range")
    eq(part, wav[:100], f"{what}.wav bytes 0-99")
    status, headers, tail = media(url + ".wav", headers={"Range": "bytes=-10"})
    eq((status, tail), (206, wav[-10:]), f"{what}.wav bytes=-10")
    status, _, body = media(url + ".wav", headers={"Range": f"bytes={len(wav)}-"})
    eq(status, 416, f"{what}.wav bytes={len(wav)}- (past the end)")
    if other is not None:
        # Another account's credentials on this account's URL: 401, as for every resource.
        status, _, body = media(url + ".wav", other[0], other[1])
        eq(status, 401, f"{what}.wav with another account's credentials: {body[:200]!r}")
        eq(json.loads(body)["code"], 20003, f"{what}.wav, another account's credentials: code")
        # The same recording under the other account's own path: it has no such recording.
        foreign = url.replace(f"/Accounts/{ACCOUNT_SID}/", f"/Accounts/{other[0]}/")
        for ext in (".wav", ".mp3", ".json"):
            status, _, body = media(foreign + ext, other[0], other[1])
            eq(status, 404, f"{what}{ext} under another account: {body[:200]!r}")
            eq(json.loads(body)["code"], 20404, f"{what}{ext} under another account: code")
    status, _, body = media(url + ".wav", ACCOUNT_SID, "0" * 32)
    eq(status, 401, f"{what}.wav with a wrong token: {body[:200]!r}")
    eq(json.loads(body)["code"], 20003, f"{what}.wav, wrong token: code")
    status, _, _ = media(url + ".wav", None)
    eq(status, 401, f"{what}.wav without credentials")


def save(name, body):
    with open(os.path.join(HEARD_DIR, name), "wb") as f:
        f.write(body)


def save_json(name, value):
    with open(os.path.join(HEARD_DIR, name), "w") as f:
        json.dump(value, f)


def rfc2822(value):
    return email.utils.parsedate_to_datetime(value)

