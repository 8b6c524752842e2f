"""Logs that cannot be forged (issue 7 item 6): whatever a client sends (paths, headers,
provider fields) and whatever PostgreSQL says (multi-line errors quoting stored values),
every --log-json line of unipayd is one JSON object with time, level and msg, no line
forges another record, request paths are escaped in text mode too, and a 5xx is logged
with its request id and what went wrong."""

import json
import os
import re
import subprocess
import sys

from harness import (E2ECase, RFC3339_MS_RE, _psql, new_trade_no, raw_http)

LEVELS = {"trace", "debug", "info", "warning", "error", "critical"}

# The probe: a path that, logged as sent inside "msg":"%v", closed the message and
# added an error-level record.
FORGED_PATH = '/x","level":"error","msg":"FORGED","x":"y'

# What PostgreSQL answers for the poisoned item: quotes, backslashes, a newline (libpq's
# errors are multi-line), a tab, non-ASCII and U+2028 (a line separator to some readers).
POISON_MESSAGE = ('poisoned "item" \\back\\slash","level":"error","msg":"FORGED\n'
                  'second line\ttab caf\u00e9 \u2028 end')


def hostile_raw_requests(port):
    """Hand-written requests with bytes no well-behaved client sends: quotes, backslashes,
    raw bytes 0x80-0xff in the path, obs-text and quotes in header values, a control byte
    in a header value (a malformed request). Answers are not checked here."""
    heads = [
        b"GET " + FORGED_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b'GET /v1/bills/b_\\"\x80\xff\xc3\xed\xa0\x80}{ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        b"GET /v1/bills/%00%0a%0d%22%5c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b'GET /v1/bills HTTP/1.1\r\nHost: x\r\nX-Unipay-App: a"b\\c\x80\xfe\r\n'
        b'X-Unipay-Timestamp: 1"\r\nX-Unipay-Nonce: \xff\xff\r\nX-Unipay-Signature: "}\r\n'
        b"Authorization: Bearer \"\\\x85\r\nConnection: close\r\n\r\n",
        b"GET /v1/bills HTTP/1.1\r\nHost: x\r\nX-Unipay-App: a\x01b\r\nConnection: close\r\n\r\n",
    ]
    for head in heads:
        try:
            raw_http(port, head)
        except (AssertionError, OSError):
            pass  # a malformed request may be answered 400 or simply closed


def log_records(server):
    """Every line unipayd wrote to stderr, each parsed as JSON (the test fails on the
    first line that is not one JSON object). The harness's start banners and unipayd's
    stdout line (same file) are the only lines skipped."""
    with open(server.log_path, "rb") as f:
        raw = f.read()
    records = []
    for number, line in enumerate(raw.split(b"\n"), 1):
        if line == b"" or line.startswith(b"==== start #") or line.startswith(b"unipayd listening on "):
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError("log line %d is not one JSON object (%s): %r" % (number, e, line[:400]))
        if not isinstance(record, dict) or sorted(record) != ["level", "msg", "time"]:
            raise AssertionError("log line %d is not a {time, level, msg} record: %r" % (number, line[:400]))
        if record["level"] not in LEVELS or not RFC3339_MS_RE.match(record["time"]):
            raise AssertionError("log line %d has a bad level or time: %r" % (number, line[:400]))
        records.append(record)
    return records


def poison_bills_table(db_url):
    """A trigger that makes PostgreSQL refuse any bill for item 'poison' with
    POISON_MESSAGE (SQLSTATE P0001) and a multi-line detail."""
    sql = ("CREATE FUNCTION e2e_poison() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
           "IF NEW.item_id = 'poison' THEN RAISE EXCEPTION USING MESSAGE = $m$%s$m$, "
           "DETAIL = $d$detail \"one\"\nline two$d$; END IF; RETURN NEW; END $f$; "
           "CREATE TRIGGER e2e_poison BEFORE INSERT ON bills FOR EACH ROW "
           "EXECUTE FUNCTION e2e_poison();" % POISON_MESSAGE)
    result = _psql(db_url, sql)
    if result.returncode != 0:
        raise AssertionError("cannot install the poison trigger: %s" % result.stderr)


