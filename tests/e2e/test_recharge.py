"""Recharge bills (issue 13 item 5): once paid, a bill with bill_type "recharge" credits its
coins to account user_id in the app's wallet unit (created on first use), exactly once,
in the same transaction as the bill's move to delivered; the game server still receives
the signed bill.paid event, carrying the ledger entry. Duplicate callbacks and a kill -9
between the callback and the credit credit nothing twice."""

import secrets
import time
import unittest

from harness import E2ECase, new_trade_no, wait_until
from test_wallets import psql_rows


class RechargeTest(E2ECase):

    def recharge_bill(self, user_id, coins=70, client=None):
        r = (client or self.app).create_bill(user_id=user_id, bill_type="recharge", coins=coins, amount=99, currency="USD")
        self.assertEqual(r.status, 201, r)
        return r.json()["bill"]

    def entries(self, user_id, client=None):
        r = (client or self.app).request("GET", "/v1/accounts/%s/ledger" % user_id)
        self.assertEqual(r.status, 200, r)
        return r.json()["entries"]

    def test_paid_recharge_credits_once_and_delivers_the_entry(self):
        """The first recharge creates the account in the wallet unit (COIN) and credits the
        coins; duplicate callbacks credit nothing more; the bill is delivered and the game
        server's bill.paid carries the ledger entry."""
        user_id = "u_" + secrets.token_hex(5)
        bill = self.recharge_bill(user_id, coins=70)
        trade_no = new_trade_no()
        for _ in range(3):
            self.assertOkCallback(self.pay(self.app, bill, trade_no=trade_no))
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        self.assertOkCallback(self.pay(self.app, bill, trade_no=trade_no))
        account = self.app.request("GET", "/v1/accounts/" + user_id).json()["account"]
        self.assertEqual((account["unit"], account["balance"]), ("COIN", 70))
        entries = self.entries(user_id)
        self.assertEqual([(e["kind"], e["amount"], e["op_id"]) for e in entries],
                         [("recharge", 70, "recharge:" + bill["bill_id"])])
        self.assertEqual(self.app.bill(bill["bill_id"])["state"], "delivered")
        delivered = [d for d in self.game.for_bill(bill["bill_id"]) if d.confirmed]
        self.assertTrue(delivered[0].signature_ok)
        self.assertEqual(delivered[0].body["event"], "bill.paid")
        self.assertEqual(delivered[0].body["ledger_entry"], entries[0])

    def test_recharge_without_coins_is_refused_at_creation(self):
        """A recharge bill must carry coins: without them it is 400 invalid_parameter."""
        r = self.app.create_bill(user_id="u_nocoins", bill_type="recharge", amount=99, currency="USD")
        self.assertError(r, "invalid_parameter")

    def test_kill9_between_callback_and_credit_credits_exactly_once(self):
        """The credit cannot apply at first (the player's account exists in another unit);
        the callback is acknowledged and the server killed -9; once the app's wallet unit
        matches and the server is back, duplicate callbacks and the delivery retries credit
        the coins exactly once, and the bill ends delivered."""
        app = self.make_app()  # its wallet unit changes below
        user_id = "u_" + secrets.token_hex(5)
        self.assertEqual(app.request("PUT", "/v1/accounts/" + user_id, {"unit": "GEMS"}).status, 201)
        bill = self.recharge_bill(user_id, coins=40, client=app)
        trade_no = new_trade_no()
        self.assertOkCallback(self.pay(app, bill, trade_no=trade_no))
        time.sleep(0.5)  # the delivery tries the credit and is refused
        self.assertEqual(self.entries(user_id, app), [])
        self.assertEqual(app.bill(bill["bill_id"])["state"], "paid")
        self.server.kill9()
        psql_rows(self.db_url, "UPDATE apps SET wallet_unit = 'GEMS' WHERE app_id = '%s'" % app.app_id)
        self.server.start()
        for _ in range(3):
            self.assertOkCallback(self.pay(app, bill, trade_no=trade_no))
        self.assertTrue(wait_until(lambda: app.bill(bill["bill_id"])["state"] == "delivered", 30))
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 30))
        entries = self.entries(user_id, app)
        self.assertEqual([(e["kind"], e["amount"]) for e in entries], [("recharge", 40)])
        count = psql_rows(self.db_url, "SELECT count(*) FROM ledger_entries WHERE op_id = 'recharge:%s'"
                          % bill["bill_id"])
        self.assertEqual(count, [["1"]])

if __name__ == "__main__":
    unittest.main()
