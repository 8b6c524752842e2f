"""A bill's life through the public API: create, read, long poll, pay by sandbox
callback, delivery to the game server, list, catalog, close, late payment, operations
endpoints (DESIGN.md §2, §3, §7)."""

import secrets
import time
import unittest

from harness import (BILL_ID_RE, BILL_STATES, RFC3339_MS_RE, E2ECase, background, client_get,
                     client_result, log, new_trade_no)

CATALOG = [{"item_id": "gem_pack", "amount": 499, "currency": "USD", "coins": 50}]


class LifecycleTest(E2ECase):

    # ------------------------------------------------------------------ helpers

    def assertBillShape(self, bill, client, **expected):
        """Every §2 field the tests rely on is present with the right JSON type."""
        for field in ("bill_id", "app_id", "user_id", "item_id", "channel", "bill_type",
                      "amount", "currency", "coins", "state", "version", "created_at",
                      "expires_at", "late_payment"):
            self.assertIn(field, bill, "bill field %s missing: %r" % (field, bill))
        self.assertRegex(bill["bill_id"], BILL_ID_RE)
        self.assertEqual(bill["app_id"], client.app_id)
        self.assertIn(bill["state"], BILL_STATES)
        self.assertIn(bill["bill_type"], ("purchase", "recharge"))
        for field in ("amount", "coins", "version"):
            self.assertIs(type(bill[field]), int, "%s must be a JSON integer: %r" % (field, bill))
        self.assertIs(type(bill["late_payment"]), bool)
        for field in ("created_at", "expires_at", "paid_at", "delivered_at"):
            if bill.get(field) is not None:
                self.assertRegex(bill[field], RFC3339_MS_RE, "%s: %r" % (field, bill))
        for field, value in expected.items():
            self.assertEqual(bill.get(field), value, "field %s: %r" % (field, bill))

    def paid_bill(self, **fields):
        """A bill paid by a sandbox callback. Returns (bill at creation, token, trade_no)."""
        bill, token = self.app.new_bill(**fields)
        trade_no = new_trade_no()
        self.assertOkCallback(self.pay(self.app, bill, trade_no))
        return bill, token, trade_no

    # ------------------------------------------------------------------ create & read

    def test_create_returns_bill_token_and_pay(self):
        """POST /v1/bills answers 201 with the §2 bill (state created, integer amount,
        b_+26 id, RFC 3339 ms times), a client token and the channel's pay parameters."""
        r = self.app.create_bill(user_id="u_create", item_id="sword", amount=1999,
                                 currency="EUR", passinfo="pi-42", extra={"server": "s1"},
                                 os="android", app_version="1.2.3")
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        bill = doc["bill"]
        self.assertBillShape(bill, self.app, user_id="u_create", item_id="sword",
                             channel="sandbox", bill_type="purchase", amount=1999,
                             currency="EUR", coins=0, state="created", late_payment=False,
                             passinfo="pi-42", extra={"server": "s1"}, os="android",
                             app_version="1.2.3")
        self.assertGreaterEqual(bill["version"], 1)
        self.assertGreater(bill["expires_at"], bill["created_at"])
        self.assertIsNone(bill.get("paid_at"))
        self.assertIsNone(bill.get("delivered_at"))
        self.assertIsInstance(doc.get("client_token"), str)
        self.assertGreaterEqual(len(doc["client_token"]), 22, "128 random bits")
        self.assertIsInstance(doc.get("pay"), dict)

    def test_bill_ids_are_time_ordered(self):
        """Bill ids made later sort after earlier ones (§7.5)."""
        ids = []
        for _ in range(5):
            ids.append(self.app.new_bill(user_id="u_order")[0]["bill_id"])
            time.sleep(0.003)
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), len(ids))

    def test_get_by_signature_and_by_client_token(self):
        """GET /v1/bills/{id} answers the same bill to a signed request and to the bill's
        client token."""
        bill, token = self.app.new_bill(user_id="u_get", passinfo="x")
        signed = self.app.get_bill(bill["bill_id"])
        self.assertEqual(signed.status, 200, signed)
        self.assertTrue(signed.signature_ok)
        by_token = client_get(self.server, bill["bill_id"], token)
        self.assertEqual(by_token.status, 200, by_token)
        self.assertEqual(signed.json()["bill"], bill)
        self.assertEqual(by_token.json()["bill"], bill)

    # ------------------------------------------------------------------ long poll

    def test_long_poll_wakes_on_payment(self):
        """A parked long poll (timeout=10) answers promptly once a success callback is
        acknowledged: state paid, timed_out false. Prints the wake latency."""
        bill, token = self.app.new_bill(user_id="u_poll")
        poll = background(client_result, self.server, bill["bill_id"], token, timeout=10)
        time.sleep(0.3)
        self.assertTrue(poll.thread.is_alive(), "the poll must still be parked")
        trade_no = new_trade_no()
        callback = self.pay(self.app, bill, trade_no)
        acknowledged = time.monotonic()
        self.assertOkCallback(callback)
        r = poll.get(20)
        latency_ms = (poll.done_at() - acknowledged) * 1000
        log("long-poll wake latency (callback answered → poll answered): %.1f ms" % latency_ms)
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertIs(doc["timed_out"], False)
        self.assertIn(doc["bill"]["state"], ("paid", "delivered"))
        self.assertEqual(doc["bill"]["provider_trade_no"], trade_no)
        self.assertRegex(doc["bill"]["paid_at"], RFC3339_MS_RE)
        self.assertGreater(doc["bill"]["version"], bill["version"])
        self.assertGreaterEqual(r.elapsed, 0.25, "answered before the payment")
        self.assertLess(latency_ms, 1000)

    def test_until_paid_on_paid_bill_answers_at_once(self):
        """until=paid on a bill already paid answers immediately with timed_out false."""
        bill, token, _ = self.paid_bill(user_id="u_paid_now")
        r = client_result(self.server, bill["bill_id"], token, timeout=10, until="paid")
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json()["timed_out"], False)
        self.assertIn(r.json()["bill"]["state"], ("paid", "delivered"))
        self.assertLess(r.elapsed, 2.0)

    def test_until_delivered_waits_for_game_confirmation(self):
        """until=delivered waits past paid and answers delivered once the game server
        has confirmed the delivery with a 2xx."""
        bill, token = self.app.new_bill(user_id="u_until_delivered")
        poll = background(client_result, self.server, bill["bill_id"], token, timeout=10,
                          until="delivered")
        time.sleep(0.2)
        self.assertOkCallback(self.pay(self.app, bill))
        r = poll.get(25)
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertIs(doc["timed_out"], False)
        self.assertEqual(doc["bill"]["state"], "delivered")
        self.assertRegex(doc["bill"]["delivered_at"], RFC3339_MS_RE)
        self.assertGreaterEqual(len(self.game.confirmed(bill["bill_id"])), 1,
                                "delivered before the game server confirmed")

    def test_poll_timeout_answers_timed_out(self):
        """timeout=1 on an unpaid bill answers 200 after about 1 s with the bill as it is
        (created) and timed_out true; timeout=0 answers at once."""
        bill, token = self.app.new_bill(user_id="u_timeout")
        r = client_result(self.server, bill["bill_id"], token, timeout=1)
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json()["timed_out"], True)
        self.assertEqual(r.json()["bill"]["state"], "created")
        self.assertGreaterEqual(r.elapsed, 0.9)
        self.assertLess(r.elapsed, 5.0)
        r = client_result(self.server, bill["bill_id"], token, timeout=0)
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json()["timed_out"], True)
        self.assertLess(r.elapsed, 2.0)

    def test_poll_parameters_are_validated(self):
        """timeout above 60 is 400 invalid_parameter (§7.2); so is an unknown `until`."""
        bill, token = self.app.new_bill(user_id="u_poll_params")
        self.assertError(client_result(self.server, bill["bill_id"], token, timeout=61),
                         "invalid_parameter")
        self.assertError(client_result(self.server, bill["bill_id"], token, timeout=1,
                                       until="refunded-or-whatever"), "invalid_parameter")

    def test_failed_payment_answers_until_paid_waiter(self):
        """A verified failure moves created → failed and answers an until=paid waiter."""
        bill, token = self.app.new_bill(user_id="u_failed")
        poll = background(client_result, self.server, bill["bill_id"], token, timeout=10)
        time.sleep(0.2)
        self.assertOkCallback(self.pay(self.app, bill, status="failed"))
        r = poll.get(20)
        self.assertIs(r.json()["timed_out"], False)
        self.assertEqual(r.json()["bill"]["state"], "failed")
        self.assertEqual(self.app.bill(bill["bill_id"])["state"], "failed")

    # ------------------------------------------------------------------ delivery

    def test_delivery_request_is_signed_and_complete(self):
        """The game server receives one POST to the delivery URL (path and query signed
        with the app secret) with event bill.paid, attempt 1, a delivery_id and the paid
        bill; after its 2xx the bill is delivered and nothing is delivered again."""
        bill, token, trade_no = self.paid_bill(user_id="u_delivery", passinfo="pi-deliver",
                                               extra={"zone": 7})
        bill_id = bill["bill_id"]
        self.assertTrue(self.game.wait_confirmed([bill_id], 15), "no confirmed delivery")
        [d] = self.game.for_bill(bill_id)
        self.assertTrue(d.signature_ok, d.problem)
        self.assertEqual(d.path, self.game.PATH)
        self.assertEqual(d.headers.get("x-unipay-app"), self.app.app_id)
        self.assertEqual(d.body["event"], "bill.paid")
        self.assertEqual(d.body["attempt"], 1)
        self.assertIsInstance(d.body["delivery_id"], str)
        self.assertTrue(d.body["delivery_id"])
        delivered_bill = d.body["bill"]
        self.assertEqual(delivered_bill["bill_id"], bill_id)
        self.assertEqual(delivered_bill["state"], "paid")
        self.assertEqual(delivered_bill["passinfo"], "pi-deliver")
        self.assertEqual(delivered_bill["amount"], bill["amount"])
        self.assertEqual(delivered_bill["currency"], bill["currency"])
        self.assertEqual(delivered_bill["user_id"], "u_delivery")
        self.assertEqual(delivered_bill["provider_trade_no"], trade_no)
        final = self.wait_state(self.app, bill_id, "delivered")
        self.assertRegex(final["delivered_at"], RFC3339_MS_RE)
        self.assertGreaterEqual(final["delivered_at"], final["paid_at"])
        time.sleep(1.5)
        self.assertEqual(self.game.count(bill_id), 1, self.game.for_bill(bill_id))

    # ------------------------------------------------------------------ list

    def test_list_filters_and_cursor_paging(self):
        """GET /v1/bills filters by user_id, state and channel, and pages with limit and
        cursor until next_cursor is null; pages neither overlap nor miss a bill."""
        user = "u_list_" + secrets.token_hex(3)
        mine = [self.app.new_bill(user_id=user)[0]["bill_id"] for _ in range(3)]
        for _ in range(2):
            self.app.new_bill(user_id=user + "_other")
        self.assertEqual(self.app.close_bill(mine[0]).status, 200)

        r = self.app.list_bills(user_id=user)
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(sorted(b["bill_id"] for b in doc["bills"]), sorted(mine))
        self.assertTrue(all(b["user_id"] == user for b in doc["bills"]))
        self.assertIsNone(doc["next_cursor"])

        closed = self.app.list_bills(user_id=user, state="closed").json()["bills"]
        self.assertEqual([b["bill_id"] for b in closed], [mine[0]])
        created = self.app.list_bills(user_id=user, state="created").json()["bills"]
        self.assertEqual(sorted(b["bill_id"] for b in created), sorted(mine[1:]))
        self.assertEqual(len(self.app.list_bills(user_id=user, channel="sandbox")
                             .json()["bills"]), 3)
        self.assertEqual(self.app.list_bills(user_id=user, channel="alipay").json()["bills"], [])

        seen, cursor, pages = [], None, 0
        while True:
            r = self.app.list_bills(user_id=user, limit=2, cursor=cursor)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            pages += 1
            self.assertLessEqual(len(page["bills"]), 2)
            seen += [b["bill_id"] for b in page["bills"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            self.assertIsInstance(cursor, str)
            self.assertLess(pages, 5, "paging does not end")
        self.assertEqual(len(seen), len(set(seen)), "pages overlap: %r" % seen)
        self.assertEqual(sorted(seen), sorted(mine))
        self.assertGreaterEqual(pages, 2)

    # ------------------------------------------------------------------ catalog

    def test_catalog_fills_and_guards_amount(self):
        """For a catalog item, omitted amount/currency/coins come from the catalog, equal
        values are accepted, and a differing amount or currency is 400 invalid_parameter."""
        app = self.make_app(catalog=CATALOG)
        r = app.create_bill(item_id="gem_pack", amount=None, currency=None)
        self.assertEqual(r.status, 201, r)
        self.assertBillShape(r.json()["bill"], app, amount=499, currency="USD", coins=50)
        r = app.create_bill(item_id="gem_pack", amount=499, currency="USD")
        self.assertEqual(r.status, 201, r)
        self.assertError(app.create_bill(item_id="gem_pack", amount=500, currency="USD"),
                         "invalid_parameter")
        self.assertError(app.create_bill(item_id="gem_pack", amount=None, currency="EUR"),
                         "invalid_parameter")

    def test_required_fields(self):
        """user_id, item_id, channel are required; amount and currency too for an item
        outside the catalog (400 invalid_parameter, nothing created)."""
        for missing in ("user_id", "item_id", "channel", "amount", "currency"):
            with self.subTest(missing=missing):
                fields = {"user_id": "u_required", missing: None}
                self.assertError(self.app.create_bill(**fields), "invalid_parameter")
        self.assertEqual(self.app.list_bills(user_id="u_required").json()["bills"], [])

    # ------------------------------------------------------------------ close

    def test_close_is_idempotent_and_refused_when_paid(self):
        """Close answers 200 with the closed bill, again 200 for a closed bill, and 409
        conflict for a paid bill (which stays paid)."""
        bill, _ = self.app.new_bill(user_id="u_close")
        r = self.app.close_bill(bill["bill_id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["bill"]["state"], "closed")
        r = self.app.close_bill(bill["bill_id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["bill"]["state"], "closed")

        paid, _, _ = self.paid_bill(user_id="u_close_paid")
        self.assertError(self.app.close_bill(paid["bill_id"]), "conflict")
        self.assertIn(self.app.bill(paid["bill_id"])["state"], ("paid", "delivered"))

    def test_close_wakes_parked_waiter(self):
        """A close answers a parked long poll with state closed and timed_out false."""
        bill, token = self.app.new_bill(user_id="u_close_wake")
        poll = background(client_result, self.server, bill["bill_id"], token, timeout=10)
        time.sleep(0.3)
        self.assertEqual(self.app.close_bill(bill["bill_id"]).status, 200)
        r = poll.get(20)
        self.assertIs(r.json()["timed_out"], False)
        self.assertEqual(r.json()["bill"]["state"], "closed")
        self.assertLess(r.elapsed, 5.0)

    def test_late_payment_after_close(self):
        """A success callback for a closed bill is accepted: the bill becomes paid with
        late_payment true (money taken is never ignored) and is then delivered."""
        bill, token = self.app.new_bill(user_id="u_late")
        self.assertEqual(self.app.close_bill(bill["bill_id"]).status, 200)
        self.assertOkCallback(self.pay(self.app, bill))
        now = self.wait_state(self.app, bill["bill_id"], ("paid", "delivered"))
        self.assertIs(now["late_payment"], True)
        r = client_result(self.server, bill["bill_id"], token, timeout=15, until="delivered")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["bill"]["state"], "delivered")
        self.assertIs(r.json()["bill"]["late_payment"], True)
        self.assertTrue(self.game.confirmed(bill["bill_id"]))

    # ------------------------------------------------------------------ operations

    def test_operations_endpoints(self):
        """/healthz and /readyz answer 200; /metrics answers Prometheus text with unipay_
        metrics."""
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
        self.assertEqual(self.server.request("GET", "/readyz").status, 200)
        r = self.server.request("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        text = r.body.decode("utf-8")
        self.assertIn("unipay_", text)


if __name__ == "__main__":
    unittest.main()
