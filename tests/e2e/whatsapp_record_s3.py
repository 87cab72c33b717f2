"""A `<Record>` kept in S3, through the real server and a real S3-compatible server (moto's,
on loopback; started by `crates/cli/tests/e2e_recordings_s3.rs`, which also starts Dialtone
with `--recordings-store s3`).

A simulated WhatsApp user (`Audio=tone:700`) calls the business number, whose application
answers `<Record maxLength="3" playBeep="false" recordingStatusCallback=...>`. Once the
recording's `completed` callback arrives the script checks every parameter of it, that the WAV
is in the bucket under `{prefix}{AccountSid}/{RecordingSid}.wav` (boto3), that `GET
{RecordingUrl}.wav` through Dialtone returns those bytes (saved as `recording.wav` into
`$DIALTONE_HEARD_DIR` for the Rust test's Goertzel check), that ranges are answered 206 / 416
with the right bytes, that `.mp3` is encoded from the object, and that `DELETE` removes the
object.

Usage: `whatsapp_record_s3.py`, with the bucket created (Dialtone lists it at start-up). S3
settings: `DIALTONE_S3_ENDPOINT`, `DIALTONE_S3_BUCKET`, `DIALTONE_S3_PREFIX` and the standard
`AWS_*` credentials."""

import base64
import json
import os
import sys
import urllib.error
import urllib.request

import boto3
import botocore.exceptions

from dialtone_e2e import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    App,
    check,
    check_rfc2822,
    check_sid,
    client,
    eq,
    run,
    wait_terminal,
)
from dialtone_whatsapp import sender_number, user_calls_business, user_number, voice_sender, whatsapp_user

ENDPOINT = os.environ["DIALTONE_S3_ENDPOINT"]
BUCKET = os.environ["DIALTONE_S3_BUCKET"]
PREFIX = os.environ["DIALTONE_S3_PREFIX"]


def s3():
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1")


def get(url, **headers):
    """GET with Basic auth; returns (status, lower-cased headers, body)."""
    req = urllib.request.Request(url)
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode())
    for name, value in headers.items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def object_missing(key):
    try:
        s3().head_object(Bucket=BUCKET, Key=key)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] in ("404", "NoSuchKey")
    return False


