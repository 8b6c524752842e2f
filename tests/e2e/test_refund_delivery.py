"""A refund reaches the game server (issue 9, item 6): a whole refund notification signed
like the provider (Alipay, through `unipay-provider-sim`; the sandbox channel has no refund)
moves the bill to `refunded` and commits, with that transition, a delivery of the signed
event `bill.refunded`, retried until a 2xx like `bill.paid`. The bill stays `refunded`."""

import time
import unittest

from channel_sim import SimulatorCase
from harness import query_rows

AMOUNT_MINOR = 100
CURRENCY = "CNY"
CHANNEL = "alipay"


class RefundDeliveryTest(SimulatorCase):
    """One simulator, one unipayd pointed at it, one app with an Alipay merchant."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        made = cls.sim.merchant(CHANNEL)
        cls.merchant = made["merchant"]
        cls.pay_app = cls.make_app(channels={CHANNEL: made["credentials"]})

    # -- helpers

    def paid_bill(self):
        """A bill the payer paid, notified by the provider (not yet waited for)."""
        r = self.pay_app.create_bill(channel=CHANNEL, amount=AMOUNT_MINOR, currency=CURRENCY)
        self.assertEqual(r.status, 201, r)
        bill, pay = r.json()["bill"], r.json()["pay"]
        self.sim.payer_pays(CHANNEL, self.merchant, None, pay, AMOUNT_MINOR, CURRENCY)
        self.assertEqual(self.sim.notify(CHANNEL, self.merchant, bill["bill_id"]), (200, "success"))
        return bill

    def refund(self, bill_id):
        self.assertEqual(self.sim.notify(CHANNEL, self.merchant, bill_id, outcome="refunded"), (200, "success"))

    def events(self, bill_id):
        return [d.body.get("event") for d in self.game.for_bill(bill_id)]

    def refunded_deliveries(self, bill_id):
        return [d for d in self.game.for_bill(bill_id) if d.body.get("event") == "bill.refunded"]

    def jobs(self, bill_id):
        return query_rows(self.db_url, "SELECT kind FROM jobs WHERE bill_id = '%s'" % bill_id)

    def assertRefundedDelivery(self, delivery, bill_id):
        """The bill.refunded body: the bill.paid envelope, signed alike, its own delivery_id."""
        self.assertTrue(delivery.signature_ok, delivery.problem)
        self.assertEqual(set(delivery.body), {"event", "delivery_id", "attempt", "bill"}, delivery.body)
        self.assertEqual(delivery.delivery_id, "r_" + bill_id[2:])
        self.assertEqual(delivery.body["bill"]["bill_id"], bill_id)
        self.assertEqual(delivery.body["bill"]["state"], "refunded")
        self.assertEqual(delivery.body["bill"]["amount"], AMOUNT_MINOR)

    # -- tests

    def test_refund_of_a_delivered_bill_is_delivered_once(self):
        """paid → delivered (bill.paid) → refund notification → the game server receives one
        signed bill.refunded; the same refund notification again is acknowledged and
        delivers nothing more; the bill stays refunded and its job is gone."""
        bill_id = self.paid_bill()["bill_id"]
        self.wait_state(self.pay_app, bill_id, "delivered")
        self.assertTrue(self.game.wait_confirmed([bill_id], 15))
        self.refund(bill_id)
        self.assertTrue(self.game.wait_for(lambda g: self.refunded_deliveries(bill_id), 15))
        self.refund(bill_id)
        self.assertTrue(wait_for_no_jobs(self, bill_id))
        time.sleep(0.5)
        self.assertEqual(self.events(bill_id), ["bill.paid", "bill.refunded"])
        paid, refunded = self.game.for_bill(bill_id)
        self.assertEqual(paid.delivery_id, "d_" + bill_id[2:])
        self.assertRefundedDelivery(refunded, bill_id)
        self.assertEqual(refunded.attempt, 1)
        self.assertState(self.pay_app, bill_id, "refunded")

    def test_admin_refund_through_alipay_is_made_once_and_delivered_once(self):
        """POST /v1/admin/bills/{id}/refund on a delivered Alipay bill: unipay calls
        alipay.trade.refund (signed, answer verified), the bill is refunded, the game server
        receives one bill.refunded; a second admin refund answers the same and the
        simulator still shows exactly one refund."""
        bill_id = self.paid_bill()["bill_id"]
        self.wait_state(self.pay_app, bill_id, "delivered")
        self.assertTrue(self.game.wait_confirmed([bill_id], 15))
        first = self.server.admin("POST", "/v1/admin/bills/%s/refund" % bill_id, {"reason": "player asked"})
        self.assertEqual(first.status, 200, first)
        self.assertEqual(first.json()["bill"]["state"], "refunded")
        again = self.server.admin("POST", "/v1/admin/bills/%s/refund" % bill_id, {"reason": "player asked"})
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json()["bill"]["state"], "refunded")
        self.assertEqual(self.sim.order(CHANNEL, self.merchant, bill_id)["refunds"], 1)
        self.assertTrue(self.game.wait_for(lambda g: self.refunded_deliveries(bill_id), 15))
        self.assertTrue(wait_for_no_jobs(self, bill_id))
        time.sleep(0.5)
        self.assertEqual(self.events(bill_id), ["bill.paid", "bill.refunded"])

    def test_game_server_down_then_up_gets_the_refund_after_retries(self):
        """The game server answers 503 while the refund is committed: bill.refunded is
        retried (the bill stays refunded, never delivered) until the game server is back and
        answers 2xx, then the job ends and nothing more is sent."""
        bill_id = self.paid_bill()["bill_id"]
        self.wait_state(self.pay_app, bill_id, "delivered")
        self.assertTrue(self.game.wait_confirmed([bill_id], 15))
        self.game.go_down("503")
        try:
            self.refund(bill_id)
            self.assertTrue(self.game.wait_for(lambda g: len(self.refunded_deliveries(bill_id)) >= 2, 15))
            self.assertState(self.pay_app, bill_id, "refunded")
        finally:
            self.game.come_up()
        self.assertTrue(self.game.wait_for(
            lambda g: any(d.confirmed for d in self.refunded_deliveries(bill_id)), 15))
        self.assertTrue(wait_for_no_jobs(self, bill_id))
        time.sleep(0.5)
        refunded = self.refunded_deliveries(bill_id)
        self.assertEqual([d.confirmed for d in refunded], [False] * (len(refunded) - 1) + [True])
        self.assertEqual({d.delivery_id for d in refunded}, {"r_" + bill_id[2:]})
        self.assertEqual([d.attempt for d in refunded], list(range(1, len(refunded) + 1)))
        for d in refunded:
            self.assertRefundedDelivery(d, bill_id)
        self.assertState(self.pay_app, bill_id, "refunded")

    def test_refund_before_bill_paid_was_confirmed_sends_only_bill_refunded(self):
        """A bill refunded while its bill.paid is still being retried (the game server is
        down): the one delivery job carries bill.refunded from then on, so once the game
        server is back it gets bill.refunded (exactly one confirmed delivery), never a
        confirmed bill.paid for goods already taken back; the bill stays refunded."""
        self.game.go_down("503")
        try:
            bill_id = self.paid_bill()["bill_id"]
            self.assertTrue(self.game.wait_for(lambda g: g.count(bill_id) >= 1, 15))
            self.refund(bill_id)
            self.assertState(self.pay_app, bill_id, "refunded")
        finally:
            self.game.come_up()
        self.assertTrue(self.game.wait_for(lambda g: g.confirmed(bill_id), 15))
        self.assertTrue(wait_for_no_jobs(self, bill_id))
        time.sleep(0.5)
        confirmed = self.game.confirmed(bill_id)
        self.assertEqual(len(confirmed), 1, confirmed)
        self.assertRefundedDelivery(confirmed[0], bill_id)
        self.assertState(self.pay_app, bill_id, "refunded")


def wait_for_no_jobs(case, bill_id, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not case.jobs(bill_id):
            return True
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    unittest.main()
