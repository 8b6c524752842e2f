"""Stripe end to end against `unipay-provider-sim` (issue 9): unipayd is pointed at the
simulator's Stripe API (--providers-stripe-url), an app holds the simulated account's secret
key and webhook secret, a bill's `pay` carries the PaymentIntent's client_secret, and the
simulator sends webhook events signed with Stripe-Signature like Stripe. unipay acknowledges
with 2xx and refuses with 4xx; every tampered event is refused and changes nothing. The
generic channel tests come from test_channels.ChannelCase; the Stripe-specific ones follow."""

import hashlib
import hmac
import json
import time
import unittest

from harness import E2ECase, Server, http_request, log, query_rows
from test_channels import AMOUNT_MINOR, ChannelCase, ProviderSim

ACCEPTED = (200, '{"received":true}')


def stripe_signature(secret, body, timestamp=None):
    """The Stripe-Signature header Stripe sends: t=<unix s>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    t = str(int(timestamp if timestamp is not None else time.time()))
    mac = hmac.new(secret.encode(), (t + ".").encode() + body, hashlib.sha256).hexdigest()
    return "t=%s,v1=%s" % (t, mac)


def stripe_server_args(sim, port, query_after_s):
    return ["--allow-private-providers", "--providers-stripe-url", sim.base,
            "--channels-query-after-s", str(query_after_s), "--public-base-url", "http://127.0.0.1:%d" % port]


def make_stripe_app(case):
    """An app holding a fresh simulated Stripe account whose webhook endpoint (what a merchant
    registers in the Dashboard) is the app's callback URL; returns (client, account, secrets)."""
    client = case.make_app()
    url = "http://127.0.0.1:%d/v1/callbacks/%s/stripe" % (case.server.port, client.app_id)
    made = case.sim.post("/sim/merchants", {"channel": "stripe", "webhook_url": url})
    r = case.server.admin("PUT", "/v1/admin/apps/" + client.app_id, {"channels": {
        "sandbox": {"secret": client.sandbox_secret}, "stripe": made["credentials"]}})
    if r.status != 200:
        raise AssertionError("app update with stripe credentials: %r" % r)
    time.sleep(1.1)  # the app cache of the io threads keeps an app for one second
    return client, made["merchant"], made["credentials"]


