"""Issue 12 item 5, the janitor: bills of channels with a query API (Alipay, WeChat Pay)
whose provider notification never arrives are found by verify jobs that ask the provider,
here the real `unipay-provider-sim` on loopback, signing like the providers.

Everything goes through the real API: the app is created by the admin API with the
simulator's merchant credentials, the bills by `POST /v1/bills` with `channel: "alipay" |
"wechatpay"` (WeChat Pay's prepay is made at the simulator). The notify URL unipayd gives the
providers leads nowhere (its public base URL is a loopback port where nothing listens) and no
test asks the simulator to notify: the janitor alone finds the payment."""
import re
import time
import unittest

from channel_sim import SimulatorCase
from harness import log, query_rows

QUERY_AFTER_S = 1
AMOUNT_MINOR = 699
CURRENCY = "CNY"
LOST_NOTIFY_BASE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there


class JanitorCase(SimulatorCase):
    """One simulator, one unipayd pointed at it (first verify query QUERY_AFTER_S after a
    bill is made), and one app with an Alipay and a WeChat Pay merchant of the simulator."""

    # Retries of an unreachable provider use the delivery backoff: slow enough that the
    # outages below stay well under channels.verify_max_attempts (20).
    BACKOFF_INITIAL_MS = 500
    BACKOFF_MAX_MS = 2000
    EXTRA_ARGS = ()

    @classmethod
    def sim_server_args(cls, server):
        return cls.sim.server_args() + [
            "--public-base-url", LOST_NOTIFY_BASE_URL, "--channels-query-after-s", str(QUERY_AFTER_S),
            "--expiry-sweep-interval-ms", "300"] + list(cls.EXTRA_ARGS)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.merchants, credentials = {}, {}
        for channel in ("alipay", "wechatpay"):
            made = cls.sim.merchant(channel)
            cls.merchants[channel] = made["merchant"]
            credentials[channel] = made["credentials"]
        cls.pay_app = cls.make_app(channels=credentials)

    def new_bill(self, channel):
        """A bill of the channel made through POST /v1/bills: (bill id, its pay object)."""
        r = self.pay_app.create_bill(user_id="u_1", item_id="gem_100", channel=channel,
                                     amount=AMOUNT_MINOR, currency=CURRENCY)
        self.assertEqual(r.status, 201, r)
        return r.json()["bill"]["bill_id"], r.json()["pay"]

    def payer_pays(self, channel, bill_id, pay):
        """The payer pays; the provider's notification is lost (the simulator sends none)."""
        self.sim.payer_pays(channel, self.merchants[channel], bill_id, pay, AMOUNT_MINOR, CURRENCY)

    def verify_job(self, bill_id):
        return query_rows(self.db_url, "SELECT attempt, dead_at IS NOT NULL, last_error FROM jobs "
                                       "WHERE kind = 'verify' AND bill_id = '%s'" % bill_id)

    def state(self, bill_id):
        return query_rows(self.db_url, "SELECT state FROM bills WHERE bill_id = '%s'" % bill_id)[0][0]

    def queries(self, channel, outcome):
        text = self.server.request("GET", "/metrics").body.decode()
        m = re.search(r'unipay_verify_queries_total\{channel="%s",outcome="%s"\} (\d+)' % (channel, outcome), text)
        return int(m.group(1)) if m else 0


