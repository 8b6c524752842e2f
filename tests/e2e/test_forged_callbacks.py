"""Unauthenticated callback traffic cannot fill the writer (issue 8.6): a malformed app id
is answered 404 with no database read and no audit row; callbacks for an unknown app or
with a bad signature are answered from the app cache (negative entries, re-read at most
once a second per app) and their audit rows are rate-limited per source and per app,
written in batches, and counted in /metrics when dropped. Real callbacks keep working.
Defaults: 10 audit rows per second per source and per app, bursts of 20, flushed every 250 ms."""

import hashlib
import http.client
import re
import secrets
import subprocess
import time
import unittest

from harness import E2ECase, hmac_hex, new_trade_no, to_body, wait_until

FLOOD = 300
BURST = 20
RATE_PER_S = 10
FLUSH_S = 0.25


class Flood:
    """Forged sandbox callbacks over one keep-alive connection from `source`."""

    def __init__(self, port, source="127.0.0.1"):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15,
                                               source_address=(source, 0))

    def post(self, app_id, body, signature):
        return self.post_full(app_id, body, signature)[0]

    def post_full(self, app_id, body, signature):
        """(status, Retry-After header or None)"""
        self.conn.request("POST", "/v1/callbacks/%s/sandbox" % app_id, body=body,
                          headers={"Content-Type": "application/json",
                                   "X-Sandbox-Signature": signature})
        resp = self.conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("Retry-After")

    def close(self):
        self.conn.close()


def forged_body(bill_id):
    return to_body({"bill_id": bill_id, "trade_no": new_trade_no(), "status": "success",
                    "amount": 100, "currency": "USD"})


