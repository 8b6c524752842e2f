"""Black-box harness for the unipayd end-to-end tests (Python 3 standard library only).

Everything here talks to unipayd over loopback HTTP, exactly as a game server, a game
client, an operator or a payment provider would (DESIGN.md §3):

- fresh_database_url()  a throwaway database on the test PostgreSQL (created with psql)
- Server                one unipayd process: start, wait for /readyz, kill -9, SIGTERM, restart
- AppClient             requests signed with the app secret; checks every response signature
- client_get / client_result   reads and long polls with a bill's client token
- admin_create_app      POST /v1/admin/apps with the admin token
- sandbox_callback      a provider callback on the sandbox channel
- GameServer            the game's delivery endpoint, with programmable failures
- E2ECase               unittest base: error-envelope assertions, log tails on failure

Environment (set by CTest): UNIPAYD, UNIPAY_TEST_DATABASE_URL, UNIPAY_TEST_TMP.
Every wait is bounded; every process and listener is stopped in cleanups and at exit.
"""

import atexit
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

# --------------------------------------------------------------------------- constants

BILL_ID_RE = re.compile(r"^b_[A-Za-z0-9_-]{26}$")
RFC3339_MS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
BILL_STATES = {"created", "paid", "failed", "closed", "delivered", "refunded"}

# Retry settings the tests run unipayd with: small, so retries happen within seconds.
BACKOFF_INITIAL_MS = 200
BACKOFF_MAX_MS = 800

# Error code → (HTTP status, ret), DESIGN.md §3 "Errors".
ERRORS = {
    "not_found": (404, 1),
    "unauthorized": (401, 2),
    "bad_signature": (401, 2),
    "stale_timestamp": (401, 2),
    "replayed": (401, 2),
    "forbidden": (403, 2),
    "insufficient_balance": (409, 3),
    "account_frozen": (423, 4),
    "invalid_parameter": (400, 6),
    "invalid_json": (400, 6),
    "payload_too_large": (413, 6),
    "conflict": (409, 7),
    "server_busy": (503, -1),
    "storage_read": (500, -2),
    "storage_write": (500, -3),
}


def log(*parts):
    """Progress output for humans reading the CTest log (stderr, like unittest's own)."""
    print("[e2e]", *parts, file=sys.stderr, flush=True)


def env_tmp_dir():
    path = os.environ.get("UNIPAY_TEST_TMP") or os.path.join(tempfile.gettempdir(), "unipay-e2e")
    os.makedirs(path, exist_ok=True)
    return path


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def hmac_hex(secret, data):
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(data, str):
        data = data.encode()
    return hmac.new(secret, data, hashlib.sha256).hexdigest()


def new_nonce():
    """16..64 characters of [A-Za-z0-9_-] (token_urlsafe(24) gives 32)."""
    nonce = secrets.token_urlsafe(24)
    assert NONCE_RE.match(nonce), nonce
    return nonce


def canonical_request(method, path_with_query, timestamp, nonce, body):
    return "\n".join([method, path_with_query, str(timestamp), nonce, sha256_hex(body)])


def sign_request(secret, method, path_with_query, timestamp, nonce, body):
    return hmac_hex(secret, canonical_request(method, path_with_query, timestamp, nonce, body))


def sign_response(secret, status, nonce, body):
    return hmac_hex(secret, "%d\n%s\n%s" % (status, nonce, sha256_hex(body)))


def to_body(body):
    """None → b"", dict/list → compact JSON bytes, str → UTF-8, bytes unchanged."""
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, separators=(",", ":")).encode()


