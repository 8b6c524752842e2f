"""POST /v1/admin/bills/{bill_id}/refund (issue 9 item 6) end to end: unipayd refunds a paid
bill's whole amount through the provider (Stripe against `unipay-provider-sim`), under a
refund number derived from the bill id, so a second request or a retry after an outage never
makes a second refund at the provider; the confirmed refund moves the bill to refunded through
the refund-event path, and every request is audited. Sandbox refunds are confirmed at once."""

import time

from channel_sim import ProviderSim
from harness import E2ECase, Server, new_trade_no, query_rows, sandbox_callback
from test_channel_stripe import make_stripe_app, stripe_server_args

AMOUNT_MINOR = 100


class AdminRefundCase(E2ECase):
    def refund(self, bill_id, reason="player asked"):
        return self.server.admin("POST", "/v1/admin/bills/%s/refund" % bill_id, {"reason": reason})

    def verdicts(self, bill_id):
        return [r[0] for r in query_rows(self.db_url, "SELECT verdict FROM callbacks WHERE bill_id = '%s' "
                                                      "ORDER BY callback_id" % bill_id)]


class StripeAdminRefundTest(AdminRefundCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = ProviderSim()
        try:
            super().setUpClass()
        except BaseException:
            cls.sim.stop()
            raise
        cls.addClassCleanup(cls.sim.stop)
        cls.client, cls.merchant, _ = make_stripe_app(cls)

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, name="unipayd-" + cls.__name__)
        server.args += stripe_server_args(cls.sim, server.port, 3600)
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        return server

    def new_bill(self):
        r = self.client.create_bill(channel="stripe", amount=AMOUNT_MINOR, currency="CNY")
        self.assertEqual(r.status, 201, r)
        return r.json()["bill"]["bill_id"]

    def paid_bill(self):
        bill_id = self.new_bill()
        self.assertEqual(self.sim.notify("stripe", self.merchant, bill_id)[0], 200)
        self.wait_state(self.client, bill_id, "delivered")
        return bill_id

    def order(self, bill_id):
        return self.sim.order("stripe", self.merchant, bill_id)

    def test_refund_once_then_the_same_answer(self):
        """A delivered bill is refunded at the provider exactly once and becomes refunded (200
        with the bill); a second admin refund answers the same and asks for no second refund;
        both requests are audited (accepted, then ignored)."""
        bill_id = self.paid_bill()
        r = self.refund(bill_id)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["bill"]["state"], "refunded")
        order = self.order(bill_id)
        self.assertEqual((order["state"], order["refunds"], order["refunded_minor"]), ("refunded", 1, AMOUNT_MINOR))
        again = self.refund(bill_id)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json()["bill"]["state"], "refunded")
        self.assertEqual(self.order(bill_id)["refunds"], 1)
        self.assertState(self.client, bill_id, "refunded")
        self.assertEqual(self.verdicts(bill_id)[-2:], ["accepted", "ignored"])

    def test_unpaid_bill_is_conflict(self):
        """A bill not paid yet cannot be refunded: 409, no refund asked, the refusal audited."""
        bill_id = self.new_bill()
        self.assertError(self.refund(bill_id), "conflict")
        self.assertEqual(self.order(bill_id)["refunds"], 0)
        self.assertState(self.client, bill_id, "created")
        self.assertEqual(self.verdicts(bill_id), ["refused:conflict"])

    def test_outage_is_server_busy_then_retry_refunds_once(self):
        """Provider unreachable: 503 server_busy, the bill unchanged and nothing refunded; the
        retry after the outage refunds once and the bill is refunded."""
        bill_id = self.paid_bill()
        self.sim.outage(1)
        self.assertError(self.refund(bill_id), "server_busy")
        self.assertState(self.client, bill_id, "delivered")
        self.assertEqual(self.order(bill_id)["refunds"], 0)
        self.sim.outage(0)
        r = self.refund(bill_id)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["bill"]["state"], "refunded")
        self.assertEqual(self.order(bill_id)["refunds"], 1)

    def test_admin_token_required_and_unknown_bill(self):
        """Without the admin token: 401; an unknown bill: 404."""
        bill_id = self.new_bill()
        r = self.server.request("POST", "/v1/admin/bills/%s/refund" % bill_id, {"reason": "x"})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.refund("b_0000000000000000000000000Z").status, 404)


