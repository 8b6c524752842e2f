"""Wallets over HTTP (issue 13 items 1-4, 9): every account endpoint's answers, op_id
replays and conflicts across operations, holds (capture, void, expiry by timer), freeze,
the ledger listing, and 64 concurrent debits on one account (no overdraft, no lost
update). Each test checks the books afterwards: balance = sum of entries, held = sum of
active holds, and the entries chain."""

import secrets
import subprocess
import threading
import time
import unittest

from harness import E2ECase, RFC3339_MS_RE, wait_until

ACCOUNT_FIELDS = {"account_id", "unit", "balance", "held", "available", "frozen", "version",
                  "created_at", "updated_at"}
ENTRY_FIELDS = {"entry_id", "op_id", "kind", "amount", "balance_before", "balance_after", "hold_id",
                "reason", "info", "created_at"}


def psql_rows(url, sql):
    out = subprocess.run(["psql", url, "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, text=True)
    if out.returncode != 0:
        raise AssertionError("psql: %s" % out.stderr)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def new_id(prefix):
    return prefix + secrets.token_hex(6)


class WalletCase(E2ECase):
    """Helpers shared by the wallet tests."""

    def put_account(self, account_id, unit="COIN", client=None):
        return (client or self.app).request("PUT", "/v1/accounts/" + account_id, {"unit": unit})

    def new_account(self, unit="COIN", balance=0):
        account_id = new_id("acc_")
        r = self.put_account(account_id, unit)
        self.assertEqual(r.status, 201, r)
        if balance:
            self.assertEqual(self.credit(account_id, balance).status, 200)
        return account_id

    def credit(self, account_id, amount, op_id=None, **extra):
        body = {"op_id": op_id or new_id("op_"), "amount": amount}
        body.update(extra)
        return self.app.request("POST", "/v1/accounts/%s/credit" % account_id, body)

    def debit(self, account_id, amount, op_id=None, **extra):
        body = {"op_id": op_id or new_id("op_"), "amount": amount}
        body.update(extra)
        return self.app.request("POST", "/v1/accounts/%s/debit" % account_id, body)

    def hold(self, account_id, amount, ttl_seconds=600, op_id=None):
        return self.app.request("POST", "/v1/accounts/%s/holds" % account_id,
                                {"op_id": op_id or new_id("op_"), "amount": amount, "ttl_seconds": ttl_seconds})

    def capture(self, hold_id, amount=None, op_id=None):
        body = {"op_id": op_id or new_id("op_")}
        if amount is not None:
            body["amount"] = amount
        return self.app.request("POST", "/v1/holds/%s/capture" % hold_id, body)

    def void(self, hold_id, op_id=None):
        return self.app.request("POST", "/v1/holds/%s/void" % hold_id, {"op_id": op_id or new_id("op_")})

    def account(self, account_id):
        r = self.app.request("GET", "/v1/accounts/" + account_id)
        self.assertEqual(r.status, 200, r)
        return r.json()["account"]

    def ledger(self, account_id, **query):
        path = "/v1/accounts/%s/ledger" % account_id
        if query:
            path += "?" + "&".join("%s=%s" % kv for kv in query.items())
        return self.app.request("GET", path)

    def all_entries(self, account_id):
        entries, cursor = [], None
        while True:
            r = self.ledger(account_id, **({"cursor": cursor, "limit": 200} if cursor else {"limit": 200}))
            self.assertEqual(r.status, 200, r)
            entries += r.json()["entries"]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                return entries

    def assertBooksBalance(self, account_id):
        """balance = sum of entries, held = sum of active holds, available >= 0, the chain holds."""
        a = self.account(account_id)
        entries = self.all_entries(account_id)
        self.assertEqual(a["balance"], sum(e["amount"] for e in entries), entries)
        before = 0
        for e in entries:
            self.assertEqual(e["balance_before"], before, e)
            self.assertEqual(e["balance_after"], e["balance_before"] + e["amount"], e)
            before = e["balance_after"]
        held = psql_rows(self.db_url, "SELECT coalesce(sum(amount_minor), 0) FROM holds WHERE app_id = '%s' "
                         "AND account_id = '%s' AND state = 'active'" % (self.app.app_id, account_id))
        self.assertEqual(a["held"], int(held[0][0]))
        self.assertEqual(a["available"], a["balance"] - a["held"])
        self.assertGreaterEqual(a["available"], 0)
        return a


class AccountEndpointsTest(WalletCase):

    def test_put_creates_then_finds_and_refuses_another_unit(self):
        """PUT answers 201 with a fresh account, 200 when it exists with that unit, 409
        conflict with another unit, 400 for a bad unit; GET answers every field."""
        account_id = new_id("acc_")
        r = self.put_account(account_id, "GEMS")
        self.assertEqual(r.status, 201, r)
        a = r.json()["account"]
        self.assertEqual(set(a), ACCOUNT_FIELDS)
        self.assertEqual((a["account_id"], a["unit"], a["balance"], a["held"], a["available"], a["frozen"],
                          a["version"]), (account_id, "GEMS", 0, 0, 0, False, 1))
        self.assertRegex(a["created_at"], RFC3339_MS_RE)
        again = self.put_account(account_id, "GEMS")
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json()["account"], a)
        self.assertError(self.put_account(account_id, "USD"), "conflict")
        self.assertError(self.put_account(new_id("acc_"), "usd"), "invalid_parameter")
        self.assertEqual(self.account(account_id), a)

    def test_unknown_and_other_apps_accounts_are_not_found(self):
        """GET of a missing account, and of another app's account, is 404."""
        self.assertError(self.app.request("GET", "/v1/accounts/" + new_id("acc_")), "not_found")
        other = self.make_app()
        account_id = self.new_account()
        self.assertError(other.request("GET", "/v1/accounts/" + account_id), "not_found")
        self.assertError(other.request("POST", "/v1/accounts/%s/credit" % account_id,
                                       {"op_id": "x1", "amount": 5}), "not_found")

    def test_unsigned_requests_are_refused(self):
        """Account endpoints are signed: no signature is 401."""
        r = self.server.request("GET", "/v1/accounts/" + new_id("acc_"))
        self.assertEqual(r.status, 401, r)

    def test_credit_and_debit_answer_entry_and_account(self):
        """Credit and debit answer 200 {"entry", "account"} with a signed amount, the balance
        before and after, the reason and info; a debit beyond available is 409
        insufficient_balance (ret 3) and changes nothing."""
        account_id = self.new_account()
        r = self.credit(account_id, 500, op_id="c-1", reason="welcome", info={"campaign": "spring"})
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(set(body), {"entry", "account"})
        e = body["entry"]
        self.assertEqual(set(e), ENTRY_FIELDS)
        self.assertEqual((e["op_id"], e["kind"], e["amount"], e["balance_before"], e["balance_after"], e["hold_id"],
                          e["reason"], e["info"]), ("c-1", "credit", 500, 0, 500, None, "welcome",
                                                    {"campaign": "spring"}))
        self.assertEqual((body["account"]["balance"], body["account"]["version"]), (500, 2))
        d = self.debit(account_id, 200)
        self.assertEqual(d.status, 200, d)
        self.assertEqual((d.json()["entry"]["kind"], d.json()["entry"]["amount"], d.json()["account"]["balance"]),
                         ("debit", -200, 300))
        self.assertError(self.debit(account_id, 301), "insufficient_balance")
        self.assertEqual(self.account(account_id)["balance"], 300)
        for bad in ({"amount": 5}, {"op_id": "x", "amount": 0}, {"op_id": "x", "amount": 1.5},
                    {"op_id": "", "amount": 5}, {"op_id": "x" * 129, "amount": 5}, {"op_id": "x", "amount": 2 ** 53}):
            with self.subTest(body=bad):
                self.assertError(self.app.request("POST", "/v1/accounts/%s/credit" % account_id, bad),
                                 "invalid_parameter")
        self.assertBooksBalance(account_id)

    def test_holds_capture_void(self):
        """A hold answers 201 {"hold", "account"} and reserves funds; a hold beyond available
        is insufficient_balance; a partial capture takes that much and releases the rest; a
        hold is captured at most once; a void releases everything."""
        account_id = self.new_account(balance=1000)
        r = self.hold(account_id, 600, ttl_seconds=3600)
        self.assertEqual(r.status, 201, r)
        h = r.json()["hold"]
        self.assertEqual((h["account_id"], h["amount"], h["state"]), (account_id, 600, "active"))
        self.assertRegex(h["expires_at"], RFC3339_MS_RE)
        a = r.json()["account"]
        self.assertEqual((a["balance"], a["held"], a["available"]), (1000, 600, 400))
        self.assertError(self.hold(account_id, 401), "insufficient_balance")
        self.assertError(self.debit(account_id, 401), "insufficient_balance")
        for bad_ttl in (0, 7 * 86400 + 1):
            self.assertError(self.hold(account_id, 1, ttl_seconds=bad_ttl), "invalid_parameter")
        c = self.capture(h["hold_id"], amount=250)
        self.assertEqual(c.status, 200, c)
        self.assertEqual((c.json()["hold"]["state"], c.json()["entry"]["kind"], c.json()["entry"]["amount"],
                          c.json()["entry"]["hold_id"]), ("captured", "capture", -250, h["hold_id"]))
        a = c.json()["account"]
        self.assertEqual((a["balance"], a["held"], a["available"]), (750, 0, 750))
        self.assertError(self.capture(h["hold_id"]), "conflict")
        h2 = self.hold(account_id, 100).json()["hold"]
        v = self.void(h2["hold_id"])
        self.assertEqual(v.status, 200, v)
        self.assertEqual(set(v.json()), {"hold", "account"})
        self.assertEqual((v.json()["hold"]["state"], v.json()["account"]["available"]), ("voided", 750))
        self.assertError(self.void(h2["hold_id"]), "conflict")
        self.assertError(self.capture("h_" + secrets.token_hex(8)), "not_found")
        self.assertBooksBalance(account_id)

    def test_hold_expires_by_timer_and_is_never_captured_late(self):
        """A hold past its expires_at frees its funds by itself, and a capture after it is
        409 conflict."""
        account_id = self.new_account(balance=100)
        h = self.hold(account_id, 100, ttl_seconds=1).json()["hold"]
        self.assertEqual(self.account(account_id)["available"], 0)
        self.assertTrue(wait_until(lambda: self.account(account_id)["available"] == 100, 10))
        self.assertError(self.capture(h["hold_id"]), "conflict")
        state = psql_rows(self.db_url, "SELECT state FROM holds WHERE hold_id = '%s'" % h["hold_id"])
        self.assertEqual(state, [["expired"]])
        self.assertBooksBalance(account_id)

    def test_freeze_refuses_spending_but_not_credits_or_voids(self):
        """Frozen (admin): debit, hold and capture are 423 account_frozen (ret 4); credits and
        voids apply; unfreeze restores spending; repeating either is harmless."""
        account_id = self.new_account(balance=100)
        h1 = self.hold(account_id, 10).json()["hold"]
        h2 = self.hold(account_id, 10).json()["hold"]
        path = "/v1/admin/apps/%s/accounts/%s/" % (self.app.app_id, account_id)
        r = self.server.admin("POST", path + "freeze")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["account"]["frozen"])
        self.assertEqual(self.server.admin("POST", path + "freeze").status, 200)
        self.assertError(self.debit(account_id, 1), "account_frozen")
        self.assertError(self.hold(account_id, 1), "account_frozen")
        self.assertError(self.capture(h1["hold_id"]), "account_frozen")
        self.assertEqual(self.credit(account_id, 5).status, 200)
        self.assertEqual(self.void(h2["hold_id"]).status, 200)
        self.assertEqual(self.server.admin("POST", path + "unfreeze").json()["account"]["frozen"], False)
        self.assertEqual(self.debit(account_id, 1).status, 200)
        self.assertEqual(self.capture(h1["hold_id"]).status, 200)
        self.assertEqual(self.server.request("POST", path + "freeze").status, 401)
        self.assertError(self.server.admin("POST", "/v1/admin/apps/%s/accounts/nope/freeze" % self.app.app_id),
                         "not_found")
        self.assertBooksBalance(account_id)

    def test_ledger_pages_oldest_first(self):
        """The ledger lists entries oldest first, limit per page, next_cursor until the end."""
        account_id = self.new_account()
        for i in range(5):
            self.credit(account_id, i + 1, op_id="l-%s-%d" % (account_id, i))
        first = self.ledger(account_id, limit=2)
        self.assertEqual(first.status, 200, first)
        self.assertEqual([e["amount"] for e in first.json()["entries"]], [1, 2])
        self.assertIsNotNone(first.json()["next_cursor"])
        entries = self.all_entries(account_id)
        self.assertEqual([e["amount"] for e in entries], [1, 2, 3, 4, 5])
        self.assertError(self.ledger(account_id, limit=0), "invalid_parameter")
        self.assertError(self.ledger(account_id, cursor="abc"), "invalid_parameter")
        self.assertError(self.ledger(new_id("acc_")), "not_found")
        self.assertEqual(self.ledger(account_id, **{"from": "2100-01-01T00:00:00Z"}).json()["entries"], [])