def wait_until(predicate, timeout, interval=0.05):
    """Calls predicate until it returns a truthy value or `timeout` seconds pass.
    Returns the last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- responses

class Response:
    """One HTTP answer. Unpacks as (status, headers, body) too."""

    def __init__(self, status, headers, body, nonce=None, signature_ok=None, elapsed=0.0):
        self.status = status
        self.headers = headers          # lowercase names → value
        self.body = body                # raw bytes
        self.nonce = nonce              # the request nonce, for signed requests
        self.signature_ok = signature_ok  # True/False for signed responses, None if unchecked
        self.elapsed = elapsed          # seconds from sending to the full answer

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError("answer %d is not JSON (%s): %r" % (self.status, e, self.body[:300]))

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


def http_request(port, method, path, body=None, headers=None, timeout=15.0):
    """One request on a fresh loopback connection. Returns a Response."""
    data = to_body(body)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        hdrs = dict(headers or {})
        if data or method in ("POST", "PUT", "PATCH"):
            hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=hdrs)
        else:
            conn.request(method, path, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        out_headers = {k.lower(): v for k, v in resp.getheaders()}
        return Response(resp.status, out_headers, payload, elapsed=time.monotonic() - started)
    finally:
        conn.close()


def raw_http(port, head, body=b"", timeout=10.0):
    """Sends a hand-made request (head: bytes up to and including the blank line) and
    parses the answer. The body is sent only if no early answer arrives within 1 s, so
    a server refusing on the headers alone (413 on Content-Length) is read cleanly."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(head)
        early = b""
        if body:
            sock.settimeout(1.0)
            try:
                early = sock.recv(65536)
            except socket.timeout:
                early = b""
            sock.settimeout(timeout)
            if not early:
                try:
                    sock.sendall(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
        data = early
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"\r\n\r\n" in data:
                head_part, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head_part)
                if m and len(rest) >= int(m.group(1)):
                    break
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                if data:
                    break
                raise
            if not chunk:
                break
            data += chunk
        head_part, _, rest = data.partition(b"\r\n\r\n")
        lines = head_part.decode("latin-1").split("\r\n")
        if not lines or not lines[0].startswith("HTTP/"):
            raise AssertionError("no HTTP answer, got %r" % data[:200])
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            rest = rest[: int(headers["content-length"])]
        return Response(status, headers, rest)
    finally:
        sock.close()


# --------------------------------------------------------------------------- database

_databases_to_drop = []


def _psql(url, sql):
    return subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, text=True)


def query_rows(url, sql):
    """Rows of one query as lists of text cells (for checks no HTTP answer shows, such as
    the nodes table of unipayd's own bookkeeping)."""
    result = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1",
                             "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                            text=True)
    if result.returncode != 0:
        raise AssertionError("query failed: %s" % result.stderr.strip())
    return [line.split("|") for line in result.stdout.splitlines() if line]


def _with_dbname(url, dbname):
    # urlunsplit would drop the empty authority of postgresql:///db?host=/socket/dir
    parts = urllib.parse.urlsplit(url)
    out = "%s://%s/%s" % (parts.scheme, parts.netloc, dbname)
    return out + ("?" + parts.query if parts.query else "")


def fresh_database_url():
    """Creates an empty database e2e_<random> on UNIPAY_TEST_DATABASE_URL's server and
    returns a URL naming it. It is dropped by drop_database() or at exit (best effort)."""
    base = os.environ.get("UNIPAY_TEST_DATABASE_URL")
    if not base:
        raise unittest.SkipTest("UNIPAY_TEST_DATABASE_URL is not set")
    name = "e2e_" + secrets.token_hex(6)
    result = _psql(base, "CREATE DATABASE %s" % name)
    if result.returncode != 0:
        raise RuntimeError("CREATE DATABASE failed: %s" % result.stderr.strip())
    _databases_to_drop.append((base, name))
    return _with_dbname(base, name)