class StripeTest(ChannelCase):
    CHANNEL = "stripe"
    TAMPERS = {"signature": 401, "amount": 409, "currency": 409, "stale_timestamp": 401}
    webhook_secrets = {}  # account → its whsec_

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, name="unipayd-" + cls.__name__)
        # The janitor's queries are tested by StripeJanitorTest; here they stay out of the way.
        server.args += stripe_server_args(cls.sim, server.port, 3600)
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        return server

    @classmethod
    def make_channel_app(cls):
        client, account, credentials = make_stripe_app(cls)
        cls.webhook_secrets[account] = credentials["webhook_secrets"][0]
        return client, account

    def check_pay(self, bill, pay):
        self.assertEqual(set(pay), {"client_secret"}, pay)
        self.assertRegex(pay["client_secret"], r"^pi_[0-9a-f]+_secret_[0-9a-f]+$")
        order = self.sim_order(bill["bill_id"])
        self.assertEqual((order["amount_minor"], order["currency"], order["state"]), (AMOUNT_MINOR, "CNY", "pending"))
        self.assertTrue(pay["client_secret"].startswith(order["trade_no"] + "_secret_"))

    def assertAccepted(self, answer):
        self.assertEqual(answer, ACCEPTED)

    def assertRefused(self, answer, status):
        """Stripe reads only the status (non-2xx: it retries); the body is unipay's error envelope."""
        self.assertEqual(answer[0], status, answer)
        self.assertIn("error", json.loads(answer[1]))

    def sim_order(self, bill_id, account=None):
        r = http_request(self.sim.port, "GET", "/sim/orders/stripe/%s/%s" % (account or self.merchant, bill_id))
        self.assertEqual(r.status, 200, r)
        return r.json()

    def post_event(self, event, secret=None, timestamp=None):
        body = json.dumps(event).encode()
        signature = stripe_signature(secret or self.webhook_secrets[self.merchant], body, timestamp)
        r = self.server.request("POST", "/v1/callbacks/%s/stripe" % self.pay_app.app_id, body,
                                headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
        return r.status, r.body.decode()

    # -- Stripe-specific

    def test_payment_failed_fails_the_bill(self):
        """payment_intent.payment_failed, signed, is acknowledged 200 and the bill is failed;
        nothing is delivered."""
        bill, _ = self.new_bill()
        self.sim.post("/sim/orders", {"channel": "stripe", "merchant": self.merchant, "bill_id": bill["bill_id"],
                                      "state": "failed"})
        self.assertAccepted(self.sim.notify("stripe", self.merchant, bill["bill_id"], outcome="failed"))
        self.wait_state(self.pay_app, bill["bill_id"], "failed")
        time.sleep(0.3)
        self.assertEqual(self.game.count(bill["bill_id"]), 0)

    def test_charge_refunded_refunds_the_bill(self):
        """A paid, delivered bill whose charge is refunded (charge.refunded naming the bill in
        the refund's metadata) becomes refunded; the game server got bill.paid once and then
        gets bill.refunded once (tests/e2e/test_refund_delivery.py covers the refund delivery)."""
        bill, _ = self.new_bill()
        self.assertAccepted(self.sim.notify("stripe", self.merchant, bill["bill_id"]))
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        self.assertAccepted(self.sim.notify("stripe", self.merchant, bill["bill_id"], outcome="refunded"))
        self.wait_state(self.pay_app, bill["bill_id"], "refunded")
        self.assertTrue(self.game.wait_for(lambda g: len(g.confirmed(bill["bill_id"])) == 2, 15))
        time.sleep(0.3)
        self.assertEqual([d.body["event"] for d in self.game.for_bill(bill["bill_id"])],
                         ["bill.paid", "bill.refunded"])

    def dashboard_refund_event(self, trade_no, amount=AMOUNT_MINOR):
        """charge.refunded as Stripe sends it for a refund made in the Dashboard: neither the
        charge nor the refund carries metadata, only the charge's payment_intent names the trade."""
        refund = {"id": "re_dash", "object": "refund", "amount": amount, "currency": "cny",
                  "payment_intent": trade_no, "status": "succeeded", "metadata": {}}
        charge = {"id": "ch_dash", "object": "charge", "amount": AMOUNT_MINOR, "amount_refunded": amount,
                  "currency": "cny", "payment_intent": trade_no, "paid": True, "refunded": True, "metadata": {},
                  "refunds": {"object": "list", "data": [refund]}}
        return {"id": "evt_dash_" + trade_no[-8:], "object": "event", "type": "charge.refunded",
                "created": int(time.time()), "data": {"object": charge}}

    def test_dashboard_refund_naming_only_the_payment_intent_refunds_its_bill(self):
        """A refund made in the Stripe Dashboard (charge.refunded with no metadata.bill_id
        anywhere) finds its bill by the PaymentIntent id stored as the bill's trade number: the
        bill becomes refunded and bill.refunded is delivered once; the repeated event delivers
        nothing more. The same event for a PaymentIntent no bill of this app holds is 404
        (Stripe retries) and changes nothing."""
        bill, _ = self.new_bill()
        self.assertAccepted(self.sim.notify("stripe", self.merchant, bill["bill_id"]))
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        trade_no = self.pay_app.bill(bill["bill_id"])["provider_trade_no"]
        self.assertEqual(trade_no, self.sim_order(bill["bill_id"])["trade_no"])
        self.assertRefused(self.post_event(self.dashboard_refund_event("pi_unknown")), 404)
        self.assertState(self.pay_app, bill["bill_id"], "delivered")
        event = self.dashboard_refund_event(trade_no)
        self.assertAccepted(self.post_event(event))
        self.wait_state(self.pay_app, bill["bill_id"], "refunded")
        self.assertTrue(self.game.wait_for(lambda g: len(g.confirmed(bill["bill_id"])) == 2, 15))
        self.assertAccepted(self.post_event(event))  # Stripe's retry of the same event
        time.sleep(0.5)
        self.assertEqual([d.body["event"] for d in self.game.for_bill(bill["bill_id"])],
                         ["bill.paid", "bill.refunded"])

    def test_event_about_nothing_unipay_tracks_is_acknowledged(self):
        """Validly signed events that name no bill (another event type; a PaymentIntent without
        metadata.bill_id, made outside unipay) are 200: acknowledged so Stripe stops retrying,
        and audited as ignored."""
        customer = {"id": "evt_1", "object": "event", "type": "customer.created", "created": int(time.time()),
                    "data": {"object": {"id": "cus_1", "object": "customer", "metadata": {}}}}
        self.assertAccepted(self.post_event(customer))
        foreign = {"id": "evt_2", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
                   "data": {"object": {"id": "pi_x", "object": "payment_intent", "amount": 5, "currency": "usd",
                                       "status": "succeeded", "metadata": {}}}}
        self.assertAccepted(self.post_event(foreign))

    def test_signature_under_another_secret_or_timestamp_over_300_s_is_refused(self):
        """An event signed with a secret the app does not hold, or with t= 301 s old, is 401
        and the bill stays created (the simulator's tampering covers the rest)."""
        bill, _ = self.new_bill()
        order = self.sim_order(bill["bill_id"])
        event = {"id": "evt_3", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
                 "data": {"object": {"id": order["trade_no"], "object": "payment_intent", "amount": AMOUNT_MINOR,
                                     "currency": "cny", "status": "succeeded",
                                     "metadata": {"bill_id": bill["bill_id"]}}}}
        self.assertRefused(self.post_event(event, secret="whsec_not_the_apps"), 401)
        self.assertRefused(self.post_event(event, timestamp=time.time() - 301), 401)
        self.assertState(self.pay_app, bill["bill_id"], "created")
        self.assertAccepted(self.post_event(event))  # the same event, signed right
        self.wait_state(self.pay_app, bill["bill_id"], ("paid", "delivered"))


class StripeJanitorTest(E2ECase):
    """The webhook is lost: the janitor's verify job searches Stripe for the bill's
    PaymentIntent, finds it succeeded, and the bill is paid and delivered exactly once."""

    QUERY_AFTER_S = 1

    @classmethod
    def setUpClass(cls):
        cls.sim = ProviderSim()
        cls.addClassCleanup(cls.sim.stop)
        super().setUpClass()
        cls.pay_app, cls.merchant, _ = make_stripe_app(cls)

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, name="unipayd-" + cls.__name__)
        server.args += stripe_server_args(cls.sim, server.port, cls.QUERY_AFTER_S)
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        return server

    def test_lost_webhook_is_recovered_by_the_query(self):
        """Created through the API (a real PaymentIntent), paid at the simulator, no webhook:
        delivered once, with the PaymentIntent id as the provider trade number, audited as a query."""
        r = self.pay_app.create_bill(channel="stripe", amount=AMOUNT_MINOR, currency="CNY")
        self.assertEqual(r.status, 201, r)
        bill_id = r.json()["bill"]["bill_id"]
        order = self.sim.post("/sim/orders", {"channel": "stripe", "merchant": self.merchant, "bill_id": bill_id,
                                              "state": "paid"})
        started = time.monotonic()
        self.assertTrue(self.game.wait_confirmed([bill_id], 30), "not delivered")
        log("stripe lost webhook recovered: delivered %.2f s after the payment (query_after_s %d)"
            % (time.monotonic() - started, self.QUERY_AFTER_S))
        time.sleep(1.5)  # a second delivery, if any, would show up here
        self.assertEqual(self.game.count(bill_id), 1)
        bill = self.pay_app.bill(bill_id)
        self.assertEqual((bill["state"], bill["provider_trade_no"]), ("delivered", order["trade_no"]))
        audit = query_rows(self.db_url, "SELECT channel, verdict, detail FROM callbacks WHERE bill_id = '%s'" % bill_id)
        self.assertEqual(audit, [["stripe", "accepted", "query: paid"]])


if __name__ == "__main__":
    unittest.main()