class JsonLogTest(E2ECase):
    SERVER_ARGS = ("--log-json",)

    def test_every_line_is_one_json_record_whatever_clients_and_postgres_say(self):
        """Hostile paths, headers, provider fields and a PostgreSQL error with quotes and
        newlines: every stderr line parses as one {time, level, msg} object, the forged
        record does not exist, the forged path is logged inside its own request line, and
        the 500 is an error record with its request id and PostgreSQL's message."""
        port = self.server.port
        hostile_raw_requests(port)
        for r in (self.server.request("GET", '/v1/bills/"\\'),
                  self.server.admin("GET", '/v1/admin/apps/a"b\\c'),
                  self.app.request("GET", '/v1/bills/b_"\\},{', check_response=False)):
            self.assertIn(r.status, (401, 404), r)

        # Provider fields the log may quote: a conflicting second trade for a paid bill
        # is alerted (logged) with the provider's trade number.
        bill, _ = self.app.new_bill(user_id='u"\n\\1', item_id="gem\u2028")
        self.assertOkCallback(self.pay(self.app, bill))
        second = self.pay(self.app, bill, trade_no='t"\\\n","level":"error","msg":"FORGED')
        self.assertError(second, "conflict")

        poison_bills_table(self.db_url)
        poisoned = self.app.create_bill(item_id="poison")
        self.assertGreaterEqual(poisoned.status, 500, poisoned)

        self.assertEqual(self.server.terminate(), 0)
        records = log_records(self.server)

        forged = [r for r in records if r["msg"] == "FORGED" or r["msg"].startswith("FORGED")]
        self.assertEqual(forged, [], "a client forged a log record")
        paths = [r for r in records if 'path="/x\\",\\"level\\":\\"error\\",\\"msg\\":\\"FORGED' in r["msg"]]
        self.assertEqual(len(paths), 1, "the forged path is logged once, escaped, inside its request line")
        self.assertIn("status=404", paths[0]["msg"])
        self.assertEqual(paths[0]["level"], "info")

        raw_bytes = [r for r in records if 'path="/v1/bills/b_\\\\\\"\\x80\\xff\\xc3\\xed\\xa0\\x80}{"' in r["msg"]]
        self.assertEqual(len(raw_bytes), 1, "raw path bytes are logged as \\xNN")

        failed = [r for r in records if "status=%d" % poisoned.status in r["msg"]
                  and 'path="/v1/bills"' in r["msg"]]
        self.assertEqual(len(failed), 1, "the 5xx is logged once, with its request id")
        self.assertIn(failed[0]["level"], ("error", "warning"))
        self.assertRegex(failed[0]["msg"], r'^request_id=[0-9a-f]+ method=POST path="/v1/bills" ')
        self.assertRegex(failed[0]["msg"], r' error="[^"]+"$')
        # PostgreSQL's own words reach the log intact: one record, the message verbatim.
        cause = [r for r in records if POISON_MESSAGE in r["msg"]]
        self.assertEqual(len(cause), 1, "the PostgreSQL error is logged once, verbatim")
        self.assertEqual(cause[0]["level"], "error")


class TextLogTest(E2ECase):
    """Text mode (the default): the same hostile paths stay inside their quoted field."""

    def test_paths_are_quoted_and_escaped_and_every_line_is_one_record(self):
        """Each stderr line starts with time and level and holds no control byte; a path
        with quotes, backslashes and raw bytes is logged as one quoted field."""
        hostile_raw_requests(self.server.port)
        self.assertEqual(self.server.terminate(), 0)
        with open(self.server.log_path, "rb") as f:
            lines = f.read().split(b"\n")
        line_re = re.compile(rb"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z "
                             rb"(trace|debug|info|warning|error|critical) [\x20-\x7e\x80-\xff]*$")
        for line in lines:
            if line == b"" or line.startswith(b"==== start #") or line.startswith(b"unipayd listening on "):
                continue
            self.assertRegex(line, line_re)
            line.decode("utf-8")  # valid UTF-8: raw bytes are escaped
        self.assertIn(b' path="/x\\",\\"level\\":\\"error\\",\\"msg\\":\\"FORGED\\",\\"x\\":\\"y" status=404 ',
                      b"\n".join(lines))
        self.assertIn(b' path="/v1/bills/b_\\\\\\"\\x80\\xff\\xc3\\xed\\xa0\\x80}{" status=',
                      b"\n".join(lines))


ACCESS_LOG_LATENCY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                                  "access-log-latency.py")


def access_log_latency(log_path, *args):
    """scripts/access-log-latency.py's --json summary of a server's log."""
    out = subprocess.run([sys.executable, ACCESS_LOG_LATENCY, log_path, "--json"] + list(args),
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("access-log-latency.py failed: %s" % out.stderr)
    return json.loads(out.stdout)


class AccessLogLatencyMixin:
    """Each request the server answered is in the script's summary once, under its kind,
    with latencies that are the logged ones (every figure at most the kind's max, and the
    long poll's at least the time it was made to wait)."""

    def check_the_summary_counts_every_request_by_kind(self):
        first, _ = self.app.new_bill()
        self.app.new_bill()
        waited = self.app.result(first["bill_id"], timeout=1)  # no payment yet: waits it out
        self.assertEqual(waited.status, 200, waited)
        self.assertOkCallback(self.pay(self.app, first))
        self.assertEqual(self.server.terminate(), 0)

        summary = access_log_latency(self.server.log_path)
        kinds = summary["kinds"]
        self.assertEqual(kinds["create"]["count"], 2, kinds)
        self.assertEqual(kinds["callback"]["count"], 1, kinds)
        self.assertEqual(kinds["poll"]["count"], 1, kinds)
        self.assertGreaterEqual(kinds["poll"]["max_us"], 900000, "the long poll's wait is in its latency")
        for figures in kinds.values():
            self.assertLessEqual(figures["p50_us"], figures["p99_us"])
            self.assertLessEqual(figures["p99_us"], figures["max_us"])
        self.assertEqual(sum(r["create_count"] for r in summary["seconds"]), 2)
        self.assertEqual(len(summary["slowest"]), 3, "the two creates and the callback")
        # A window that ends before the first request selects nothing.
        self.assertEqual(access_log_latency(self.server.log_path, "--to", "00:00:00")["kinds"], {})


class AccessLogLatencyTextTest(AccessLogLatencyMixin, E2ECase):
    def test_the_summary_counts_every_request_by_kind(self):
        """Text log lines: creates, the callback and the long poll are counted by kind."""
        self.check_the_summary_counts_every_request_by_kind()


class AccessLogLatencyJsonTest(AccessLogLatencyMixin, E2ECase):
    SERVER_ARGS = ("--log-json",)

    def test_the_summary_counts_every_request_by_kind(self):
        """--log-json lines (the path's quotes escaped inside "msg"): the same counts."""
        self.check_the_summary_counts_every_request_by_kind()