def drop_database(url):
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    for entry in list(_databases_to_drop):
        if entry[1] == name:
            _databases_to_drop.remove(entry)
            try:
                _psql(entry[0], "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
            except Exception as e:  # best effort
                log("could not drop database", name, e)


@atexit.register
def _drop_all_databases():
    for base, name in list(_databases_to_drop):
        try:
            _psql(base, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        except Exception:
            pass
    _databases_to_drop.clear()


# --------------------------------------------------------------------------- unipayd

_live_servers = set()


@atexit.register
def _kill_all_servers():
    for server in list(_live_servers):
        server.kill9()


def _child_env():
    # unipayd reads UNIPAY_* variables as configuration: hand it none of the test's own.
    return {k: v for k, v in os.environ.items() if not k.startswith("UNIPAY")}


class Server:
    """One unipayd process on 127.0.0.1:<port>. The port, database, data directory and
    admin token stay the same across restart()."""

    def __init__(self, database_url, extra_args=(), backoff_initial_ms=BACKOFF_INITIAL_MS,
                 backoff_max_ms=BACKOFF_MAX_MS, name="unipayd", allow_private_delivery=True):
        binary = os.environ.get("UNIPAYD")
        if not binary:
            raise unittest.SkipTest("UNIPAYD is not set")
        if not os.access(binary, os.X_OK):
            raise AssertionError("UNIPAYD=%s is not an executable file" % binary)
        self.binary = binary
        self.database_url = database_url
        self.port = free_port()
        self.admin_token = secrets.token_urlsafe(32)
        tmp = env_tmp_dir()
        self.data_dir = tempfile.mkdtemp(prefix="%s-data-" % name, dir=tmp)
        self.log_path = os.path.join(tmp, "%s-%d-%s.log" % (name, self.port, secrets.token_hex(3)))
        self.args = [
            binary, "serve",
            "--listen", "127.0.0.1:%d" % self.port,
            "--database-url", database_url,
            "--data-dir", self.data_dir,
            "--admin-token", self.admin_token,
            "--delivery-backoff-initial-ms", str(backoff_initial_ms),
            "--delivery-backoff-max-ms", str(backoff_max_ms),
        ] + (["--allow-private-delivery"] if allow_private_delivery else []) + list(extra_args)
        self.proc = None
        self.starts = 0
        self.last_ready_seconds = None  # how long the last start took to answer /readyz 200

    # -- process control

    def start(self, ready_timeout=30.0):
        self.starts += 1
        with open(self.log_path, "ab") as f:
            f.write(("\n==== start #%d: %s\n" % (self.starts, " ".join(self.args))).encode())
        logf = open(self.log_path, "ab")
        started = time.monotonic()
        try:
            self.proc = subprocess.Popen(self.args, stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=_child_env(),
                                         cwd=self.data_dir)
        finally:
            logf.close()
        _live_servers.add(self)
        deadline = started + ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("unipayd exited with %s before it was ready\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            try:
                r = http_request(self.port, "GET", "/readyz", timeout=2.0)
                if r.status == 200:
                    self.last_ready_seconds = time.monotonic() - started
                    return self
                last = "status %d" % r.status
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill9()
        raise AssertionError("unipayd not ready within %.0f s (last: %s)\n%s"
                             % (ready_timeout, last, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL and reap (a crash: nothing is flushed, no goodbye)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log("unipayd pid", self.proc.pid, "did not die after SIGKILL")
        _live_servers.discard(self)

    def terminate(self, timeout=20.0):
        """SIGTERM and wait up to `timeout` s. Returns the exit code (None if it had to
        be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            _live_servers.discard(self)
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log("unipayd did not stop within %.0f s of SIGTERM; killing it" % timeout)
            self.kill9()
            return None
        _live_servers.discard(self)
        return code

    def restart(self, ready_timeout=30.0):
        if self.alive():
            self.terminate()
        return self.start(ready_timeout)

    def stop(self):
        """For cleanups: SIGTERM, then SIGKILL if needed."""
        if self.alive():
            self.terminate(timeout=10.0)
        self.kill9()

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log at %s)" % self.log_path
        tail = text.splitlines()[-lines:]
        return "---- last %d lines of %s\n%s\n----" % (len(tail), self.log_path, "\n".join(tail))

    # -- HTTP

    def request(self, method, path, body=None, headers=None, timeout=15.0):
        """Unsigned request → Response (unpacks as status, headers, body)."""
        return http_request(self.port, method, path, body, headers, timeout)

    def admin(self, method, path, body=None, token=None, timeout=15.0):
        token = self.admin_token if token is None else token
        return self.request(method, path, body, {"Authorization": "Bearer " + token}, timeout)


# --------------------------------------------------------------------------- app clients

class AppClient:
    """Requests signed with the app secret (DESIGN.md §3). Every answer that carries
    X-Unipay-Signature is checked; a signed request whose answer should be signed but is
    not (or is signed wrongly) is recorded in `signature_failures`."""

    # Answers a server may leave unsigned: the signature was not (or could not be) verified.
    UNSIGNED_OK = {401, 413, 431}

    def __init__(self, server, app_id, secret):
        self.server = server
        self.app_id = app_id
        self.secret = secret
        self.signature_failures = []

    def signed_headers(self, method, path, body, timestamp=None, nonce=None, secret=None):
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = new_nonce() if nonce is None else nonce
        sig = sign_request(self.secret if secret is None else secret, method, path, ts, nonce, body)
        return {"X-Unipay-App": self.app_id, "X-Unipay-Timestamp": ts,
                "X-Unipay-Nonce": nonce, "X-Unipay-Signature": sig}

    def request(self, method, path, body=None, headers=None, timestamp=None, nonce=None,
                secret=None, signature=None, omit=(), check_response=True, timeout=15.0):
        """Signed request. `signature` overrides the computed one; `omit` drops signing
        headers by name. With check_response, the answer's signature is verified."""
        data = to_body(body)
        signed = self.signed_headers(method, path, data, timestamp, nonce, secret)
        if signature is not None:
            signed["X-Unipay-Signature"] = signature
        for name in omit:
            signed.pop(name, None)
        hdrs = dict(signed)
        hdrs.update(headers or {})
        resp = self.server.request(method, path, data, hdrs, timeout)
        resp.nonce = signed.get("X-Unipay-Nonce")
        got = resp.headers.get("x-unipay-signature")
        if got is not None and resp.nonce:
            resp.signature_ok = hmac.compare_digest(
                got, sign_response(self.secret, resp.status, resp.nonce, resp.body))
        if check_response:
            if got is None and resp.status not in self.UNSIGNED_OK:
                self.signature_failures.append("%s %s → %d unsigned" % (method, path, resp.status))
            elif resp.signature_ok is False:
                self.signature_failures.append("%s %s → %d bad response signature"
                                               % (method, path, resp.status))
        return resp

    def raw(self, method, path, body, headers=None, timeout=10.0):
        """A signed request written by hand on a raw socket (for size-limit tests, where
        the server may answer before reading the body). The answer is not checked."""
        data = to_body(body)
        hdrs = {"Host": "127.0.0.1:%d" % self.server.port, "Content-Type": "application/json",
                "Content-Length": str(len(data)), "Connection": "close"}
        hdrs.update(self.signed_headers(method, path, data))
        hdrs.update(headers or {})
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
        resp = raw_http(self.server.port, head.encode("latin-1"), data, timeout)
        resp.nonce = hdrs["X-Unipay-Nonce"]
        got = resp.headers.get("x-unipay-signature")
        if got is not None:
            resp.signature_ok = hmac.compare_digest(
                got, sign_response(self.secret, resp.status, resp.nonce, resp.body))
        return resp

    # -- bills

    DEFAULT_BILL = {"user_id": "u_1", "item_id": "gem_100", "channel": "sandbox",
                    "amount": 100, "currency": "USD"}

    def bill_body(self, **fields):
        """The default create body updated by `fields`; a field given as None is left out."""
        body = dict(self.DEFAULT_BILL)
        body.update(fields)
        return {k: v for k, v in body.items() if v is not None}

    def create_bill(self, idempotency_key=None, raw_body=None, **fields):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = raw_body if raw_body is not None else self.bill_body(**fields)
        return self.request("POST", "/v1/bills", body, headers)

    def new_bill_when_admitted(self, within_s=10.0, **fields):
        """Creates a bill as a client honouring 503 busy + Retry-After does (admission may
        refuse new work for a moment while accepted work, e.g. a burst of callbacks, fills
        the writer), asserting 201 in the end. Returns (bill dict, client_token)."""
        deadline = time.monotonic() + within_s
        while True:
            r = self.request("POST", "/v1/bills", self.bill_body(**fields), check_response=False)
            if r.status != 503 or time.monotonic() > deadline:
                break
            time.sleep(min(float(r.headers.get("retry-after", "1")), 0.2))
        if r.status != 201:
            raise AssertionError("create bill: %r" % r)
        doc = r.json()
        return doc["bill"], doc["client_token"]

    def new_bill(self, **fields):
        """Creates a bill, asserting 201. Returns (bill dict, client_token)."""
        r = self.create_bill(**fields)
        if r.status != 201:
            raise AssertionError("create bill: %r" % r)
        doc = r.json()
        return doc["bill"], doc["client_token"]

    def get_bill(self, bill_id):
        return self.request("GET", "/v1/bills/" + bill_id)

    def bill(self, bill_id):
        """The bill dict, asserting 200."""
        r = self.get_bill(bill_id)
        if r.status != 200:
            raise AssertionError("get bill %s: %r" % (bill_id, r))
        return r.json()["bill"]

    def close_bill(self, bill_id):
        return self.request("POST", "/v1/bills/%s/close" % bill_id, b"")

    def result(self, bill_id, timeout=None, until=None):
        return self.request("GET", result_path(bill_id, timeout, until),
                            timeout=(timeout if timeout is not None else 30) + 15)

    def list_bills(self, **query):
        q = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        return self.request("GET", "/v1/bills" + ("?" + q if q else ""))


def result_path(bill_id, timeout=None, until=None):
    query = {}
    if timeout is not None:
        query["timeout"] = timeout
    if until is not None:
        query["until"] = until
    path = "/v1/bills/%s/result" % bill_id
    return path + ("?" + urllib.parse.urlencode(query) if query else "")


def client_get(server, bill_id, client_token):
    return server.request("GET", "/v1/bills/" + bill_id,
                          headers={"Authorization": "Bearer " + client_token})


def client_result(server, bill_id, client_token, timeout=None, until=None):
    """Long poll with the bill's client token; the HTTP timeout exceeds the poll's."""
    return server.request("GET", result_path(bill_id, timeout, until),
                          headers={"Authorization": "Bearer " + client_token},
                          timeout=(timeout if timeout is not None else 30) + 15)


def client_close(server, bill_id, client_token):
    return server.request("POST", "/v1/bills/%s/close" % bill_id, b"",
                          headers={"Authorization": "Bearer " + client_token})


# --------------------------------------------------------------------------- admin & callbacks

def admin_create_app(server, delivery_url, sandbox_secret, catalog=None, name=None, channels=None):
    """Creates an app through the admin API, with a sandbox channel and any other `channels`
    (name → credentials). Returns (app_id, secret, answer document)."""
    body = {"name": name or "e2e-" + secrets.token_hex(4), "delivery_url": delivery_url,
            "channels": dict({"sandbox": {"secret": sandbox_secret}}, **(channels or {}))}
    if catalog is not None:
        body["catalog"] = catalog
    r = server.admin("POST", "/v1/admin/apps", body)
    if r.status != 201:
        raise AssertionError("admin create app: %r" % r)
    doc = r.json()
    return doc["app"]["app_id"], doc["secret"], doc


def sandbox_callback(server, app_id, sandbox_secret, bill_id, trade_no, status, amount,
                     currency, tamper=None):
    """POST /v1/callbacks/{app_id}/sandbox signed with the sandbox secret.
    tamper: None; "signature" (flip the signature); "body" (change the body after
    signing); or a callable(body bytes, signature) → (body bytes, signature)."""
    body = to_body({"bill_id": bill_id, "trade_no": trade_no, "status": status,
                    "amount": amount, "currency": currency})
    signature = hmac_hex(sandbox_secret, body)
    if tamper == "signature":
        signature = ("0" if signature[0] != "0" else "1") + signature[1:]
    elif tamper == "body":
        body = body.replace(b'"amount":', b'"amount": ')
    elif callable(tamper):
        body, signature = tamper(body, signature)
    return server.request("POST", "/v1/callbacks/%s/sandbox" % app_id, body,
                          {"X-Sandbox-Signature": signature})


def new_trade_no():
    return "t_" + secrets.token_hex(8)


# --------------------------------------------------------------------------- game server

class Delivery:
    """One delivery request the game server received."""

    def __init__(self, at, attempt, delivery_id, bill_id, signature_ok, answered, body,
                 headers, path, problem):
        self.at = at                    # time.monotonic() on arrival (before any delay)
        self.attempt = attempt
        self.delivery_id = delivery_id
        self.bill_id = bill_id
        self.signature_ok = signature_ok
        self.answered = answered        # HTTP status answered, or None (connection dropped)
        self.body = body                # parsed JSON (or None)
        self.headers = headers          # lowercase names → value
        self.path = path
        self.problem = problem          # why signature_ok is False

    @property
    def confirmed(self):
        return self.answered is not None and 200 <= self.answered < 300

    def __repr__(self):
        return "<Delivery %s attempt=%s answered=%s sig=%s>" % (
            self.bill_id, self.attempt, self.answered, self.signature_ok)


class GameServer:
    """The game's delivery endpoint on 127.0.0.1. Verifies each delivery's unipay
    signature with the app secret (set `secrets[app_id]` once the app exists), records
    every delivery and answers per policy:

    - default: 200
    - fail_first(n): 500 to the first n deliveries of each bill, then 200
    - go_down(mode): until come_up(): mode "503" answers 503, "close" drops the
      connection without an answer, "refuse" stops listening (connection refused)
    - delay_s: sleep this long before answering (a slow game server)
    """

    PATH = "/unipay/deliver?game=e2e"

    def __init__(self):
        self.secrets = {}
        self.deliveries = []
        self._cond = threading.Condition()
        self._fail_first = 0
        self._down = None
        self.delay_s = 0.0
        self._httpd = None
        self._thread = None
        self.port = None
        self._listen(0)
        _live_game_servers.add(self)

    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.port, self.PATH)

    # -- lifecycle

    def _listen(self, port):
        game = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                game._handle(self)

            def log_message(self, *args):
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def _unlisten(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def close(self):
        self._unlisten()
        _live_game_servers.discard(self)

    # -- policy

    def fail_first(self, n):
        with self._cond:
            self._fail_first = n

    def go_down(self, mode="503"):
        assert mode in ("503", "close", "refuse")
        with self._cond:
            self._down = mode
        if mode == "refuse":
            self._unlisten()

    def come_up(self):
        with self._cond:
            mode, self._down = self._down, None
        if mode == "refuse":
            deadline = time.monotonic() + 10
            while True:
                try:
                    self._listen(self.port)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

    # -- handling

    def _verify(self, handler, raw):
        h = handler.headers
        app_id = h.get("X-Unipay-App")
        ts = h.get("X-Unipay-Timestamp") or ""
        nonce = h.get("X-Unipay-Nonce") or ""
        sig = h.get("X-Unipay-Signature") or ""
        secret = self.secrets.get(app_id)
        if secret is None:
            return False, "unknown or missing X-Unipay-App %r" % app_id
        if not ts.isdigit() or abs(int(ts) - time.time()) > 300:
            return False, "bad timestamp %r" % ts
        if not NONCE_RE.match(nonce):
            return False, "bad nonce %r" % nonce
        expected = sign_request(secret, "POST", handler.path, ts, nonce, raw)
        if not hmac.compare_digest(sig, expected):
            return False, "signature mismatch over %r" % handler.path
        return True, ""

    @staticmethod
    def _read_body(handler):
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            raw = b""
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return raw
                raw += handler.rfile.read(size)
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def _handle(self, handler):
        arrived = time.monotonic()
        raw = self._read_body(handler)
        sig_ok, problem = self._verify(handler, raw)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        bill_id = body.get("bill", {}).get("bill_id") if isinstance(body, dict) else None
        with self._cond:
            previous = sum(1 for d in self.deliveries if d.bill_id == bill_id)
            if self._down == "503":
                answer = 503
            elif self._down is not None:
                answer = None
            elif previous < self._fail_first:
                answer = 500
            else:
                answer = 200
            delay = self.delay_s
        if delay:
            time.sleep(delay)
        record = Delivery(arrived, body.get("attempt") if isinstance(body, dict) else None,
                          body.get("delivery_id") if isinstance(body, dict) else None,
                          bill_id, sig_ok, answer, body,
                          {k.lower(): v for k, v in handler.headers.items()},
                          handler.path, problem)
        # Recorded before answering: once unipayd reads a 2xx, the record exists.
        with self._cond:
            self.deliveries.append(record)
            self._cond.notify_all()
        if answer is None:
            handler.close_connection = True
            return
        payload = b'{"ok":true}' if answer == 200 else b'{"ok":false}'
        handler.send_response(answer)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    # -- queries

    def for_bill(self, bill_id):
        with self._cond:
            return [d for d in self.deliveries if d.bill_id == bill_id]

    def count(self, bill_id):
        return len(self.for_bill(bill_id))

    def confirmed(self, bill_id):
        return [d for d in self.for_bill(bill_id) if d.confirmed]

    def wait_for(self, predicate, timeout):
        """Waits until predicate(self) is truthy (re-checked on every delivery and every
        0.1 s). Returns its last value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self)
                remaining = deadline - time.monotonic()
                if value or remaining <= 0:
                    return value
                self._cond.wait(min(remaining, 0.1))

    def wait_confirmed(self, bill_ids, timeout):
        ids = set(bill_ids)
        return self.wait_for(
            lambda g: ids <= {d.bill_id for d in g.deliveries if d.confirmed}, timeout)


_live_game_servers = set()


@atexit.register
def _close_all_game_servers():
    for game in list(_live_game_servers):
        try:
            game.close()
        except Exception:
            pass


# --------------------------------------------------------------------------- test base

class E2ECase(unittest.TestCase):
    """Base class: an environment per test class (fresh database, one unipayd, one game
    server, one app), error-envelope assertions, and the server log's tail on failure."""

    SERVER_ARGS = ()
    BACKOFF_INITIAL_MS = BACKOFF_INITIAL_MS
    BACKOFF_MAX_MS = BACKOFF_MAX_MS
    CATALOG = None

    @classmethod
    def setUpClass(cls):
        cls.servers = []
        cls.clients = []
        cls.db_url = fresh_database_url()
        cls.addClassCleanup(drop_database, cls.db_url)
        cls.game = GameServer()
        cls.addClassCleanup(cls.game.close)
        cls.server = cls.start_server()
        cls.app = cls.make_app()

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, cls.SERVER_ARGS if extra_args is None else extra_args,
                        cls.BACKOFF_INITIAL_MS, cls.BACKOFF_MAX_MS,
                        name="unipayd-" + cls.__name__)
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        log("%s: unipayd ready on port %d in %.2f s (log %s)"
            % (cls.__name__, server.port, server.last_ready_seconds, server.log_path))
        return server

    @classmethod
    def make_app(cls, catalog=None, channels=None):
        """A new app delivering to cls.game, with `channels` (name → credentials) besides
        its sandbox; its client has `.sandbox_secret`."""
        sandbox_secret = secrets.token_hex(16)
        app_id, secret, _ = admin_create_app(cls.server, cls.game.url, sandbox_secret,
                                             catalog if catalog is not None else cls.CATALOG, channels=channels)
        cls.game.secrets[app_id] = secret
        client = AppClient(cls.server, app_id, secret)
        client.sandbox_secret = sandbox_secret
        cls.clients.append(client)
        return client

    # -- failures show the server's log

    def run(self, result=None):
        if result is None:
            return super().run()
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            for server in getattr(type(self), "servers", []):
                print("\n" + server.log_tail(), file=sys.stderr, flush=True)
        return out

    def tearDown(self):
        failures = []
        for client in type(self).clients:
            failures += client.signature_failures
            client.signature_failures = []
        self.assertEqual(failures, [], "answers to signed requests must be signed correctly")

    # -- helpers

    def pay(self, client, bill, trade_no=None, amount=None, currency=None, status="success"):
        """A sandbox callback for the bill (its own amount and currency unless given)."""
        return sandbox_callback(client.server, client.app_id, client.sandbox_secret, bill["bill_id"],
                                trade_no or new_trade_no(), status,
                                bill["amount"] if amount is None else amount,
                                bill["currency"] if currency is None else currency)

    def assertOkCallback(self, resp):
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json().get("ok"), True, resp)

    def assertError(self, resp, code, status=None, ret=None):
        """The answer is the §3 error envelope with this code, its HTTP status and ret."""
        exp_status, exp_ret = ERRORS.get(code, (None, None))
        status = exp_status if status is None else status
        ret = exp_ret if ret is None else ret
        self.assertEqual(resp.status, status, resp)
        doc = resp.json()
        self.assertIsInstance(doc.get("error"), dict, resp)
        err = doc["error"]
        self.assertEqual(err.get("code"), code, resp)
        self.assertIs(type(err.get("ret")), int, resp)
        self.assertEqual(err.get("ret"), ret, resp)
        self.assertIsInstance(err.get("message"), str, resp)

    def assertState(self, client, bill_id, state):
        bill = client.bill(bill_id)
        self.assertEqual(bill["state"], state, bill)
        return bill

    def wait_state(self, client, bill_id, states, timeout=15.0):
        """Polls GET until the bill is in one of `states`; returns the bill."""
        states = {states} if isinstance(states, str) else set(states)
        last = {}

        def check():
            last["bill"] = client.bill(bill_id)
            return last["bill"]["state"] in states

        ok = wait_until(check, timeout, interval=0.1)
        self.assertTrue(ok, "bill %s not in %s within %.0f s: %r"
                        % (bill_id, sorted(states), timeout, last.get("bill")))
        return last["bill"]


def background(fn, *args, **kwargs):
    """Runs fn in a daemon thread; returns a handle whose .get(timeout) gives the result
    (or re-raises its exception)."""
    box = {}

    def run():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # re-raised in get()
            box["error"] = e
        finally:
            box["done_at"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    t.start()

    class Handle:
        thread = t

        @staticmethod
        def get(timeout):
            t.join(timeout)
            if t.is_alive():
                raise AssertionError("background call still running after %.0f s" % timeout)
            if "error" in box:
                raise box["error"]
            return box["value"]

        @staticmethod
        def done_at():
            return box.get("done_at")

    return Handle
