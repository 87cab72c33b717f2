"""Shared pieces of Dialtone's end-to-end scripts.

Every script talks to a running `dialtone serve` through Twilio's own helper library
(`twilio.rest.Client` with `client.api.base_url` pointed at the server) and receives its
webhooks on a loopback application server that checks every request with Twilio's own
`RequestValidator`. The Rust harness (`crates/cli/tests/e2e.rs`) starts the server and passes:

- `DIALTONE_BASE_URL`: `http://127.0.0.1:PORT`
- `DIALTONE_ACCOUNT_SID`, `DIALTONE_AUTH_TOKEN`: the account the scripts use
- `DIALTONE_OTHER_ACCOUNT_SID`, `DIALTONE_OTHER_AUTH_TOKEN`: a second account on the same server

A script fails (non-zero exit, traceback on stderr) on the first wrong value.
"""

import base64
import email.utils
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

BASE_URL = os.environ["DIALTONE_BASE_URL"].rstrip("/")
ACCOUNT_SID = os.environ["DIALTONE_ACCOUNT_SID"]
AUTH_TOKEN = os.environ["DIALTONE_AUTH_TOKEN"]
OTHER_ACCOUNT_SID = os.environ.get("DIALTONE_OTHER_ACCOUNT_SID", "")
OTHER_AUTH_TOKEN = os.environ.get("DIALTONE_OTHER_AUTH_TOKEN", "")

SID_RE = {kind: re.compile("^" + kind + "[0-9a-f]{32}$") for kind in ("CA", "AP", "AC", "NO", "SK", "XE", "SM", "HX", "MZ")}
# RFC 2822 as Twilio writes it: `Tue, 31 Aug 2010 20:36:28 +0000`.
RFC2822_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} \+0000$"
)
TERMINAL = {"completed", "busy", "failed", "no-answer", "canceled"}


def client(sid=ACCOUNT_SID, token=AUTH_TOKEN):
    """A twilio-python client pointed at Dialtone (twilio-voice.md §6.7)."""
    c = Client(sid, token)
    c.api.base_url = BASE_URL
    return c


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def check_sid(value, kind, what):
    check(isinstance(value, str) and SID_RE[kind].match(value), f"{what}: not a {kind} SID: {value!r}")


def check_rfc2822(value, what):
    check(isinstance(value, str) and RFC2822_RE.match(value), f"{what}: not RFC 2822: {value!r}")
    check(email.utils.parsedate_to_datetime(value) is not None, f"{what}: unparsable {value!r}")


def refused(f, status, code, what):
    """`f()` raises twilio-python's `TwilioRestException` with `status` and Twilio `code`."""
    try:
        f()
    except TwilioRestException as e:
        eq((e.status, e.code), (status, code), what)
        return
    raise AssertionError(f"{what}: no error")


def wait_for(predicate, what, timeout=10.0, interval=0.02):
    """Polls `predicate` until it returns a truthy value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_terminal(c, sid, timeout=10.0):
    """Fetches the call until its status is terminal; returns the record."""
    return wait_for(
        lambda: (lambda call: call if call.status in TERMINAL else None)(c.calls(sid).fetch()),
        f"call {sid} to end",
        timeout,
    )


def http(method, path, params=None, sid=ACCOUNT_SID, token=AUTH_TOKEN):
    """A plain-HTTP request with Basic auth: for the softphone simulator (`/sim/v1`), which
    twilio-python has no class for, and for raw JSON. Returns (status, decoded JSON)."""
    data = urllib.parse.urlencode(params or {}, doseq=True).encode()
    req = urllib.request.Request(BASE_URL + path, data=data if method != "GET" else None, method=method)
    auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
    req.add_header("Authorization", "Basic " + auth)
    if method != "GET":
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
            return resp.status, (json.loads(body) if body else None)
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, (json.loads(body) if body else None)


def softphone(identity, **settings):
    """Registers a simulated softphone; `settings` are form fields (AnswerAfter=0.05...)."""
    params = {"Identity": identity}
    params.update({k: str(v) for k, v in settings.items()})
    status, body = http("POST", "/sim/v1/Clients", params)
    check(status in (200, 201), f"registering softphone {identity}: {status} {body}")
    eq(body["identity"], identity, "registered identity")
    return body


class Request:
    """One webhook the application received."""

    def __init__(self, method, path, params, headers, target=None):
        self.at = time.monotonic()  # when it arrived (`time.monotonic()`)
        self.method = method
        self.path = path
        self.params = params
        self.headers = headers  # names in lower case
        self.target = target  # the request target exactly as received (path and query)

    def __repr__(self):
        return f"{self.method} {self.path} {self.params}"


class App:
    """The application: a loopback HTTP server that validates every request's
    `X-Twilio-Signature` with twilio-python's `RequestValidator`, answers each path with the
    response registered for it, and records everything it received."""

    def __init__(self, auth_token=AUTH_TOKEN):
        self.validator = RequestValidator(auth_token)
        self.routes = {}
        self.requests = []
        self.failures = []
        self.lock = threading.Lock()
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                app.receive(self, body)

            do_GET = handle_any
            do_POST = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        self.assert_all_valid()

    def route(self, path, body, status=200, content_type="text/xml"):
        """Answers `path` (without query) with `body`."""
        self.routes[path] = (status, content_type, body)
        return self.url + path

    def receive(self, handler, body):
        split = urllib.parse.urlsplit(handler.path)
        url = self.url + handler.path
        if handler.command == "POST":
            pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
            params = dict(pairs)
            signed = params
            if len(params) != len(pairs):
                self.fail(f"repeated form keys in {handler.command} {handler.path}: {pairs}")
        else:
            params = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
            signed = {}
        signature = handler.headers.get("X-Twilio-Signature", "")
        if not self.validator.validate(url, signed, signature):
            self.fail(f"invalid X-Twilio-Signature {signature!r} on {handler.command} {url} {signed}")
        ua = handler.headers.get("User-Agent")
        if ua != "TwilioProxy/1.1":
            self.fail(f"User-Agent {ua!r} on {handler.command} {url}")
        if not handler.headers.get("I-Twilio-Idempotency-Token"):
            self.fail(f"no I-Twilio-Idempotency-Token on {handler.command} {url}")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            self.requests.append(Request(handler.command, split.path, params, headers, handler.path))
        status, content_type, response = self.routes.get(split.path, (204, None, ""))
        data = response.encode()
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def fail(self, message):
        with self.lock:
            self.failures.append(message)

    def assert_all_valid(self):
        check(not self.failures, "application received bad webhooks:\n  " + "\n  ".join(self.failures))

    def received(self, path, call_sid=None):
        """Requests received on `path` (for one call when `call_sid` is given), in order."""
        with self.lock:
            return [
                r
                for r in self.requests
                if r.path == path and (call_sid is None or r.params.get("CallSid") == call_sid)
            ]

    def wait_received(self, path, count, call_sid=None, timeout=10.0):
        return wait_for(
            lambda: (lambda rs: rs if len(rs) >= count else None)(self.received(path, call_sid)),
            f"{count} request(s) on {path}" + (f" for {call_sid}" if call_sid else ""),
            timeout,
        )


def run(main):
    """Runs a script's `main`, printing a one-line verdict."""
    name = os.path.basename(sys.argv[0])
    started = time.monotonic()
    main()
    print(f"{name}: ok ({time.monotonic() - started:.2f}s)")