class OpIdTest(WalletCase):

    def test_replays_answer_the_first_result(self):
        """The same op_id with the same parameters answers the first status and body again,
        for every operation, whatever happened since; it never applies twice."""
        account_id = self.new_account(balance=1000)
        c1 = self.credit(account_id, 10, op_id="r-credit", reason="x")
        d1 = self.debit(account_id, 20, op_id="r-debit")
        h1 = self.hold(account_id, 30, op_id="r-hold")
        hold_id = h1.json()["hold"]["hold_id"]
        cap1 = self.capture(hold_id, amount=10, op_id="r-capture")
        h2 = self.hold(account_id, 40, op_id="r-hold2")
        v1 = self.void(h2.json()["hold"]["hold_id"], op_id="r-void")
        self.credit(account_id, 1)  # something happened since
        for first, again in ((c1, lambda: self.credit(account_id, 10, op_id="r-credit", reason="x")),
                             (d1, lambda: self.debit(account_id, 20, op_id="r-debit")),
                             (h1, lambda: self.hold(account_id, 30, op_id="r-hold")),
                             (cap1, lambda: self.capture(hold_id, amount=10, op_id="r-capture")),
                             (v1, lambda: self.void(h2.json()["hold"]["hold_id"], op_id="r-void"))):
            second = again()
            self.assertEqual((second.status, second.body), (first.status, first.body))
        self.assertEqual(self.account(account_id)["balance"], 1000 + 10 - 20 - 10 + 1)
        self.assertBooksBalance(account_id)

    def test_other_parameters_conflict_across_operations(self):
        """An op_id reused with another amount, reason, account or kind is 409 conflict."""
        a = self.new_account(balance=100)
        b = self.new_account(balance=100)
        self.assertEqual(self.credit(a, 10, op_id="k-1").status, 200)
        self.assertError(self.credit(a, 11, op_id="k-1"), "conflict")
        self.assertError(self.credit(a, 10, op_id="k-1", reason="other"), "conflict")
        self.assertError(self.credit(b, 10, op_id="k-1"), "conflict")
        self.assertError(self.debit(a, 10, op_id="k-1"), "conflict")
        self.assertError(self.hold(a, 10, op_id="k-1"), "conflict")
        self.assertEqual(self.account(a)["balance"], 110)
        self.assertEqual(self.account(b)["balance"], 100)

    def test_refusal_does_not_use_up_the_op_id(self):
        """A debit refused for insufficient balance may be retried with its op_id later."""
        account_id = self.new_account(balance=5)
        self.assertError(self.debit(account_id, 10, op_id="later"), "insufficient_balance")
        self.credit(account_id, 5)
        self.assertEqual(self.debit(account_id, 10, op_id="later").status, 200)
        self.assertEqual(self.account(account_id)["balance"], 0)

    def test_capture_of_an_expired_hold_replays_its_conflict(self):
        """A capture that found its hold expired answers 409 conflict, and its replay the same."""
        account_id = self.new_account(balance=50)
        hold_id = self.hold(account_id, 50, ttl_seconds=1).json()["hold"]["hold_id"]
        time.sleep(1.2)
        first = self.capture(hold_id, op_id="late-cap")
        self.assertError(first, "conflict")
        again = self.capture(hold_id, op_id="late-cap")
        self.assertEqual((again.status, again.body), (first.status, first.body))
        self.assertEqual(self.account(account_id)["available"], 50)