class WechatpayAdminRefundTest(AdminRefundCase):
    """WeChat Pay refunds asynchronously: the refund is answered PROCESSING (202) and its
    REFUND.SUCCESS notification, signed and AES-GCM-encrypted like WeChat Pay's, sent by the
    simulator to the refund's notify_url, completes the bill."""

    @classmethod
    def setUpClass(cls):
        cls.sim = ProviderSim()
        try:
            super().setUpClass()
        except BaseException:
            cls.sim.stop()
            raise
        cls.addClassCleanup(cls.sim.stop)
        made = cls.sim.merchant("wechatpay")
        cls.merchant = made["merchant"]
        cls.client = cls.make_app(channels={"wechatpay": made["credentials"]})

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, name="unipayd-" + cls.__name__)
        server.args += cls.sim.server_args() + ["--public-base-url", "http://127.0.0.1:%d" % server.port]
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        return server

    def paid_bill(self):
        r = self.client.create_bill(channel="wechatpay", amount=AMOUNT_MINOR, currency="CNY")
        self.assertEqual(r.status, 201, r)
        bill_id = r.json()["bill"]["bill_id"]
        self.sim.payer_pays("wechatpay", self.merchant, bill_id, r.json()["pay"], AMOUNT_MINOR, "CNY")
        self.assertEqual(self.sim.notify("wechatpay", self.merchant, bill_id), (204, ""))
        self.wait_state(self.client, bill_id, "delivered")
        self.assertTrue(self.game.wait_confirmed([bill_id], 15))
        return bill_id

    def test_refund_is_processing_then_notified_and_delivered_once(self):
        """A delivered WeChat Pay bill: the admin refund asks /v3/refund/domestic/refunds once
        (202 while PROCESSING, or 200 if the notification was faster), REFUND.SUCCESS moves the
        bill to refunded and the game server receives bill.refunded exactly once; a second
        admin refund answers 200 refunded and the simulator still holds one refund."""
        bill_id = self.paid_bill()
        r = self.refund(bill_id)
        self.assertIn(r.status, (200, 202), r)
        self.wait_state(self.client, bill_id, "refunded")
        order = self.sim.order("wechatpay", self.merchant, bill_id)
        self.assertEqual((order["state"], order["refunds"], order["refunded_minor"]), ("refunded", 1, AMOUNT_MINOR))
        self.assertTrue(self.game.wait_for(
            lambda g: [d.body["event"] for d in g.for_bill(bill_id)] == ["bill.paid", "bill.refunded"], 15))
        again = self.refund(bill_id)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json()["bill"]["state"], "refunded")
        time.sleep(0.5)  # a second delivery, if any, would show up here
        self.assertEqual(self.sim.order("wechatpay", self.merchant, bill_id)["refunds"], 1)
        self.assertEqual([d.body["event"] for d in self.game.for_bill(bill_id)], ["bill.paid", "bill.refunded"])


class SandboxAdminRefundTest(AdminRefundCase):
    def test_sandbox_refund_is_confirmed_at_once(self):
        """A paid sandbox bill is refunded at once (no provider to ask), so studios can test
        refunds; a bill of a channel without a refund API is covered by refund_refusal."""
        client = self.make_app()
        bill, _ = client.new_bill()
        r = sandbox_callback(self.server, client.app_id, client.sandbox_secret, bill["bill_id"], new_trade_no(),
                             "success", bill["amount"], bill["currency"])
        self.assertEqual(r.status, 200, r)
        self.wait_state(client, bill["bill_id"], ("paid", "delivered"))
        r = self.refund(bill["bill_id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["bill"]["state"], "refunded")
        time.sleep(0.2)
        self.assertState(client, bill["bill_id"], "refunded")