def main():
    check(sys.argv[1:] == [], f"unexpected arguments {sys.argv[1:]}")
    c = client()
    sender, user = sender_number(), user_number()
    with App() as app:
        status_url = app.route("/recording-status", "")
        after = app.route("/after", "<Response><Hangup/></Response>")
        voice = app.route(
            "/voice",
            f'<Response><Record maxLength="3" playBeep="false" action="{after}" '
            f'recordingStatusCallback="{status_url}"/></Response>',
        )
        application = c.applications.create(friendly_name="record to s3", voice_url=voice)
        voice_sender(c, sender, application.sid)
        eq(whatsapp_user(user, Audio="tone:700")["audio"], "tone:700", "the user's audio")
        user_calls_business(user, sender)
        call = app.wait_received("/voice", 1, timeout=15.0)[0].params["CallSid"]
        check_sid(call, "CA", "CallSid")

        callback = app.wait_received("/recording-status", 1, call_sid=call, timeout=30.0)[0]
        p = callback.params
        eq(callback.method, "POST", "recording status callback method")
        eq(
            sorted(p),
            sorted(
                [
                    "AccountSid",
                    "CallSid",
                    "RecordingChannels",
                    "RecordingDuration",
                    "RecordingSid",
                    "RecordingSource",
                    "RecordingStartTime",
                    "RecordingStatus",
                    "RecordingUrl",
                ]
            ),
            "recording status callback parameters",
        )
        sid = p["RecordingSid"]
        check(sid.startswith("RE") and len(sid) == 34, f"RecordingSid {sid}")
        eq(p["AccountSid"], ACCOUNT_SID, "AccountSid")
        eq(p["CallSid"], call, "CallSid")
        eq(p["RecordingStatus"], "completed", "RecordingStatus")
        eq(p["RecordingChannels"], "1", "RecordingChannels")
        eq(p["RecordingSource"], "RecordVerb", "RecordingSource")
        check_rfc2822(p["RecordingStartTime"], "RecordingStartTime")
        url = f"{BASE_URL}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"
        eq(p["RecordingUrl"], url, "RecordingUrl")
        duration = int(p["RecordingDuration"])
        check(2 <= duration <= 3, f"RecordingDuration {duration} (maxLength 3)")

        # The completed callback comes after the upload: the object is there.
        key = f"{PREFIX}{ACCOUNT_SID}/{sid}.wav"
        head = s3().head_object(Bucket=BUCKET, Key=key)
        eq(head["ContentType"], "audio/x-wav", "the object's Content-Type")
        stored = s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
        eq(len(stored), head["ContentLength"], "object length")
        check(stored[:4] == b"RIFF" and stored[8:12] == b"WAVE", "the object is a WAV file")
        # 8 kHz 16-bit mono: the duration rounds the data length.
        eq(round((len(stored) - 44) / 16000), duration, "the object's length against RecordingDuration")

        # Through Dialtone, from the bucket.
        status, headers, wav = get(url + ".wav")
        eq((status, headers.get("content-type")), (200, "audio/x-wav"), f"GET .wav: {wav[:200]!r}")
        eq(headers.get("accept-ranges"), "bytes", "Accept-Ranges")
        eq(wav, stored, "GET .wav returns the object")
        with open(os.path.join(os.environ["DIALTONE_HEARD_DIR"], "recording.wav"), "wb") as f:
            f.write(wav)
        status, headers, plain = get(url)
        eq((status, plain), (200, stored), "GET without extension is the WAV")

        total = len(stored)
        for spec, start, end in [
            ("bytes=100-1099", 100, 1099),
            ("bytes=44-", 44, total - 1),
            ("bytes=-500", total - 500, total - 1),
            (f"bytes={total - 10}-{total + 1000}", total - 10, total - 1),
        ]:
            status, headers, part = get(url + ".wav", Range=spec)
            eq(status, 206, f"Range {spec}")
            eq(headers.get("content-range"), f"bytes {start}-{end}/{total}", f"Content-Range of {spec}")
            eq(headers.get("content-length"), str(end - start + 1), f"Content-Length of {spec}")
            eq(part, stored[start : end + 1], f"bytes of {spec}")
        status, headers, body = get(url + ".wav", Range=f"bytes={total}-")
        eq(status, 416, "a range past the end")
        eq(headers.get("content-range"), f"bytes */{total}", "Content-Range of a 416")

        status, headers, mp3 = get(url + ".mp3")
        eq((status, headers.get("content-type")), (200, "audio/mpeg"), f"GET .mp3: {mp3[:200]!r}")
        check(
            mp3.startswith(b"ID3") or any(mp3[i] == 0xFF and mp3[i + 1] & 0xE0 == 0xE0 for i in range(len(mp3) - 1)),
            "the MP3 has a frame sync",
        )

        r = c.recordings(sid).fetch()
        eq((r.status, r.duration, r.call_sid, r.source), ("completed", str(duration), call, "RecordVerb"), "the resource")

        app.wait_received("/after", 1, call_sid=call, timeout=15.0)
        wait_terminal(c, call, timeout=15.0)

        # DELETE removes the row and the object.
        check(c.recordings(sid).delete(), "DELETE the recording")
        check(object_missing(key), f"the object {key} is deleted")
        status, _, body = get(url + ".wav")
        eq(status, 404, f"GET .wav after DELETE: {body[:200]!r}")
        eq(json.loads(body)["code"], 20404, "error code after DELETE")
        eq(s3().list_objects_v2(Bucket=BUCKET).get("KeyCount"), 0, "objects left in the bucket")


if __name__ == "__main__":
    run(main)
