"""Google Play end to end against `unipay-provider-sim`'s Google (issue 9): unipayd is pointed
at the simulator's Play Developer API (--providers-google-url); the app's google channel holds
a service account the simulator made (its token_uri is the simulator's OAuth endpoint, which
verifies the RS256 assertion) and the simulator's Pub/Sub key in pubsub_certs. A bill's `pay`
carries obfuscated_account_id; POST /v1/bills/{id}/verify with the purchase token makes the
bill paid (after purchases.products.get), acknowledged at the store, and delivered once.
Real-time developer notifications come as Pub/Sub pushes with an OIDC bearer token: a
purchase pays a bill without the client, a voided purchase (naming only its orderId) refunds
the bill that order paid, and `bill.refunded` is delivered once. A store outage answers 202 and
the verify job pays the bill later. Every tampered input is refused with the bill unchanged."""

import json
import re
import time

from channel_sim import SimulatorCase
from harness import http_request, query_rows, wait_until

PACKAGE = "com.example.game"
PRODUCT = "gems_100"
OTHER_PRODUCT = "gems_500"
ITEM = "gem_100"
AUDIENCE = "https://unipay.example/pubsub/google"


class GoogleChannel(SimulatorCase):

    @classmethod
    def sim_server_args(cls, server):
        return ["--allow-private-providers", "--providers-google-url", cls.sim.base]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        made = cls.sim.post("/sim/google/credentials", {
            "package_name": PACKAGE, "pubsub_audience": AUDIENCE,
            "products": {PRODUCT: ITEM, OTHER_PRODUCT: "gem_500"}})
        cls.credentials = made["credentials"]
        r = cls.server.admin("PUT", "/v1/admin/apps/" + cls.app.app_id, {"channels": {
            "sandbox": {"secret": cls.app.sandbox_secret}, "google": cls.credentials}})
        if r.status != 200:
            raise AssertionError("app update with google credentials: %r" % r)
        time.sleep(1.1)  # the app cache of the io threads keeps an app for one second

    # -- helpers

    def new_bill(self):
        r = self.app.create_bill(channel="google", item_id=ITEM, amount=100, currency="USD")
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        self.assertEqual(doc["pay"], {"obfuscated_account_id": doc["bill"]["bill_id"]}, doc)
        return doc["bill"], doc["client_token"]

    def purchase(self, account_id, **fields):
        """What Google Play Billing makes when the player buys: a purchase at the store."""
        body = {"package_name": PACKAGE, "product_id": PRODUCT, "obfuscated_account_id": account_id}
        body.update(fields)
        return self.sim.post("/sim/google/purchases", body)

    def at_store(self, token):
        return http_request(self.sim.port, "GET", "/sim/google/purchases/" + token).json()

    def verify(self, bill_id, client_token, receipt):
        return self.server.request("POST", "/v1/bills/%s/verify" % bill_id, {"receipt": receipt},
                                   headers={"Authorization": "Bearer " + client_token})

    def push(self, token, **fields):
        """Pub/Sub pushes a notification to the app's callback URL; unipay's answer status."""
        body = {"token": token, "type": "purchased", "audience": AUDIENCE,
                "url": "http://127.0.0.1:%d/v1/callbacks/%s/google" % (self.server.port, self.app.app_id)}
        body.update(fields)
        return self.sim.post("/sim/google/notify", body)

    def paid_bill(self):
        bill, token = self.new_bill()
        purchase = self.purchase(bill["bill_id"])
        r = self.verify(bill["bill_id"], token, purchase["token"])
        self.assertEqual(r.status, 200, r)
        self.assertIn(r.json()["bill"]["state"], ("paid", "delivered"), r)
        return bill, token, purchase

    def events(self, bill_id, event):
        return [d for d in self.game.for_bill(bill_id) if d.body.get("event") == event]

    # -- tests

    def test_verified_purchase_pays_acknowledges_and_delivers_once(self):
        """The purchase token: 200 with the paid bill (orderId as its trade number), the purchase
        acknowledged once at the store, the bill delivered once; the same token again is 200
        with the bill and nothing more happens (no second acknowledgement or delivery)."""
        bill, token, purchase = self.paid_bill()
        bill_id = bill["bill_id"]
        self.assertTrue(self.game.wait_confirmed([bill_id], 15))
        self.wait_state(self.app, bill_id, ["delivered"])
        store = self.at_store(purchase["token"])
        self.assertEqual((store["acknowledgement_state"], store["acknowledgements"]), (1, 1), store)
        again = self.verify(bill_id, token, purchase["token"])
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json()["bill"]["provider_trade_no"], purchase["order_id"], again)
        time.sleep(0.5)
        self.assertEqual(self.game.count(bill_id), 1)
        self.assertEqual(self.at_store(purchase["token"])["acknowledgements"], 1)

    def test_refused_receipts_change_nothing(self):
        """Another bill's obfuscatedExternalAccountId (409 conflict); a purchase of a product that
        is another item, a cancelled purchase, a token the store does not know (400); a pending
        purchase (202: not paid yet): the bill stays created and nothing is acknowledged."""
        bill, token = self.new_bill()
        other, _ = self.new_bill()
        cases = [
            (self.purchase(other["bill_id"]), "conflict"),
            # the token is asked for under the bill's product: the store knows no such purchase
            (self.purchase(bill["bill_id"], product_id=OTHER_PRODUCT), "invalid_parameter"),
            (self.purchase(bill["bill_id"], purchase_state=2), None),
            (self.purchase(bill["bill_id"], purchase_state=1), "invalid_parameter"),
        ]
        for purchase, code in cases:
            with self.subTest(purchase=purchase):
                r = self.verify(bill["bill_id"], token, purchase["token"])
                if code is None:  # pending: the store has not taken the money yet
                    self.assertEqual(r.status, 202, r)
                else:
                    self.assertError(r, code)
                self.assertEqual(self.at_store(purchase["token"])["acknowledgements"], 0)
        self.assertError(self.verify(bill["bill_id"], token, "no-such-token"), "invalid_parameter")
        self.assertState(self.app, bill["bill_id"], "created")

    def repeated_count(self):
        text = self.server.request("GET", "/metrics").body.decode()
        return int(re.search(r"^unipay_callbacks_repeated_total (\d+)$", text, re.M).group(1))

    def test_notification_pays_without_the_client(self):
        """A purchase notification (Pub/Sub push, OIDC token verified) for a purchase the client
        never submitted: 204, the bill paid by querying the store (one purchases.products.get),
        acknowledged, delivered once. The same message again (repeated messageId) is answered 204
        without asking the Play Developer API again (the store counts no second lookup), delivers
        nothing more and is counted in /metrics; the same purchase under a new messageId is
        checked with the store again (only the messageId makes a repeat)."""
        bill, _ = self.new_bill()
        purchase = self.purchase(bill["bill_id"])
        repeated_before = self.repeated_count()
        first = self.push(purchase["token"], message_id="m-" + purchase["token"][:16])
        self.assertEqual(first["status"], 204, first)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        self.assertEqual(self.at_store(purchase["token"])["lookups"], 1)
        again = self.push(purchase["token"], message_id=first["message_id"])
        self.assertEqual(again["status"], 204, again)
        self.assertEqual(self.at_store(purchase["token"])["lookups"], 1)
        self.assertEqual(self.repeated_count(), repeated_before + 1)
        other = self.push(purchase["token"], message_id=first["message_id"] + "-new")
        self.assertEqual(other["status"], 204, other)
        self.assertEqual(self.at_store(purchase["token"])["lookups"], 2)
        time.sleep(0.5)
        self.assertEqual(self.game.count(bill["bill_id"]), 1)
        self.assertEqual(self.at_store(purchase["token"])["acknowledgements"], 1)

    def test_push_that_failed_is_handled_again_when_redelivered(self):
        """A push answered with an error (the Play Developer API unreachable: 503) is not
        remembered: Pub/Sub's redelivery with the same messageId is checked with the store, the
        bill is paid and delivered once, and only then is a further repeat answered 204 without
        a lookup. A forged push with a remembered messageId is still refused (the token is
        verified before the memory is trusted)."""
        bill, _ = self.new_bill()
        purchase = self.purchase(bill["bill_id"])
        message_id = "m-fail-" + purchase["token"][:16]
        self.sim.outage(1)  # the OAuth token (if not cached) or the lookup meets the outage
        try:
            failed = self.push(purchase["token"], message_id=message_id)
        finally:
            self.sim.outage(0)
        self.assertNotEqual(failed["status"] // 100, 2, failed)
        self.assertState(self.app, bill["bill_id"], "created")
        self.assertEqual(self.at_store(purchase["token"])["lookups"], 0)
        redelivered = self.push(purchase["token"], message_id=message_id)
        self.assertEqual(redelivered["status"], 204, redelivered)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        self.assertEqual(self.at_store(purchase["token"])["lookups"], 1)
        forged = self.push(purchase["token"], message_id=message_id, tamper="audience")
        self.assertEqual(forged["status"], 401, forged)
        repeat = self.push(purchase["token"], message_id=message_id)
        self.assertEqual(repeat["status"], 204, repeat)
        time.sleep(0.5)
        self.assertEqual(self.at_store(purchase["token"])["lookups"], 1)
        self.assertEqual(self.game.count(bill["bill_id"]), 1)

    def test_forged_pushes_refused(self):
        """A push whose OIDC token has another audience, an unknown kid, a signature by
        another key, or no bearer at all is refused (401: Pub/Sub redelivers) and audited, and
        the bill stays created; nothing is acknowledged at the store."""
        bill, _ = self.new_bill()
        purchase = self.purchase(bill["bill_id"])
        for tamper, status in (("audience", 401), ("kid", 401), ("signature", 401), ("no_bearer", 401)):
            with self.subTest(tamper=tamper):
                r = self.push(purchase["token"], tamper=tamper)
                self.assertEqual(r["status"], status, r)
                self.assertEqual(json.loads(r["body"])["error"]["code"],
                                 "unauthorized" if tamper == "no_bearer" else "bad_signature", r)
        self.assertState(self.app, bill["bill_id"], "created")
        self.assertEqual(self.at_store(purchase["token"])["acknowledgements"], 0)
        sql = ("SELECT count(*) FROM callbacks WHERE app_id = '%s' AND channel = 'google' "
               "AND verdict LIKE 'refused:%%'" % self.app.app_id)
        # refused callbacks are audited in batches
        self.assertTrue(wait_until(lambda: int(query_rows(self.db_url, sql)[0][0]) >= 4, 10))

    def test_voided_purchase_refunds_and_delivers_bill_refunded_once(self):
        """Google voids a paid purchase (a refund in the Play Console): its voided-purchase push
        names only the orderId; unipay finds the bill by that trade number, the bill becomes
        refunded and the game server gets `bill.refunded` once; the same push again (Pub/Sub
        redelivers) is acknowledged and delivers nothing more."""
        bill, _, purchase = self.paid_bill()
        bill_id = bill["bill_id"]
        self.assertTrue(self.game.wait_confirmed([bill_id], 15))
        self.sim.post("/sim/google/void", {"token": purchase["token"]})
        first = self.push(purchase["token"], type="voided")
        self.assertEqual(first["status"], 204, first)
        self.wait_state(self.app, bill_id, ["refunded"])
        self.assertTrue(self.game.wait_for(lambda g: any(
            d.confirmed and d.body.get("event") == "bill.refunded" for d in g.for_bill(bill_id)), 15))
        again = self.push(purchase["token"], type="voided", message_id=first["message_id"])
        self.assertEqual(again["status"], 204, again)
        time.sleep(0.5)
        self.assertEqual(len(self.events(bill_id, "bill.refunded")), 1)
        self.assertEqual(len(self.events(bill_id, "bill.paid")), 1)

    def test_voided_purchase_of_no_bill_is_not_found(self):
        """A voided-purchase push whose orderId no bill of the app was paid with is refused 404
        (Pub/Sub redelivers it) and changes nothing."""
        bill, _ = self.new_bill()
        purchase = self.purchase(bill["bill_id"])  # never verified: no bill holds its orderId
        r = self.push(purchase["token"], type="voided")
        self.assertEqual(r["status"], 404, r)
        self.assertState(self.app, bill["bill_id"], "created")

    def test_play_api_unreachable_then_paid_by_the_verify_job(self):
        """The Play Developer API unreachable (simulated outage): verify answers 202 with the
        bill unchanged, and the bill's verify job carries the purchase token; once the store
        answers again the job checks it again, and the bill is paid, acknowledged and delivered
        once, without the client or a notification."""
        bill, token = self.new_bill()
        purchase = self.purchase(bill["bill_id"])
        self.sim.outage(1000)
        try:
            r = self.verify(bill["bill_id"], token, purchase["token"])
            self.assertEqual(r.status, 202, r)
            self.assertEqual(r.json()["bill"]["state"], "created", r)
            time.sleep(1.5)  # the verify job's first query meets the outage too
        finally:
            self.sim.outage(0)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 30))
        self.assertEqual(self.at_store(purchase["token"])["acknowledgements"], 1)
        time.sleep(0.5)
        self.assertEqual(self.game.count(bill["bill_id"]), 1)
        rows = query_rows(self.db_url, "SELECT detail FROM callbacks WHERE bill_id = '%s' AND verdict = 'accepted'"
                          % bill["bill_id"])
        self.assertEqual([r[0].split(":")[0] for r in rows], ["query"], rows)
