#!/usr/bin/env python3
"""The far end of dialtone-media's interop test: an independent WebRTC stack (aiortc).

Protocol over stdin/stdout, one JSON object per line:
  stdin  {"offer": "<sdp>"}     -> stdout {"answer": "<sdp>"}       (aiortc answers)
  or
  stdin  {"make_offer": true}   -> stdout {"offer": "<sdp>"}
  stdin  {"answer": "<sdp>"}                                        (aiortc offers)
  (aiortc connects, sends its own audio and records what arrives)
  stdin  {"stop": true}         -> stdout {"report": {...}} and exit 0

The report counts the RTP packets received from the Rust leg, checks each one (payload
type, Opus silence payload, sequence numbers +1, RTP timestamps +960 at 48 kHz), counts RTCP
packets from it, and gives aiortc's own sent count and connection states.
"""

import asyncio
import json
import re
import sys

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

# Loopback only: aioice leaves 127.0.0.1 out of its host candidates by default.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

RECEIVED = []
RTCP = {"receiver": 0, "sender": 0}

_original_rtp = RTCRtpReceiver._handle_rtp_packet
_original_receiver_rtcp = RTCRtpReceiver._handle_rtcp_packet
_original_sender_rtcp = RTCRtpSender._handle_rtcp_packet


async def _record_rtp(self, packet, arrival_time_ms):
    RECEIVED.append(
        (packet.payload_type, packet.sequence_number, packet.timestamp, bytes(packet.payload))
    )
    return await _original_rtp(self, packet, arrival_time_ms)


async def _record_receiver_rtcp(self, packet):
    RTCP["receiver"] += 1
    return await _original_receiver_rtcp(self, packet)


async def _record_sender_rtcp(self, packet):
    RTCP["sender"] += 1
    return await _original_sender_rtcp(self, packet)


RTCRtpReceiver._handle_rtp_packet = _record_rtp
RTCRtpReceiver._handle_rtcp_packet = _record_receiver_rtcp
RTCRtpSender._handle_rtcp_packet = _record_sender_rtcp


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def read_message():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        raise SystemExit("stdin closed")
    return json.loads(line)


def opus_payload_type(sdp):
    """Opus's payload type in the Rust side's SDP."""
    match = re.search(r"^a=rtpmap:(\d+) opus/48000/2\r?$", sdp, re.MULTILINE)
    return int(match.group(1)) if match else None


def audio_report(opus_pt):
    """Checks every Opus packet received: payload, sequence and timestamp steps."""
    opus = [p for p in RECEIVED if p[0] == opus_pt]
    seq_steps = sorted({(b[1] - a[1]) % 65536 for a, b in zip(opus, opus[1:])})
    ts_steps = sorted({(b[2] - a[2]) % 2**32 for a, b in zip(opus, opus[1:])})
    payloads = sorted({p[3].hex() for p in opus})
    return {
        "opus_pt": opus_pt,
        "rtp_received": len(RECEIVED),
        "opus_received": len(opus),
        "payload_types": sorted({p[0] for p in RECEIVED}),
        "seq_steps": seq_steps,
        "timestamp_steps": ts_steps,
        "opus_payloads": payloads,
    }


async def main():
    pc = RTCPeerConnection()
    pc.addTrack(AudioStreamTrack())

    @pc.on("track")
    def on_track(track):
        async def drain():
            while True:
                try:
                    await track.recv()
                except Exception:
                    return

        asyncio.ensure_future(drain())

    first = await read_message()
    if first.get("make_offer"):
        await pc.setLocalDescription(await pc.createOffer())
        send({"offer": pc.localDescription.sdp})
        answer = (await read_message())["answer"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    else:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=first["offer"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        send({"answer": pc.localDescription.sdp})

    await read_message()  # {"stop": true}
    stats = await pc.getStats()
    sent = sum(getattr(s, "packetsSent", 0) for s in stats.values() if s.type == "outbound-rtp")
    report = audio_report(opus_payload_type(pc.remoteDescription.sdp))
    report.update(
        {
            "rtcp_received": RTCP["receiver"] + RTCP["sender"],
            "rtp_sent": sent,
            "ice_state": pc.iceConnectionState,
            "connection_state": pc.connectionState,
        }
    )
    await pc.close()
    send({"report": report})


if __name__ == "__main__":
    asyncio.run(main())
