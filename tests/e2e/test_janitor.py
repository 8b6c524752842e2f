"""Issue 12 item 5, the janitor: bills of channels with a query API (Alipay, WeChat Pay)
whose provider notification never arrives are found by verify jobs that ask the provider,
here the real `unipay-provider-sim` on loopback, signing like the providers.

Set-up note: bill creation with `channel: "alipay" | "wechatpay"` (the `pay` object through
prepare) and admin validation of channel credentials are being wired in parallel; until
they are in main, this test puts the sim's merchant credentials into the app and creates
the bills together with their verify job (exactly what unipayd's own insert does, see
storage::insert_bill) directly through SQL. Everything after that is unipayd on its own:
claims, provider queries, the bill actor's transition, delivery, expiry."""
import json
import os
import re
import secrets
import subprocess
import time
import unittest

from harness import E2ECase, free_port, http_request, log, query_rows, _psql

QUERY_AFTER_S = 1


def sql(url, text):
    r = _psql(url, text)
    if r.returncode != 0:
        raise AssertionError("psql failed: %s" % r.stderr.strip())


class ProviderSim:
    """unipay-provider-sim as a child process (next to unipayd in the build tree)."""

    def __init__(self):
        binary = os.path.join(os.path.dirname(os.environ.get("UNIPAYD", "")), "bench", "unipay-provider-sim")
        if not os.access(binary, os.X_OK):
            raise unittest.SkipTest("no unipay-provider-sim at %s" % binary)
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:%d" % self.port],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if http_request(self.port, "GET", "/sim/orders/alipay/x/y", timeout=2).status:
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the simulator did not start")

    def post(self, path, body):
        r = http_request(self.port, "POST", path, body)
        if r.status != 200:
            raise AssertionError("sim %s: %d %s" % (path, r.status, r.body[:300]))
        return r.json()

    def order(self, channel, merchant, bill_id):
        return http_request(self.port, "GET", "/sim/orders/%s/%s/%s" % (channel, merchant, bill_id)).json()

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=10)