class ConcurrencyTest(WalletCase):

    def test_64_concurrent_debits_on_one_account(self):
        """64 debits of 10 at once on a balance of 500: exactly 50 succeed, 14 are
        insufficient_balance, the balance is 0 and the ledger holds exactly 50 debits."""
        account_id = self.new_account(balance=500)
        results = [None] * 64

        def run(i):
            results[i] = self.debit(account_id, 10, op_id="cc-%s-%d" % (account_id, i))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses.count(200), 50, statuses)
        self.assertEqual(statuses.count(409), 14, statuses)
        for r in results:
            if r.status == 409:
                self.assertEqual(r.json()["error"]["code"], "insufficient_balance")
        a = self.assertBooksBalance(account_id)
        self.assertEqual(a["balance"], 0)
        self.assertEqual(a["version"], 2 + 50)
        debits = [e for e in self.all_entries(account_id) if e["kind"] == "debit"]
        self.assertEqual(len(debits), 50)


class HoldRestartTest(WalletCase):

    def test_hold_expires_across_a_restart(self):
        """Kill -9 the server with an active hold, wait past its ttl, restart: the sweep
        expires it and its funds are available."""
        account_id = self.new_account(balance=300)
        hold_id = self.hold(account_id, 200, ttl_seconds=2).json()["hold"]["hold_id"]
        self.server.kill9()
        time.sleep(2.5)
        self.server.start()
        # No request names the account: only the sweep can find the hold.
        self.assertTrue(wait_until(lambda: psql_rows(
            self.db_url, "SELECT state FROM holds WHERE hold_id = '%s'" % hold_id) == [["expired"]], 15))
        self.assertEqual(self.account(account_id)["available"], 300)
        self.assertBooksBalance(account_id)


if __name__ == "__main__":
    unittest.main()