class JanitorTest(JanitorCase):
    def test_lost_notifications_are_found_paid_and_delivered_once(self):
        """A WeChat Pay and an Alipay bill paid at the provider whose notification never
        came: the verify job's query finds each paid, the bill actor commits paid (audited as
        "query: paid", with the provider's trade number), the game server gets exactly one
        delivery each, and the verify jobs are gone."""
        bills = {}
        for channel in ("wechatpay", "alipay"):
            bills[channel], pay = self.new_bill(channel)
            self.payer_pays(channel, bills[channel], pay)
        started = time.monotonic()
        self.assertTrue(self.game.wait_confirmed(bills.values(), timeout=30), "not delivered")
        log("lost notifications recovered: both bills delivered %.2f s after creation (query_after_s %d)"
            % (time.monotonic() - started, QUERY_AFTER_S))
        time.sleep(1.5)  # a second delivery, if any, would show up here
        for channel, bill_id in bills.items():
            self.assertEqual(self.game.count(bill_id), 1, channel)
            bill = self.pay_app.bill(bill_id)
            self.assertEqual(bill["state"], "delivered")
            trade_no = self.sim.order(channel, self.merchants[channel], bill_id)["trade_no"]
            self.assertEqual(bill["provider_trade_no"], trade_no)
            self.assertEqual(self.verify_job(bill_id), [])
            audit = query_rows(self.db_url, "SELECT channel, verdict, detail FROM callbacks WHERE bill_id = '%s'"
                               % bill_id)
            self.assertEqual(audit, [[channel, "accepted", "query: paid"]])
            self.assertGreaterEqual(self.queries(channel, "paid"), 1)

    def test_unreachable_provider_is_retried_then_paid(self):
        """The provider is paid but answers its next 3 calls 503: the verify job records
        the failure, retries with backoff, then finds the bill paid; one delivery."""
        before = self.queries("wechatpay", "unreachable")
        bill_id, pay = self.new_bill("wechatpay")
        self.payer_pays("wechatpay", bill_id, pay)
        self.sim.outage(3)
        self.assertTrue(self.game.wait_confirmed([bill_id], timeout=30), "not delivered")
        self.assertGreaterEqual(self.queries("wechatpay", "unreachable") - before, 3)
        time.sleep(1.0)
        self.assertEqual(self.game.count(bill_id), 1)
        self.assertEqual(self.pay_app.bill(bill_id)["state"], "delivered")


class JanitorExpiryTest(JanitorCase):
    """A server whose bills live 3 s (bills.ttl_s), so expiry comes within the test."""

    EXTRA_ARGS = ("--bill-ttl-s", "3")

    def test_unpaid_bill_expires_only_after_the_final_query(self):
        """A bill never paid, whose ttl (3 s) passes while the provider is down: the expiry
        sweep (every 0.3 s) leaves it `created` while its final query cannot be made; once
        the provider answers again and says unpaid, the job is gone and the bill closes."""
        bill_id, _ = self.new_bill("alipay")
        deadline = time.monotonic() + 10
        while self.queries("alipay", "pending") == 0 and time.monotonic() < deadline:
            time.sleep(0.1)  # an early query said unpaid (the provider has no such order)
        self.assertGreaterEqual(self.queries("alipay", "pending"), 1)
        self.sim.outage(1000)
        time.sleep(4.5)  # past expiry, several sweeps and failed final queries later
        unreachable = self.queries("alipay", "unreachable")
        self.assertGreaterEqual(unreachable, 1, "the final query was not tried")
        self.assertEqual(self.state(bill_id), "created", "expired before its final query")
        self.assertEqual(len(self.verify_job(bill_id)), 1)
        listed = self.server.admin("GET", "/v1/admin/deliveries?kind=verify&app_id=" + self.pay_app.app_id)
        self.assertEqual(listed.status, 200, listed.body)
        jobs = [j for j in listed.json()["deliveries"] if j["bill_id"] == bill_id]
        self.assertEqual(len(jobs), 1, "operators see the waiting verify job")
        self.assertIn("503", jobs[0]["last_error"])
        self.sim.outage(0)
        deadline = time.monotonic() + 20
        while self.state(bill_id) == "created" and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.state(bill_id), "closed")
        self.assertEqual(self.verify_job(bill_id), [])
        self.assertEqual(self.game.count(bill_id), 0)
        log("expiry after the final query: %d unreachable queries retried first" % unreachable)


if __name__ == "__main__":
    unittest.main()