class JanitorTest(E2ECase):
    # Retries of an unreachable provider use the delivery backoff: slow enough that the
    # outage below stays well under channels.verify_max_attempts (20).
    BACKOFF_INITIAL_MS = 500
    BACKOFF_MAX_MS = 2000

    @classmethod
    def setUpClass(cls):
        cls.sim = ProviderSim()
        cls.addClassCleanup(cls.sim.stop)
        base = "http://127.0.0.1:%d" % cls.sim.port
        cls.SERVER_ARGS = ("--allow-private-providers", "--providers-alipay-url", base + "/gateway.do",
                           "--providers-wechatpay-url", base, "--channels-query-after-s", str(QUERY_AFTER_S),
                           "--expiry-sweep-interval-ms", "300")
        super().setUpClass()
        cls.merchants = {}
        channels = {}
        for channel in ("alipay", "wechatpay"):
            made = cls.sim.post("/sim/merchants", {"channel": channel})
            cls.merchants[channel] = made["merchant"]
            channels[channel] = made["credentials"]
        sql(cls.db_url, "UPDATE apps SET channels = channels || '%s'::jsonb WHERE app_id = '%s'"
            % (json.dumps(channels).replace("'", "''"), cls.app.app_id))

    def new_bill(self, channel, amount_minor=699, ttl_s=1800, query_in_s=QUERY_AFTER_S):
        """A created bill of the channel with its verify job, as unipayd inserts them."""
        bill_id = "b_" + secrets.token_hex(13).upper()
        sql(self.db_url, """
            INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency,
                               state, version, client_token_hash, created_at, expires_at)
            VALUES ('%s', '%s', 'u_1', 'gem_100', '%s', 'purchase', %d, 'CNY', 'created', 1, repeat('a', 64),
                    now(), now() + %d * interval '1 second');
            INSERT INTO jobs (kind, bill_id, attempt, next_attempt_at)
            VALUES ('verify', '%s', 0, now() + %s * interval '1 second')"""
            % (bill_id, self.app.app_id, channel, amount_minor, ttl_s, bill_id, query_in_s))
        return bill_id

    def sim_pays(self, channel, bill_id, amount_minor=699):
        """The payer pays; the provider's notification is lost (the sim sends none)."""
        self.sim.post("/sim/orders", {"channel": channel, "merchant": self.merchants[channel], "bill_id": bill_id,
                                      "state": "paid", "amount_minor": amount_minor, "currency": "CNY"})

    def verify_job(self, bill_id):
        return query_rows(self.db_url, "SELECT attempt, dead_at IS NOT NULL, last_error FROM jobs "
                                       "WHERE kind = 'verify' AND bill_id = '%s'" % bill_id)

    def state(self, bill_id):
        return query_rows(self.db_url, "SELECT state FROM bills WHERE bill_id = '%s'" % bill_id)[0][0]

    def queries(self, channel, outcome):
        text = self.server.request("GET", "/metrics").body.decode()
        m = re.search(r'unipay_verify_queries_total\{channel="%s",outcome="%s"\} (\d+)' % (channel, outcome), text)
        return int(m.group(1)) if m else 0

    def test_lost_notifications_are_found_paid_and_delivered_once(self):
        """A WeChat Pay and an Alipay bill paid at the provider whose notification never
        came: the verify job's query finds each paid, the bill actor commits paid (audited as
        "query: paid", with the provider's trade number), the game server gets exactly one
        delivery each, and the verify jobs are gone."""
        bills = {}
        for channel in ("wechatpay", "alipay"):
            bills[channel] = self.new_bill(channel)
            self.sim_pays(channel, bills[channel])
        started = time.monotonic()
        self.assertTrue(self.game.wait_confirmed(bills.values(), timeout=30), "not delivered")
        log("lost notifications recovered: both bills delivered %.2f s after creation (query_after_s %d)"
            % (time.monotonic() - started, QUERY_AFTER_S))
        time.sleep(1.5)  # a second delivery, if any, would show up here
        for channel, bill_id in bills.items():
            self.assertEqual(self.game.count(bill_id), 1, channel)
            bill = self.app.bill(bill_id)
            self.assertEqual(bill["state"], "delivered")
            trade_no = self.sim.order(channel, self.merchants[channel], bill_id)["trade_no"]
            self.assertEqual(bill["provider_trade_no"], trade_no)
            self.assertEqual(self.verify_job(bill_id), [])
            audit = query_rows(self.db_url, "SELECT channel, verdict, detail FROM callbacks WHERE bill_id = '%s'"
                               % bill_id)
            self.assertEqual(audit, [[channel, "accepted", "query: paid"]])
            self.assertGreaterEqual(self.queries(channel, "paid"), 1)

    def test_unpaid_bill_expires_only_after_the_final_query(self):
        """A bill never paid, whose ttl (3 s) passes while the provider is down: the expiry
        sweep (every 0.3 s) leaves it `created` while its final query cannot be made; once
        the provider answers again and says unpaid, the job is gone and the bill closes."""
        bill_id = self.new_bill("alipay", ttl_s=3)
        deadline = time.monotonic() + 10
        while self.queries("alipay", "pending") == 0 and time.monotonic() < deadline:
            time.sleep(0.1)  # an early query said unpaid (the provider has no such order)
        self.assertGreaterEqual(self.queries("alipay", "pending"), 1)
        self.sim.post("/sim/outage", {"requests": 1000})
        time.sleep(4.5)  # past expiry, several sweeps and failed final queries later
        unreachable = self.queries("alipay", "unreachable")
        self.assertGreaterEqual(unreachable, 1, "the final query was not tried")
        self.assertEqual(self.state(bill_id), "created", "expired before its final query")
        self.assertEqual(len(self.verify_job(bill_id)), 1)
        listed = self.server.admin("GET", "/v1/admin/deliveries?kind=verify&app_id=" + self.app.app_id)
        self.assertEqual(listed.status, 200, listed.body)
        jobs = [j for j in listed.json()["deliveries"] if j["bill_id"] == bill_id]
        self.assertEqual(len(jobs), 1, "operators see the waiting verify job")
        self.assertIn("503", jobs[0]["last_error"])
        self.sim.post("/sim/outage", {"requests": 0})
        deadline = time.monotonic() + 20
        while self.state(bill_id) == "created" and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.state(bill_id), "closed")
        self.assertEqual(self.verify_job(bill_id), [])
        self.assertEqual(self.game.count(bill_id), 0)
        log("expiry after the final query: %d unreachable queries retried first" % unreachable)

    def test_unreachable_provider_is_retried_then_paid(self):
        """The provider is paid but answers its next 3 calls 503: the verify job records
        the failure, retries with backoff, then finds the bill paid; one delivery."""
        before = self.queries("wechatpay", "unreachable")
        bill_id = self.new_bill("wechatpay")
        self.sim_pays("wechatpay", bill_id)
        self.sim.post("/sim/outage", {"requests": 3})
        self.assertTrue(self.game.wait_confirmed([bill_id], timeout=30), "not delivered")
        self.assertGreaterEqual(self.queries("wechatpay", "unreachable") - before, 3)
        time.sleep(1.0)
        self.assertEqual(self.game.count(bill_id), 1)
        self.assertEqual(self.app.bill(bill_id)["state"], "delivered")


if __name__ == "__main__":
    unittest.main()