class ForgedCallbackTest(E2ECase):
    # The wallets' hold sweep reads once a second: keep it out of the read counts below.
    # Sources are never shut out here (SuspectSourceTest below does that), so each flood
    # reaches the app cache and the audit limiter these tests are about.
    SERVER_ARGS = ("--hold-sweep-interval-ms", "600000", "--callback-suspect-refusals-per-s", "1000000")

    # -- what the server and its database show

    def metric(self, name, reason=None):
        text = self.server.request("GET", "/metrics").body.decode()
        label = '{reason="%s"}' % reason if reason else ""
        match = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(label)), text, re.M)
        self.assertIsNotNone(match, "%s%s not in /metrics" % (name, label))
        return int(match.group(1))

    def reads(self):
        return self.metric("unipay_db_reads_total")

    def dropped(self, reason):
        return self.metric("unipay_callback_audits_dropped_total", reason)

    def audit_rows(self, where, *params):
        sql = "SELECT count(*) FROM callbacks WHERE " + where
        for p in params:  # only test-made ids and hex digests: safe to inline
            sql = sql.replace("%s", "'%s'" % p, 1)
        out = subprocess.run(["psql", self.db_url, "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return int(out.stdout.strip())

    def flood(self, app_id, signature_for, n=FLOOD, source="127.0.0.1", bill_id="b_" + "0" * 26):
        """Sends n forged callbacks; returns (statuses, seconds taken)."""
        flood = Flood(self.server.port, source)
        started = time.monotonic()
        try:
            statuses = [flood.post(app_id, body, signature_for(body))
                        for body in (forged_body(bill_id) for _ in range(n))]
        finally:
            flood.close()
        return statuses, time.monotonic() - started

    def settled_audit_rows(self, where, param):
        """The rows once the refused-audit writer has caught up: written counter steady
        across two flushes (a busy machine may delay a flush)."""
        deadline = time.monotonic() + 10
        last = -1
        while time.monotonic() < deadline:
            time.sleep(2 * FLUSH_S)
            written = self.metric("unipay_callback_audits_written_total")
            if written == last:
                break
            last = written
        return self.audit_rows(where, param)

    def assertAuditRowsBounded(self, where, param, seconds):
        # Every row comes from a request sent within `seconds`: burst + rate x seconds.
        rows = self.settled_audit_rows(where, param)
        bound = BURST + RATE_PER_S * seconds + 1
        self.assertGreaterEqual(rows, 1, "some refused callbacks are still audited")
        self.assertLessEqual(rows, bound, "audit rows beyond burst + rate x %.1f s" % seconds)
        return rows

    def assertReadsBounded(self, reads_before, seconds):
        # At most one app read per second per io thread (the negative entry or the
        # re-read allowance expires each second), plus the expiry sweep's read every 5 s.
        allowed = 2 + int(seconds) + int(seconds / 5) + 1
        self.assertLessEqual(self.reads() - reads_before, allowed,
                             "forged callbacks must not cost a database read each")

    # -- tests

    def test_malformed_app_ids_cost_nothing(self):
        """App ids that cannot be an app's (wrong prefix, case, length, characters) are
        404 not_found at once: no database read, no audit row, and each counted as a
        dropped audit with reason malformed_app_id. Each shape is sent 20 times so that a
        read per request (160) stands out from the few the background sweeps may do."""
        shapes = ["nope", "app_XYZ", "app_0123456789ABCDEF", "app_0123456789abcdef0",
                  "app_0123456789abcde", "app_0123456789abcdez", "x" * 200, "app_%2e%2e"]
        bad = shapes * 20
        dropped_before = self.dropped("malformed_app_id")
        reads_before = self.reads()
        for app_id in bad:
            with self.subTest(app_id=app_id):
                body = forged_body("b_" + "0" * 26)
                r = self.server.request("POST", "/v1/callbacks/%s/sandbox" % app_id, body,
                                        {"X-Sandbox-Signature": hmac_hex("k", body)})
                self.assertError(r, "not_found")
        self.assertEqual(self.dropped("malformed_app_id") - dropped_before, len(bad))
        # Background work (expiry and version sweeps, reads of the previous test's flood
        # still finishing) may read a few times; per-request reads would be 160.
        self.assertLessEqual(self.reads() - reads_before, 8, "malformed ids must not be read")
        time.sleep(2 * FLUSH_S)
        self.assertEqual(self.audit_rows("app_id NOT LIKE %s", "app\\_%"), 0)

    def test_unknown_app_flood_is_answered_from_the_cache(self):
        """300 forged callbacks naming a well-shaped app that does not exist: each is 404,
        the database is read about once a second (negative cache entries), the audit rows
        stay within burst + rate x time, and the rest are counted as dropped."""
        app_id = "app_" + secrets.token_hex(8)
        dropped_before = self.dropped("source_limit") + self.dropped("app_limit")
        reads_before = self.reads()
        statuses, seconds = self.flood(app_id, lambda body: hmac_hex("guess", body))
        self.assertEqual(set(statuses), {404})
        self.assertReadsBounded(reads_before, seconds)
        rows = self.assertAuditRowsBounded("app_id = %s", app_id, seconds)
        dropped = self.dropped("source_limit") + self.dropped("app_limit") - dropped_before
        self.assertEqual(rows + dropped, FLOOD, "every refused callback is audited or counted")

    def test_bad_signatures_cost_no_read_each_and_real_callbacks_still_pay(self):
        """300 callbacks with a bad signature for a real app and bill: each is 401
        bad_signature, the app is re-read at most once a second, audit rows are bounded and
        the drops counted; the bill is unchanged and a genuine callback then pays it."""
        bill, _ = self.app.new_bill(user_id="u_forged_flood")
        dropped_before = self.dropped("source_limit") + self.dropped("app_limit")
        reads_before = self.reads()
        statuses, seconds = self.flood(self.app.app_id, lambda body: hmac_hex("wrong-secret", body),
                                       bill_id=bill["bill_id"])
        self.assertEqual(set(statuses), {401})
        self.assertReadsBounded(reads_before, seconds)
        rows = self.assertAuditRowsBounded("bill_id = '' AND app_id = %s AND verdict = 'refused:bad_signature'",
                                           self.app.app_id, seconds)
        self.assertGreater(self.dropped("source_limit") + self.dropped("app_limit") - dropped_before, 0)
        self.assertLessEqual(rows, FLOOD)
        self.assertEqual(self.app.bill(bill["bill_id"])["state"], "created")
        self.assertOkCallback(self.pay(self.app, bill))
        self.assertEqual(self.app.bill(bill["bill_id"])["state"] in ("paid", "delivered"), True)

    def test_limits_are_per_source_and_per_app(self):
        """While 127.0.0.1 is over its allowance (its refusals dropped with reason
        source_limit), a refused callback from 127.0.0.2 is still audited; and one app's
        flood from five fresh sources is held to the per-app allowance (reason app_limit)."""
        source_drops_before = self.dropped("source_limit")
        self.flood("app_" + secrets.token_hex(8), lambda body: "0" * 64, n=BURST * 3)
        self.assertGreaterEqual(self.dropped("source_limit") - source_drops_before, BURST)
        other = Flood(self.server.port, "127.0.0.2")
        body = forged_body("b_" + "0" * 26)
        try:
            self.assertEqual(other.post("app_" + secrets.token_hex(8), body, "0" * 64), 404)
        finally:
            other.close()
        digest = hashlib.sha256(body).hexdigest()
        self.assertTrue(wait_until(lambda: self.audit_rows("body_sha256 = %s", digest) == 1, 3),
                        "the second source's refusal is audited")
        # Per app: five sources, one app, each source within its own burst.
        app_id = "app_" + secrets.token_hex(8)
        app_drops_before = self.dropped("app_limit")
        started = time.monotonic()
        for i in range(5):
            self.flood(app_id, lambda body: "0" * 64, n=BURST, source="127.0.1.%d" % (i + 1))
        seconds = time.monotonic() - started
        rows = self.assertAuditRowsBounded("app_id = %s", app_id, seconds)
        self.assertLess(rows, 5 * BURST)
        self.assertEqual(self.dropped("app_limit") - app_drops_before, 5 * BURST - rows)

    def test_made_up_app_ids_are_read_within_a_per_source_budget(self):
        """300 forged callbacks from one address, each naming a new made-up app id (so no
        negative entry can help): beyond the address's budget (50 reads a second, bursts of
        50) they are 429 busy with Retry-After and cost no read; the reads stay within the
        budget, and a genuine callback from that same address still pays at once."""
        bill, _ = self.app.new_bill(user_id="u_made_up_ids")
        source = "127.0.0.3"
        refused_before = self.metric("unipay_app_reads_refused_total")
        reads_before = self.reads()
        flood = Flood(self.server.port, source)
        started = time.monotonic()
        statuses = []
        try:
            for _ in range(FLOOD):
                body = forged_body("b_" + "0" * 26)
                statuses.append(flood.post("app_" + secrets.token_hex(8), body, hmac_hex("k", body)))
        finally:
            flood.close()
        seconds = time.monotonic() - started
        self.assertEqual(set(statuses) - {404, 429}, set(), statuses)
        budget = 50 + 50 * seconds
        self.assertLessEqual(statuses.count(404), budget + 1)
        self.assertGreater(statuses.count(429), 0)
        self.assertEqual(self.metric("unipay_app_reads_refused_total") - refused_before, statuses.count(429))
        self.assertLessEqual(self.reads() - reads_before, statuses.count(404) + 3)
        genuine = Flood(self.server.port, source)
        body = to_body({"bill_id": bill["bill_id"], "trade_no": new_trade_no(), "status": "success",
                        "amount": bill["amount"], "currency": bill["currency"]})
        try:
            self.assertEqual(genuine.post(self.app.app_id, body, hmac_hex(self.app.sandbox_secret, body)), 200)
        finally:
            genuine.close()


SUSPECT_PER_S = 20


class SuspectSourceTest(ForgedCallbackTest):
    """An address that sends only refused callbacks is shut out (issue 8.6): once over
    --callback-suspect-refusals-per-s refusals in a second, its callbacks are answered 429
    busy with Retry-After before any lookup, hash or signature, with no audit row and no
    log line; other addresses, and an address whose callbacks verified, are served."""
    SERVER_ARGS = ("--hold-sweep-interval-ms", "600000",
                   "--callback-suspect-refusals-per-s", str(SUSPECT_PER_S))

    # The inherited tests assume no shut-out; only the ones below run here.
    test_unknown_app_flood_is_answered_from_the_cache = None
    test_bad_signatures_cost_no_read_each_and_real_callbacks_still_pay = None
    test_limits_are_per_source_and_per_app = None
    test_made_up_app_ids_are_read_within_a_per_source_budget = None
    test_malformed_app_ids_cost_nothing = None

    def genuine(self, bill, source):
        body = to_body({"bill_id": bill["bill_id"], "trade_no": new_trade_no(), "status": "success",
                        "amount": bill["amount"], "currency": bill["currency"]})
        conn = Flood(self.server.port, source)
        try:
            return conn.post(self.app.app_id, body, hmac_hex(self.app.sandbox_secret, body))
        finally:
            conn.close()

    def test_a_forging_address_is_shut_out_and_others_are_served(self):
        """300 forged callbacks from 127.0.0.5 (unknown app and bad signatures in turn): at
        least the first SUSPECT_PER_S are refused as such (404/401), every later one 429
        with Retry-After, counted in /metrics, with no more audit rows than those first
        ones; a genuine callback from 127.0.0.1 then pays at once, while one from the
        shut-out address is 429 and leaves its bill unpaid (the provider retries it)."""
        source = "127.0.0.5"
        app_id = "app_" + secrets.token_hex(8)
        shut_before = self.metric("unipay_callbacks_refused_shut_out_total")
        sources_before = self.metric("unipay_callback_sources_shut_out_total")
        flood = Flood(self.server.port, source)
        answers = []
        try:
            for i in range(FLOOD):
                body = forged_body("b_" + "0" * 26)
                target = app_id if i % 2 == 0 else self.app.app_id
                answers.append(flood.post_full(target, body, hmac_hex("guess", body)))
        finally:
            flood.close()
        statuses = [status for status, _ in answers]
        first_busy = statuses.index(429)
        self.assertGreaterEqual(first_busy, SUSPECT_PER_S, statuses[:first_busy + 1])
        self.assertEqual(set(statuses[:first_busy]) - {404, 401}, set())
        # Once shut out, every later one is 429 (the shut-out lasts 10 s; the flood takes less).
        self.assertEqual(set(statuses[first_busy:]), {429})
        self.assertTrue(all(retry == "1" or (retry or "").isdigit() for _, retry in answers[first_busy:]))
        self.assertEqual(self.metric("unipay_callbacks_refused_shut_out_total") - shut_before,
                         FLOOD - first_busy)
        self.assertEqual(self.metric("unipay_callback_sources_shut_out_total") - sources_before, 1)
        rows = self.settled_audit_rows("app_id = %s", app_id)
        self.assertLessEqual(rows, first_busy)
        bill, _ = self.app.new_bill(user_id="u_shut_out_other")
        self.assertEqual(self.genuine(bill, "127.0.0.1"), 200, "another address is served")
        # The forger's own address stays shut out, even for a valid callback (retried later).
        bill2, _ = self.app.new_bill(user_id="u_shut_out_same")
        self.assertEqual(self.genuine(bill2, source), 429)
        self.assertEqual(self.app.bill(bill2["bill_id"])["state"], "created")

    def test_an_address_with_verified_callbacks_is_never_shut_out(self):
        """An address whose callback verified (a provider's, or a proxy's) then sends 300
        callbacks with bad signatures (one app's secret misconfigured): every one is answered
        401 bad_signature, none 429, and its next genuine callback pays."""
        source = "127.0.0.6"
        bill, _ = self.app.new_bill(user_id="u_trusted_source")
        self.assertEqual(self.genuine(bill, source), 200)
        statuses, _ = self.flood(self.app.app_id, lambda body: hmac_hex("wrong-secret", body), source=source,
                                 bill_id=bill["bill_id"])
        self.assertEqual(set(statuses), {401})
        bill2, _ = self.app.new_bill(user_id="u_trusted_source_2")
        self.assertEqual(self.genuine(bill2, source), 200)


if __name__ == "__main__":
    unittest.main()
