"""Apple (StoreKit 2) end to end against `unipay-provider-sim`'s App Store (issue 9): an app's
apple channel trusts the simulator's run-time root; a bill's `pay` carries its
appAccountToken; POST /v1/bills/{id}/verify with a transaction the simulator signed like the
App Store makes the bill paid and delivered once. Receipts that must not pay the bill (another
bill's token, another product, another bundle id, a chain from another root, a transaction id
already used by another bill) are refused in the error envelope with the bill unchanged. An
App Store Server Notification V2 REFUND makes a paid bill refunded. A bare transactionId is
looked up with the simulated App Store Server API (ES256 bearer token checked as Apple does);
when that lookup cannot be made the answer is 202 and a verify job repeats it until paid."""

import secrets
import time

from harness import E2ECase, Server, query_rows
from test_channels import ProviderSim

BUNDLE_ID = "com.example.game"
ENVIRONMENT = "Sandbox"
PRODUCT = "com.example.gems100"
ITEM = "gem_100"


class AppleChannel(E2ECase):

    @classmethod
    def setUpClass(cls):
        cls.sim = ProviderSim()
        try:
            super().setUpClass()
        except BaseException:
            cls.sim.stop()
            raise
        cls.addClassCleanup(cls.sim.stop)
        made = cls.sim.post("/sim/apple/credentials", {
            "bundle_id": BUNDLE_ID, "environment": ENVIRONMENT,
            "products": {PRODUCT: ITEM, "com.example.gems500": "gem_500"}})
        r = cls.server.admin("PUT", "/v1/admin/apps/" + cls.app.app_id, {"channels": {
            "sandbox": {"secret": cls.app.sandbox_secret}, "apple": made["credentials"]}})
        if r.status != 200:
            raise AssertionError("app update with apple credentials: %r" % r)
        time.sleep(1.1)  # the app cache of the io threads keeps an app for one second

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, name="unipayd-" + cls.__name__)
        server.args += ["--allow-private-providers", "--providers-apple-sandbox-url", cls.sim.base,
                        "--providers-apple-production-url", cls.sim.base]
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        return server

    # -- helpers

    def new_bill(self):
        r = self.app.create_bill(channel="apple", item_id=ITEM, amount=100, currency="USD")
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        self.assertIn("app_account_token", doc["pay"], doc)
        return doc["bill"], doc["client_token"], doc["pay"]["app_account_token"]

    def transaction(self, token, **fields):
        body = {"bundle_id": BUNDLE_ID, "environment": ENVIRONMENT, "product_id": PRODUCT,
                "transaction_id": str(2000000000000000 + secrets.randbelow(10 ** 12)),
                "app_account_token": token}
        body.update(fields)
        return body

    def sign(self, tx):
        return self.sim.post("/sim/apple/transaction", tx)["jws"]

    def verify(self, bill_id, client_token, receipt):
        return self.server.request("POST", "/v1/bills/%s/verify" % bill_id, {"receipt": receipt},
                                   headers={"Authorization": "Bearer " + client_token})

    def paid_bill(self):
        bill, token, account_token = self.new_bill()
        tx = self.transaction(account_token)
        r = self.verify(bill["bill_id"], token, self.sign(tx))
        self.assertEqual(r.status, 200, r)
        self.assertIn(r.json()["bill"]["state"], ("paid", "delivered"), r)
        return bill, token, tx

    # -- tests

    def test_verified_transaction_pays_and_delivers_once(self):
        """A signed transaction for the bill: 200 with the paid bill, delivered once; the same
        receipt again is 200 with the bill (already paid by that trade) and no second delivery."""
        bill, token, tx = self.paid_bill()
        bill_id = bill["bill_id"]
        self.assertTrue(self.game.wait_confirmed([bill_id], 15))
        self.wait_state(self.app, bill_id, ["delivered"])
        again = self.verify(bill_id, token, self.sign(tx))
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json()["bill"]["provider_trade_no"], tx["transaction_id"], again)
        time.sleep(0.5)
        self.assertEqual(self.game.count(bill_id), 1)

    def test_transaction_of_another_bill_is_conflict(self):
        """A transaction id already used by another bill (signed again with this bill's token)
        is 409 conflict: the trade number is unique; the second bill stays created."""
        _, _, tx = self.paid_bill()
        bill, token, account_token = self.new_bill()
        reused = dict(tx, app_account_token=account_token)
        self.assertError(self.verify(bill["bill_id"], token, self.sign(reused)), "conflict")
        self.assertState(self.app, bill["bill_id"], "created")

    def test_refused_receipts_change_nothing(self):
        """Another bill's appAccountToken, a product that is another item, another bundle id
        (409 conflict), a chain from another root (400 invalid_parameter): bill stays created."""
        bill, token, account_token = self.new_bill()
        _, _, other_token = self.new_bill()
        cases = [
            (self.transaction(other_token), "conflict"),
            (self.transaction(account_token, product_id="com.example.gems500"), "conflict"),
            (self.transaction(account_token, bundle_id="com.other.game"), "conflict"),
            (self.transaction(account_token, other_root=True), "invalid_parameter"),
        ]
        for tx, code in cases:
            with self.subTest(tx=tx):
                self.assertError(self.verify(bill["bill_id"], token, self.sign(tx)), code)
        self.assertError(self.verify(bill["bill_id"], token, "not a jws"), "invalid_parameter")
        self.assertState(self.app, bill["bill_id"], "created")

    def test_refund_notification_refunds(self):
        """A signed REFUND notification (Server Notifications V2) for a paid bill's transaction
        at /v1/callbacks/{app_id}/apple: answered 200, the bill is refunded (no amount check)."""
        bill, _, tx = self.paid_bill()
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        note = self.sim.post("/sim/apple/notification", dict(tx, type="REFUND", revoked=True))
        r = self.server.request("POST", "/v1/callbacks/%s/apple" % self.app.app_id, note["body"].encode(),
                                headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        self.wait_state(self.app, bill["bill_id"], ["refunded"])

    def test_one_time_charge_notification_pays_without_amount(self):
        """A ONE_TIME_CHARGE notification (the store states no comparable amount) pays the bill
        by its item and is acknowledged 200; the same notification again is 200 and nothing
        changes; the client's verify of that transaction afterwards is 200 with the bill."""
        bill, token, account_token = self.new_bill()
        tx = self.transaction(account_token)
        note = self.sim.post("/sim/apple/notification", dict(tx, type="ONE_TIME_CHARGE"))
        for _ in range(2):
            r = self.server.request("POST", "/v1/callbacks/%s/apple" % self.app.app_id, note["body"].encode(),
                                    headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 200, r)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        again = self.verify(bill["bill_id"], token, self.sign(tx))
        self.assertEqual(again.status, 200, again)
        self.assertEqual(self.game.count(bill["bill_id"]), 1)

    def test_bare_transaction_id_is_looked_up_with_the_app_store_server_api(self):
        """A bare transactionId (StoreKit's Transaction.id) is looked up with GET
        /inApps/v1/transactions/{id} under unipay's ES256 API token, the signed answer verified
        like a receipt: 200 with the paid bill, delivered once. An id the App Store does not know
        is 400 invalid_parameter and the bill stays created."""
        bill, token, account_token = self.new_bill()
        self.assertError(self.verify(bill["bill_id"], token, "2999999999999999"), "invalid_parameter")
        self.assertState(self.app, bill["bill_id"], "created")
        tx = self.transaction(account_token)
        self.sign(tx)  # the purchase happened: the App Store knows the transaction
        r = self.verify(bill["bill_id"], token, tx["transaction_id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["bill"]["provider_trade_no"], tx["transaction_id"], r)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        time.sleep(0.5)
        self.assertEqual(self.game.count(bill["bill_id"]), 1)

    def test_unreachable_lookup_is_202_then_the_verify_job_pays_once(self):
        """The App Store cannot be reached during the lookup: 202 with the bill still created and
        a verify job carrying the transaction id; while the outage lasts the bill stays created;
        once it is over the janitor's lookup pays the bill, delivered exactly once, audited as a
        query, and the job is gone."""
        bill, token, account_token = self.new_bill()
        tx = self.transaction(account_token)
        self.sign(tx)
        self.sim.outage(1000000)
        try:
            r = self.verify(bill["bill_id"], token, tx["transaction_id"])
            self.assertEqual(r.status, 202, r)
            self.assertEqual(r.json()["bill"]["state"], "created", r)
            jobs = query_rows(self.db_url, "SELECT kind, receipt FROM jobs WHERE bill_id = '%s'" % bill["bill_id"])
            self.assertEqual(jobs, [["verify", tx["transaction_id"]]])
            time.sleep(1.0)  # the janitor tries and still cannot reach the App Store
            self.assertState(self.app, bill["bill_id"], "created")
        finally:
            self.sim.outage(0)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 30), "not delivered after the outage")
        time.sleep(1.0)  # a second delivery, if any, would show up here
        self.assertEqual(self.game.count(bill["bill_id"]), 1)
        self.assertEqual(self.assertState(self.app, bill["bill_id"], "delivered")["provider_trade_no"],
                         tx["transaction_id"])
        audits = query_rows(self.db_url, "SELECT verdict, detail FROM callbacks WHERE bill_id = '%s'" % bill["bill_id"])
        self.assertIn(["accepted", "query: paid"], audits)
        self.assertEqual(query_rows(self.db_url, "SELECT kind FROM jobs WHERE bill_id = '%s' AND kind = 'verify'"
                                    % bill["bill_id"]), [])
