"""A Media Streams consumer written against Twilio's protocol, with the standard library only.

It shares no code with Dialtone: a small RFC 6455 WebSocket *server* (Twilio, and so Dialtone,
is the client), G.711 μ-law, and a Goertzel tone detector. `tests/e2e/whatsapp_stream.py` uses
it to play the application's side of `<Connect><Stream>`.

- `WsServer(handler)`: listens on 127.0.0.1; every upgrade is answered 101 and handed to
  `handler(conn)` on its own thread. `conn.request` holds the upgrade request (path, lower-case
  headers); `mode="http"` answers `200 OK` instead (a non-WebSocket server), `mode="refuse"`
  closes the listening socket (connections are refused).
- `WsConn.recv_json()` returns the next text message decoded (`None` once closed); `send_json`,
  `close`.
- `ulaw_decode`, `ulaw_encode`, `tone_ulaw(hz, ms)`, `goertzel_share(samples, rate, hz)`.
"""

import base64
import hashlib
import json
import math
import socket
import struct
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WsConn:
    """The server end of one WebSocket connection."""

    def __init__(self, sock, request):
        self.sock = sock
        self.request = request
        self.closed = False
        self.send_lock = threading.Lock()
        self.buffer = b""

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("socket closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def recv_frame(self):
        """(opcode, payload) of the next data frame; control frames are handled here."""
        while True:
            b0, b1 = self._read(2)
            opcode = b0 & 0x0F
            masked = b1 & 0x80
            length = b1 & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            if not masked:
                raise AssertionError("client frames must be masked (RFC 6455 §5.3)")
            mask = self._read(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(length)))
            if not b0 & 0x80:
                raise AssertionError("fragmented frames are not expected from Twilio")
            if opcode == 0x9:  # ping
                self._send(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            return opcode, payload

    def recv_json(self):
        """The next text message as JSON; `None` once the client closed."""
        if self.closed:
            return None
        try:
            opcode, payload = self.recv_frame()
        except (ConnectionError, OSError):
            self.closed = True
            return None
        if opcode == 0x8:
            self.closed = True
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            self.close_code = code
            try:
                self._send(0x8, payload[:2])
            except OSError:
                pass
            return None
        if opcode != 0x1:
            raise AssertionError(f"Twilio sends text frames only, got opcode {opcode}")
        return json.loads(payload.decode())

    def _send(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([n])
        elif n < 65536:
            header += bytes([126]) + struct.pack("!H", n)
        else:
            header += bytes([127]) + struct.pack("!Q", n)
        with self.send_lock:
            self.sock.sendall(header + payload)

    def send_json(self, message):
        self._send(0x1, json.dumps(message).encode())

    def send_text(self, text):
        self._send(0x1, text.encode())

    def send_binary(self, data):
        self._send(0x2, data)

    def close(self, code=1000):
        try:
            self._send(0x8, struct.pack("!H", code))
        except OSError:
            pass


class WsServer:
    """A loopback WebSocket server; see the module docs."""

    def __init__(self, handler, mode="ws"):
        self.handler = handler
        self.mode = mode
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.errors = []
        self.connections = 0
        if mode == "refuse":
            self.listener.close()
            return
        self.listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, rest = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, path, version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
            request = {"method": method, "path": path, "version": version, "headers": headers}
            if self.mode == "http":
                body = b"not a websocket"
                sock.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\nConnection: close\r\n\r\n"
                    + body
                )
                self.requests = getattr(self, "requests", []) + [request]
                return
            key = headers["sec-websocket-key"]
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            sock.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            conn = WsConn(sock, request)
            conn.buffer = rest
            self.handler(conn)
        except Exception as e:  # the scenario reports it
            self.errors.append(repr(e))
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def close(self):
        try:
            self.listener.close()
        except OSError:
            pass


# G.711 μ-law (ITU-T G.711, the segment encoding with bias 0x84).
BIAS = 0x84
CLIP = 32635


def ulaw_encode_sample(sample):
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, CLIP) + BIAS
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def ulaw_decode_sample(code):
    code = ~code & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    sample = ((mantissa << 3) + BIAS) << exponent
    sample -= BIAS
    return -sample if sign else sample


def ulaw_encode(samples):
    return bytes(ulaw_encode_sample(s) for s in samples)


def ulaw_decode(data):
    return [ulaw_decode_sample(b) for b in data]


def tone_ulaw(hz, ms, amplitude=0.3, rate=8000):
    n = rate * ms // 1000
    return ulaw_encode([int(amplitude * 32767 * math.sin(2 * math.pi * hz * i / rate)) for i in range(n)])


def goertzel_power(samples, rate, hz):
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def goertzel_share(samples, rate, hz):
    """The share of the signal's energy at `hz` (0..1)."""
    energy = sum(x * x for x in samples)
    if energy == 0:
        return 0.0
    return 2 * goertzel_power(samples, rate, hz) / (len(samples) * energy)
