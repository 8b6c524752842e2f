"""Tampering and refusals: request signing, client tokens, admin auth, forged or
inconsistent provider callbacks, idempotency keys, JSON and size limits, each with the
exact error envelope of DESIGN.md §3 / §7.3 / §7.4 and a signed answer (§7.1)."""

import json
import secrets
import time
import unittest

from harness import (E2ECase, client_close, client_get, client_result, new_nonce,
                     new_trade_no, sandbox_callback, sign_request)

UNKNOWN_BILL = "b_" + "0" * 26


def nested(depth):
    """A JSON object nested `depth` levels deep ({} is depth 1)."""
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


class SecurityTest(E2ECase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.make_app()     # a second app, for scoping checks

    def create_raw(self, raw, **kw):
        """POST /v1/bills with exactly these body bytes, signed."""
        return self.app.request("POST", "/v1/bills", raw, **kw)

    def assertUnchanged(self, bill):
        """The bill still reads exactly as it did (state, version, trade number)."""
        now = self.app.bill(bill["bill_id"])
        self.assertEqual((now["state"], now["version"], now.get("provider_trade_no")),
                         (bill["state"], bill["version"], bill.get("provider_trade_no")), now)

    def paid(self, user):
        bill, token = self.app.new_bill(user_id=user)
        trade_no = new_trade_no()
        self.assertOkCallback(self.pay(self.app, bill, trade_no))
        return self.app.bill(bill["bill_id"]), token, trade_no

    # ------------------------------------------------------------------ request signing

    def test_bad_signature(self):
        """A wrong signature, a wrong secret, a body or a path changed after signing are
        401 bad_signature (ret 2), and change nothing."""
        bill, _ = self.app.new_bill(user_id="u_badsig")
        path = "/v1/bills/" + bill["bill_id"]
        good = sign_request(self.app.secret, "GET", path, str(int(time.time())), new_nonce(), b"")
        flipped = ("0" if good[0] != "0" else "1") + good[1:]
        self.assertError(self.app.request("GET", path, signature=flipped, check_response=False),
                         "bad_signature")
        self.assertError(self.app.request("GET", path, secret="not-the-secret",
                                          check_response=False), "bad_signature")

        ts, nonce = str(int(time.time())), new_nonce()
        signed_body = json.dumps(self.app.bill_body(user_id="u_badsig_a")).encode()
        sent_body = json.dumps(self.app.bill_body(user_id="u_badsig_b")).encode()
        sig = sign_request(self.app.secret, "POST", "/v1/bills", ts, nonce, signed_body)
        self.assertError(self.create_raw(sent_body, timestamp=ts, nonce=nonce, signature=sig,
                                         check_response=False), "bad_signature")

        ts, nonce = str(int(time.time())), new_nonce()
        sig = sign_request(self.app.secret, "POST", path + "/close", ts, nonce, b"")
        self.assertError(self.app.request("POST", "/v1/bills/%s/close" % UNKNOWN_BILL, b"",
                                          timestamp=ts, nonce=nonce, signature=sig,
                                          check_response=False), "bad_signature")
        self.assertEqual(self.app.list_bills(user_id="u_badsig_b").json()["bills"], [])
        self.assertUnchanged(bill)

    def test_missing_or_malformed_headers(self):
        """A request missing any signing header, or with a malformed nonce or timestamp,
        is 401 unauthorized (ret 2)."""
        path = "/v1/bills?user_id=u_missing"
        for name in ("X-Unipay-App", "X-Unipay-Timestamp", "X-Unipay-Nonce",
                     "X-Unipay-Signature"):
            with self.subTest(missing=name):
                self.assertError(self.app.request("GET", path, omit=[name],
                                                  check_response=False), "unauthorized")
        self.assertError(self.server.request("GET", path), "unauthorized")
        for nonce in ("a" * 15, "a" * 65, "abcdefghijklmnop.", "abcdefghijklmnop qrs"):
            with self.subTest(nonce=nonce):
                self.assertError(self.app.request("GET", path, nonce=nonce,
                                                  check_response=False), "unauthorized")
        self.assertError(self.app.request("GET", path, timestamp="12abc",
                                          check_response=False), "unauthorized")

    def test_unknown_app(self):
        """A signature from an app id that does not exist is refused with 401."""
        stranger = type(self.app)(self.server, "app_does_not_exist", "whatever")
        r = stranger.request("GET", "/v1/bills", check_response=False)
        self.assertEqual(r.status, 401, r)
        self.assertIn(r.json()["error"]["code"], ("unauthorized", "bad_signature"))

    def test_stale_timestamp(self):
        """Timestamps 301 s in the past (302 s in the future: the server's clock reads a
        little later) are 401 stale_timestamp; 290 s old is still accepted."""
        now = int(time.time())
        path = "/v1/bills?user_id=u_stale"
        for ts in (now - 301, now + 302):
            with self.subTest(offset=ts - now):
                self.assertError(self.app.request("GET", path, timestamp=ts,
                                                  check_response=False), "stale_timestamp")
        r = self.app.request("GET", path, timestamp=now - 290)
        self.assertEqual(r.status, 200, r)

    def test_replayed_nonce(self):
        """A nonce is accepted once per app: the same nonce again, freshly signed or
        replayed byte for byte, is 401 replayed (ret 2); another app may use it."""
        nonce, ts = new_nonce(), str(int(time.time()))
        first = self.app.request("GET", "/v1/bills?user_id=u_replay", nonce=nonce, timestamp=ts)
        self.assertEqual(first.status, 200, first)
        self.assertError(self.app.request("GET", "/v1/bills?user_id=u_replay", nonce=nonce,
                                          timestamp=ts, check_response=False), "replayed")
        self.assertError(self.app.request("GET", "/v1/bills?user_id=u_replay2", nonce=nonce,
                                          check_response=False), "replayed")
        r = self.other.request("GET", "/v1/bills?user_id=u_replay", nonce=nonce)
        self.assertEqual(r.status, 200, r)

    def test_replayed_create_makes_no_bill(self):
        """A create's nonce is recorded by the bill's own insert (sandbox: a local prepare,
        no Idempotency-Key): the same create replayed byte for byte, or re-signed with another
        body, is 401 replayed and makes no bill; another app may use the nonce; a create
        refused as bad input records nothing, so its nonce still serves a good create."""
        nonce, ts = new_nonce(), str(int(time.time()))
        body = self.app.bill_body(user_id="u_replay_create")
        first = self.app.request("POST", "/v1/bills", body, nonce=nonce, timestamp=ts)
        self.assertEqual(first.status, 201, first)
        self.assertError(self.app.request("POST", "/v1/bills", body, nonce=nonce, timestamp=ts,
                                          check_response=False), "replayed")
        self.assertError(self.app.request("POST", "/v1/bills", dict(body, amount=7), nonce=nonce,
                                          check_response=False), "replayed")
        self.assertEqual([b["bill_id"] for b in self.app.list_bills(user_id="u_replay_create").json()["bills"]],
                         [first.json()["bill"]["bill_id"]])
        theirs = self.other.request("POST", "/v1/bills", self.other.bill_body(user_id="u_replay_create"),
                                    nonce=nonce)
        self.assertEqual(theirs.status, 201, theirs)

        bad_nonce = new_nonce()
        self.assertError(self.app.request("POST", "/v1/bills", dict(body, amount=0), nonce=bad_nonce),
                         "invalid_parameter")
        good = self.app.request("POST", "/v1/bills", dict(body, user_id="u_replay_create2"), nonce=bad_nonce)
        self.assertEqual(good.status, 201, good)
        self.assertError(self.app.request("POST", "/v1/bills", dict(body, user_id="u_replay_create2"),
                                          nonce=bad_nonce, check_response=False), "replayed")
        self.assertEqual(len(self.app.list_bills(user_id="u_replay_create2").json()["bills"]), 1)

    def test_replayed_create_with_idempotency_key_is_refused_before_the_replay(self):
        """With an Idempotency-Key the nonce is checked first, as on every route: the same
        request with the same nonce is 401 replayed, not the stored answer; a fresh nonce with
        the key replays the first answer byte for byte; one bill in all."""
        key, nonce = "idem-" + secrets.token_hex(8), new_nonce()
        body = self.app.bill_body(user_id="u_replay_key")
        headers = {"Idempotency-Key": key}
        first = self.app.request("POST", "/v1/bills", body, headers, nonce=nonce)
        self.assertEqual(first.status, 201, first)
        self.assertError(self.app.request("POST", "/v1/bills", body, headers, nonce=nonce,
                                          check_response=False), "replayed")
        again = self.app.request("POST", "/v1/bills", body, headers)
        self.assertEqual((again.status, again.body), (first.status, first.body))
        self.assertEqual(len(self.app.list_bills(user_id="u_replay_key").json()["bills"]), 1)

    # ------------------------------------------------------------------ scoping

    def test_another_apps_bill_is_not_found(self):
        """Another app's bill is 404 not_found (ret 1) for GET and close, and
        stays as it was; it is not listed for the other app."""
        bill, _ = self.app.new_bill(user_id="u_scoped")
        bill_id = bill["bill_id"]
        self.assertError(self.other.get_bill(bill_id), "not_found")
        self.assertError(self.other.close_bill(bill_id), "not_found")
        self.assertEqual(self.other.list_bills(user_id="u_scoped").json()["bills"], [])
        self.assertUnchanged(bill)

    def test_client_token_is_scoped_to_its_bill(self):
        """A client token reads and polls its own bill only: on another bill it is 404;
        trying to close is 403 forbidden; without credentials it is 401 unauthorized."""
        bill1, token1 = self.app.new_bill(user_id="u_token")
        bill2, token2 = self.app.new_bill(user_id="u_token")
        self.assertEqual(client_get(self.server, bill1["bill_id"], token1).status, 200)
        self.assertError(client_get(self.server, bill2["bill_id"], token1), "not_found")
        self.assertError(client_result(self.server, bill2["bill_id"], token1, timeout=0),
                         "not_found")
        self.assertError(client_close(self.server, bill1["bill_id"], token1), "forbidden")
        self.assertError(client_close(self.server, bill2["bill_id"], token2), "forbidden")
        self.assertError(self.server.request("GET", "/v1/bills/" + bill1["bill_id"]),
                         "unauthorized")
        self.assertUnchanged(bill1)
        self.assertUnchanged(bill2)

    def test_admin_routes_need_the_admin_token(self):
        """Admin routes without a token are 401 unauthorized; with a wrong token 403
        forbidden; the right token is 201."""
        body = {"name": "intruder", "delivery_url": self.game.url,
                "channels": {"sandbox": {"secret": "s"}}}
        self.assertError(self.server.request("POST", "/v1/admin/apps", body), "unauthorized")
        self.assertError(self.server.admin("POST", "/v1/admin/apps", body,
                                           token=secrets.token_urlsafe(32)), "forbidden")
        self.assertEqual(self.server.admin("POST", "/v1/admin/apps", body).status, 201)

    # ------------------------------------------------------------------ callbacks

    def test_forged_callbacks_change_nothing(self):
        """Sandbox callbacks with a bad signature, with a body changed after signing, or
        signed with another app's sandbox secret are refused (non-2xx); the bill stays
        created."""
        bill, _ = self.app.new_bill(user_id="u_forged")
        args = (bill["bill_id"], new_trade_no(), "success", bill["amount"], bill["currency"])
        for tamper in ("signature", "body"):
            with self.subTest(tamper=tamper):
                r = sandbox_callback(self.server, self.app.app_id, self.app.sandbox_secret,
                                     *args, tamper=tamper)
                self.assertGreaterEqual(r.status, 400, r)
        r = sandbox_callback(self.server, self.app.app_id, self.other.sandbox_secret, *args)
        self.assertGreaterEqual(r.status, 400, r)
        r = sandbox_callback(self.server, self.other.app_id, self.other.sandbox_secret, *args)
        self.assertGreaterEqual(r.status, 400, r)
        self.assertUnchanged(bill)

    def test_inconsistent_callbacks_are_refused(self):
        """Correctly signed callbacks whose amount or currency differ from the bill are 409
        conflict (ret 7); an unknown bill is 404 not_found; the bill stays created."""
        bill, _ = self.app.new_bill(user_id="u_mismatch", amount=1000, currency="USD")
        self.assertError(self.pay(self.app, bill, amount=999), "conflict")
        self.assertError(self.pay(self.app, bill, amount=1001), "conflict")
        self.assertError(self.pay(self.app, bill, currency="EUR"), "conflict")
        self.assertError(self.pay(self.app, dict(bill, bill_id=UNKNOWN_BILL)), "not_found")
        self.assertUnchanged(bill)

    def test_callbacks_on_settled_bills(self):
        """On a paid bill: the same success again is 200 and ignored; a success with another
        trade number is 409 conflict; a failure is 200 and ignored. The trade number and
        paid_at never change, and the bill is never failed."""
        bill, _, trade_no = self.paid(user="u_settled")
        self.assertOkCallback(self.pay(self.app, bill, trade_no))
        self.assertError(self.pay(self.app, bill, new_trade_no()), "conflict")
        self.assertOkCallback(self.pay(self.app, bill, trade_no, status="failed"))
        self.assertOkCallback(self.pay(self.app, bill, new_trade_no(), status="failed"))
        now = self.app.bill(bill["bill_id"])
        self.assertIn(now["state"], ("paid", "delivered"))
        self.assertEqual(now["provider_trade_no"], trade_no)
        self.assertEqual(now["paid_at"], bill["paid_at"])
        self.assertIs(now["late_payment"], False)

    def test_trade_number_pays_one_bill_only(self):
        """A trade number already used to pay one bill cannot pay another (the unique key
        on (channel, provider_trade_no)): refused, the second bill stays created."""
        _, _, trade_no = self.paid(user="u_trade_twice")
        other, _ = self.app.new_bill(user_id="u_trade_twice")
        r = self.pay(self.app, other, trade_no)
        self.assertGreaterEqual(r.status, 400, r)
        self.assertUnchanged(other)

    # ------------------------------------------------------------------ idempotency

    def test_idempotency_key_replays_the_first_answer(self):
        """The same Idempotency-Key and body answers the same status and the same body
        bytes (one bill is made); another body under that key is 409 conflict (ret 7);
        keys are per app."""
        key = "idem-" + secrets.token_hex(8)
        body = self.app.bill_body(user_id="u_idem")
        first = self.app.create_bill(idempotency_key=key, **body)
        again = self.app.create_bill(idempotency_key=key, **body)
        self.assertEqual(first.status, 201, first)
        self.assertEqual(again.status, first.status)
        self.assertEqual(again.body, first.body)
        self.assertTrue(first.signature_ok and again.signature_ok)
        self.assertEqual(len(self.app.list_bills(user_id="u_idem").json()["bills"]), 1)

        self.assertError(self.app.create_bill(idempotency_key=key, **dict(body, amount=101)),
                         "conflict")
        self.assertEqual(len(self.app.list_bills(user_id="u_idem").json()["bills"]), 1)

        theirs = self.other.create_bill(idempotency_key=key, **body)
        self.assertEqual(theirs.status, 201, theirs)
        self.assertNotEqual(theirs.json()["bill"]["bill_id"], first.json()["bill"]["bill_id"])

    def test_idempotency_key_replays_errors_too(self):
        """A refused create replays identically under its key (same status, same bytes)."""
        key = "idem-" + secrets.token_hex(8)
        first = self.app.create_bill(idempotency_key=key, amount=0)
        again = self.app.create_bill(idempotency_key=key, amount=0)
        self.assertError(first, "invalid_parameter")
        self.assertEqual((again.status, again.body), (first.status, first.body))

    # ------------------------------------------------------------------ JSON & limits

    def test_malformed_json(self):
        """Syntax errors, duplicate keys and bad UTF-8 are 400 invalid_json (ret 6)."""
        ok = json.dumps(self.app.bill_body(user_id="u_json")).encode()
        cases = {
            "truncated": ok[:-1],
            "not an object": b"[1,2,3]",
            "empty": b"",
            "duplicate key": ok[:-1] + b',"user_id":"u_json_2"}',
            "bad utf-8": ok.replace(b'"u_json"', b'"u_\xff\xfe"'),
        }
        for name, raw in cases.items():
            with self.subTest(case=name):
                r = self.create_raw(raw)
                if name == "not an object":
                    self.assertEqual(r.status, 400, r)
                    self.assertIn(r.json()["error"]["code"], ("invalid_json", "invalid_parameter"))
                else:
                    self.assertError(r, "invalid_json")
        self.assertEqual(self.app.list_bills(user_id="u_json").json()["bills"], [])

    def test_amounts_must_be_integer_tokens(self):
        """Amounts 100.0, 1e2, "100", 0, -1 and 2^53 are 400 invalid_parameter; 2^53 − 1
        is accepted."""
        template = json.dumps(self.app.bill_body(user_id="u_amount", amount=123456789))
        for token in ("100.0", "1e2", "1E2", '"100"', "0", "-1", str(2 ** 53), "true", "null"):
            with self.subTest(amount=token):
                raw = template.replace("123456789", token).encode()
                self.assertError(self.create_raw(raw), "invalid_parameter")
        r = self.create_raw(template.replace("123456789", str(2 ** 53 - 1)).encode())
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["bill"]["amount"], 2 ** 53 - 1)

    def test_json_depth_limit(self):
        """Nesting 33 levels deep (the body object is level 1) is 400 invalid_json;
        32 levels is accepted."""
        too_deep = self.app.bill_body(user_id="u_depth", extra=nested(32))
        self.assertError(self.create_raw(json.dumps(too_deep)), "invalid_json")
        deepest = self.app.bill_body(user_id="u_depth", extra=nested(31))
        r = self.create_raw(json.dumps(deepest))
        self.assertEqual(r.status, 201, r)

    def test_body_size_limit(self):
        """A body of exactly 65,536 bytes passes the size limit (a valid create padded with
        whitespace: 201); 65,537 bytes is 413 payload_too_large (ret 6)."""
        core = json.dumps(self.app.bill_body(user_id="u_size")).encode()
        exact = b"{" + b" " * (65536 - len(core)) + core[1:]
        self.assertEqual(len(exact), 65536)
        r = self.create_raw(exact)
        self.assertEqual(r.status, 201, r)

        over = b"{" + b" " * (65537 - len(core)) + core[1:]
        self.assertEqual(len(over), 65537)
        r = self.app.raw("POST", "/v1/bills", over)
        self.assertError(r, "payload_too_large")
        self.assertEqual(len(self.app.list_bills(user_id="u_size").json()["bills"]), 1)

    def test_header_size_limit(self):
        """Request headers over 8 KiB are answered 431; a 6 KB header is fine."""
        r = self.server.request("GET", "/healthz", headers={"X-Pad": "a" * 6000})
        self.assertEqual(r.status, 200, r)
        r = self.app.raw("GET", "/v1/bills", b"", headers={"X-Pad": "a" * 9000})
        self.assertEqual(r.status, 431, r)

    # ------------------------------------------------------------------ signed errors

    def test_error_answers_to_signed_requests_are_signed(self):
        """Every answer to a request whose signature verified carries a valid response
        signature, errors included (404, 400 invalid_json, 400 invalid_parameter,
        409 conflict)."""
        paid, _, _ = self.paid(user="u_signed_errors")
        answers = {
            "404": self.app.get_bill(UNKNOWN_BILL),
            "invalid_json": self.create_raw(b"{"),
            "invalid_parameter": self.app.create_bill(amount=-5),
            "409": self.app.close_bill(paid["bill_id"]),
        }
        for name, r in answers.items():
            with self.subTest(answer=name):
                self.assertGreaterEqual(r.status, 400, r)
                self.assertIn("x-unipay-signature", r.headers, r)
                self.assertIs(r.signature_ok, True, r)


if __name__ == "__main__":
    unittest.main()
