"""Reconciliation, statements, settlement and the channel report (issue 13, items 6 and 7)
as a studio's finance side meets them: signed HTTP over loopback and `unipayd reconcile`.

Wallet books are written straight into the schema (accounts, chained ledger entries,
holds), consistent with the ledger rules; bills are created and paid through the API and
then dated into the statement day with SQL. Statements stream with a page of 5 rows here
(--statement-page-rows 5), so every statement below spans several pages.
"""
import csv
import hmac
import io
import json
import os
import socket
import subprocess
import unittest

from harness import (E2ECase, _child_env, query_rows, sign_response)

DAY = "2025-03-14"
PAGE_ROWS = 5

STATEMENT_COLUMNS = ["record", "time", "id", "account_id", "unit", "kind", "amount", "balance_before",
                     "balance_after", "op_id", "hold_id", "reason", "info", "user_id", "item_id", "channel",
                     "bill_type", "currency", "coins", "state", "provider_trade_no", "delivered_at",
                     "late_payment"]


def sql_text(value):
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def write_books(url, app_id, account_id, unit, entries, holds=()):
    """One account with its chained entries [(kind, amount, time, reason, info, hold_id)]
    and holds [(hold_id, amount, state)]: balance = Σ amounts, held = Σ active holds."""
    balance = sum(e[1] for e in entries)
    held = sum(h[1] for h in holds if h[2] == "active")
    sql = ["INSERT INTO accounts (app_id, account_id, unit, balance_minor, held_minor, version, created_at, "
           "updated_at) VALUES (%s, %s, %s, %d, %d, %d, now(), now())"
           % (sql_text(app_id), sql_text(account_id), sql_text(unit), balance, held, len(entries) + 1)]
    for hold_id, amount, state in holds:
        sql.append("INSERT INTO holds (hold_id, app_id, account_id, op_id, amount_minor, captured_minor, state, "
                   "expires_at, created_at, updated_at) VALUES (%s, %s, %s, %s, %d, %d, %s, now() + interval "
                   "'1 day', now(), now())" % (sql_text(hold_id), sql_text(app_id), sql_text(account_id),
                                               sql_text("op-" + hold_id), amount,
                                               amount if state == "captured" else 0, sql_text(state)))
    before = 0
    for i, (kind, amount, at, reason, info, hold_id) in enumerate(entries):
        sql.append("INSERT INTO ledger_entries (app_id, account_id, op_id, kind, amount_minor, "
                   "balance_before_minor, balance_after_minor, hold_id, reason, info, created_at) VALUES "
                   "(%s, %s, %s, %s, %d, %d, %d, %s, %s, %s, %s)"
                   % (sql_text(app_id), sql_text(account_id), sql_text("%s-%s-%d" % (app_id, account_id, i)),
                      sql_text(kind), amount, before, before + amount, sql_text(hold_id), sql_text(reason or ""),
                      sql_text(info), sql_text(at)))
        before += amount
    query_rows(url, ";\n".join(sql))


def day_time(minute, day=DAY):
    return "%sT%02d:%02d:00.000Z" % (day, minute // 60, minute % 60)


def signed_stream(client, path, accept=None):
    """A signed GET read whole on a raw socket, so the chunked body's trailers are seen
    (http.client drops them). Returns (status, headers, body bytes, trailers); asserts the
    answer is signed, by header or, for a streamed answer, by the X-Unipay-Signature trailer."""
    headers = client.signed_headers("GET", path, b"")
    headers.update({"Host": "127.0.0.1", "Connection": "close"})
    if accept:
        headers["Accept"] = accept
    request = "GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join("%s: %s\r\n" % kv for kv in headers.items()))
    data = b""
    with socket.create_connection(("127.0.0.1", client.server.port), timeout=30) as sock:
        sock.sendall(request.encode("latin-1"))
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    trailers = {}
    if hdrs.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body += rest[:size]
            assert rest[size:size + 2] == b"\r\n", "bad chunk framing"
            rest = rest[size + 2:]
        for line in rest.decode("latin-1").split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                trailers[k.strip().lower()] = v.strip()
        assert rest.endswith(b"\r\n\r\n") or rest == b"\r\n", "the final chunk must end the answer: %r" % rest
    else:
        body = rest[:int(hdrs.get("content-length", len(rest)))]
    signature = trailers.get("x-unipay-signature") or hdrs.get("x-unipay-signature")
    expected = sign_response(client.secret, status, headers["X-Unipay-Nonce"], body)
    assert signature is not None and hmac.compare_digest(signature, expected), \
        "answer to %s not signed correctly (%r)" % (path, hdrs)
    return status, hdrs, body, trailers


def unipayd(*args):
    return subprocess.run([os.environ["UNIPAYD"], *args], capture_output=True, text=True, timeout=60,
                          env=_child_env(), stdin=subprocess.DEVNULL)


class LedgerReportsTest(E2ECase):
    SERVER_ARGS = ("--statement-page-rows", str(PAGE_ROWS))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.make_app()
        app, other = cls.app.app_id, cls.other.app_id
        # alice: 12 entries on DAY (more than two pages), one the day before, one the day after.
        alice = [("credit", 1000, day_time(23 * 60 + 59, "2025-03-13"), "welcome", None, None)]
        for i in range(6):
            alice.append(("credit", 100 + i, day_time(60 + i), "quest, \"gold\"\nbonus", '{"level":%d}' % i, None))
            alice.append(("debit", -(10 + i), day_time(120 + i), "shop", None, None))
        alice.append(("capture", -40, day_time(200), "", None, "h_alice_1"))
        alice.append(("credit", 7, day_time(0, "2025-03-15"), "", None, None))
        write_books(cls.db_url, app, "alice", "COIN", alice, holds=[("h_alice_1", 40, "captured")])
        bob = [("recharge", 500, day_time(300), "", None, None), ("debit", -20, day_time(301), "", None, None),
               ("refund", -30, day_time(302), "", None, None)]
        write_books(cls.db_url, app, "bob", "GEMS", bob, holds=[("h_bob_1", 100, "active")])
        # The other app: an account of the same name with entries on the same day.
        write_books(cls.db_url, other, "alice", "COIN",
                    [("credit", 999, day_time(61), "other app", None, None)])
        cls.entries_on_day = 13 + 3  # alice: 6 credits, 6 debits, 1 capture; bob: 3
        # Bills: three paid and delivered through the API, dated into DAY; one then refunded.
        cls.bills = []
        for amount in (100, 250, 400):
            bill, _ = cls.app.new_bill(amount=amount, currency="USD")
            cls.bills.append(bill["bill_id"])
        other_bill, _ = cls.other.new_bill(amount=777, currency="USD")
        case = cls("run")
        for bill_id in cls.bills:
            case.assertOkCallback(case.pay(cls.app, cls.app.bill(bill_id)))
        case.assertOkCallback(case.pay(cls.other, cls.other.bill(other_bill["bill_id"])))
        for client, bill_id in [(cls.app, b) for b in cls.bills] + [(cls.other, other_bill["bill_id"])]:
            case.wait_state(client, bill_id, "delivered")
        ids = ",".join(sql_text(b) for b in cls.bills + [other_bill["bill_id"]])
        query_rows(cls.db_url, "UPDATE bills SET paid_at = timestamptz '%sT10:00:00Z' + (amount_minor || ' ms')::interval, "
                               "delivered_at = timestamptz '%sT10:05:00Z' WHERE bill_id IN (%s)" % (DAY, DAY, ids))
        query_rows(cls.db_url, "UPDATE bills SET state = 'refunded' WHERE bill_id = %s" % sql_text(cls.bills[2]))

    # -- reconciliation

    def test_reconciliation_clean_on_consistent_books(self):
        """Books written by the rules reconcile with no mismatch; each app sees its own."""
        r = self.app.request("GET", "/v1/reconciliation/ledger")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"accounts_checked": 2, "entries_checked": 18, "mismatches": [],
                                    "truncated": False})
        other = self.other.request("GET", "/v1/reconciliation/ledger").json()
        self.assertEqual((other["accounts_checked"], other["entries_checked"]), (1, 1))
        empty = self.make_app().request("GET", "/v1/reconciliation/ledger").json()
        self.assertEqual((empty["accounts_checked"], empty["entries_checked"], empty["mismatches"]), (0, 0, []))

    def test_reconciliation_catches_injected_mismatches_and_cli_exit_codes(self):
        """A balance, a held amount and a broken chain changed behind unipay's back are each
        reported with expected and actual; `unipayd reconcile` prints the same per app and
        exits 0 while clean, 1 on a mismatch, 2 on a usage error."""
        victim = self.make_app()
        write_books(self.db_url, victim.app_id, "carol", "COIN",
                    [("credit", 300, day_time(10), "", None, None), ("debit", -100, day_time(11), "", None, None)],
                    holds=[("h_carol", 50, "active")])
        clean = unipayd("reconcile", "--database-url", self.db_url)
        self.assertEqual(clean.returncode, 0, clean.stdout + clean.stderr)
        lines = [json.loads(line) for line in clean.stdout.splitlines()]
        self.assertEqual(len(lines), len(query_rows(self.db_url, "SELECT app_id FROM apps")))
        self.assertTrue(all(line["mismatches"] == [] for line in lines), lines)

        query_rows(self.db_url, "UPDATE accounts SET balance_minor = balance_minor + 1, held_minor = 0 "
                                "WHERE app_id = %s AND account_id = 'carol'" % sql_text(victim.app_id))
        query_rows(self.db_url, "INSERT INTO ledger_entries (app_id, account_id, op_id, kind, amount_minor, "
                                "balance_before_minor, balance_after_minor, reason, created_at) VALUES "
                                "(%s, 'carol', 'forged', 'credit', 5, 999, 1004, 'by hand', now())"
                   % sql_text(victim.app_id))
        forged_id = int(query_rows(self.db_url, "SELECT entry_id FROM ledger_entries WHERE op_id = 'forged'")[0][0])
        r = victim.request("GET", "/v1/reconciliation/ledger")
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual((doc["accounts_checked"], doc["entries_checked"]), (1, 3))
        self.assertEqual(sorted(doc["mismatches"], key=lambda m: m["kind"]), [
            {"account_id": "carol", "kind": "balance", "expected": 205, "actual": 201},
            {"account_id": "carol", "kind": "chain", "expected": 200, "actual": 999, "entry_id": forged_id},
            {"account_id": "carol", "kind": "held", "expected": 50, "actual": 0},
        ])
        self.assertEqual(self.app.request("GET", "/v1/reconciliation/ledger").json()["mismatches"], [])

        one = unipayd("reconcile", "--app", victim.app_id, "--database-url", self.db_url)
        self.assertEqual(one.returncode, 1, one.stdout + one.stderr)
        line = json.loads(one.stdout)
        self.assertEqual(line["app_id"], victim.app_id)
        self.assertEqual(line["mismatches"], doc["mismatches"])
        healthy = unipayd("reconcile", "--app", self.app.app_id, "--database-url", self.db_url)
        self.assertEqual(healthy.returncode, 0, healthy.stderr)
        self.assertEqual(json.loads(healthy.stdout)["entries_checked"], 18)
        every = unipayd("reconcile", "--database-url", self.db_url)
        self.assertEqual(every.returncode, 1, every.stderr)
        by_app = {json.loads(line)["app_id"]: json.loads(line) for line in every.stdout.splitlines()}
        self.assertEqual(len(by_app[victim.app_id]["mismatches"]), 3)
        self.assertEqual(by_app[self.app.app_id]["mismatches"], [])
        for args in (["--app", "app_nope"], ["--app", ""], ["--frobnicate"]):
            bad = unipayd("reconcile", *args, "--database-url", self.db_url)
            self.assertEqual(bad.returncode, 2, args)
            self.assertEqual(bad.stdout, "", args)

    # -- statements

    def test_statement_json_streams_every_entry_and_bill_of_the_day(self):
        """The day's 16 entries (over 3 pages of 5) oldest first, without the days around
        it or the other app's, and the 3 bills paid that day, one now refunded; signed in
        the trailer."""
        status, headers, body, trailers = signed_stream(self.app, "/v1/statements/" + DAY)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("transfer-encoding"), "chunked")
        self.assertIn("x-unipay-signature", trailers)
        doc = json.loads(body)
        self.assertEqual((doc["day"], doc["from"], doc["to"]),
                         (DAY, DAY + "T00:00:00.000Z", "2025-03-15T00:00:00.000Z"))
        entries = doc["entries"]
        self.assertEqual(len(entries), self.entries_on_day)
        self.assertEqual([e["created_at"] for e in entries], sorted(e["created_at"] for e in entries))
        self.assertTrue(all(e["created_at"].startswith(DAY) for e in entries))
        self.assertNotIn("other app", [e["reason"] for e in entries])
        first = entries[0]
        self.assertEqual((first["account_id"], first["unit"], first["kind"], first["amount"]),
                         ("alice", "COIN", "credit", 100))
        self.assertEqual((first["balance_before"], first["balance_after"]), (1000, 1100))
        self.assertEqual(first["info"], {"level": 0})
        capture = [e for e in entries if e["kind"] == "capture"][0]
        self.assertEqual((capture["amount"], capture["hold_id"]), (-40, "h_alice_1"))
        self.assertEqual({e["unit"] for e in entries if e["account_id"] == "bob"}, {"GEMS"})
        bills = doc["bills"]
        self.assertEqual([b["bill_id"] for b in bills], self.bills)
        self.assertEqual([b["amount"] for b in bills], [100, 250, 400])
        self.assertEqual([b["state"] for b in bills], ["delivered", "delivered", "refunded"])
        self.assertEqual(bills[0]["paid_at"], DAY + "T10:00:00.100Z")
        self.assertEqual(bills[0]["delivered_at"], DAY + "T10:05:00.000Z")

    def test_statement_csv_has_a_header_and_one_row_per_entry_and_bill(self):
        """Accept: text/csv gives RFC 4180 CSV: one header row, then every entry and bill
        of the day, text with commas, quotes and line breaks intact, integer minor units."""
        status, headers, body, _ = signed_stream(self.app, "/v1/statements/" + DAY, accept="text/csv")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/csv"), headers)
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        self.assertEqual(rows[0], STATEMENT_COLUMNS)
        records = [dict(zip(STATEMENT_COLUMNS, row)) for row in rows[1:]]
        self.assertTrue(all(len(row) == len(STATEMENT_COLUMNS) for row in rows))
        self.assertEqual(len(records), self.entries_on_day + 3)
        entries = [r for r in records if r["record"] == "entry"]
        self.assertEqual(len(entries), self.entries_on_day)
        self.assertEqual(entries[0]["reason"], "quest, \"gold\"\nbonus")
        self.assertEqual(entries[0]["info"], '{"level":0}')
        self.assertEqual(sum(int(e["amount"]) for e in entries if e["account_id"] == "alice"),
                         sum(100 + i for i in range(6)) - sum(10 + i for i in range(6)) - 40)
        bills = [r for r in records if r["record"] == "bill"]
        self.assertEqual([(b["id"], b["amount"], b["currency"], b["state"]) for b in bills],
                         [(self.bills[0], "100", "USD", "delivered"), (self.bills[1], "250", "USD", "delivered"),
                          (self.bills[2], "400", "USD", "refunded")])

    def test_statement_of_a_quiet_day_and_of_the_other_app(self):
        """A day with nothing is an empty statement; the other app's statement has only its
        own entry and bill."""
        _, _, body, _ = signed_stream(self.app, "/v1/statements/2024-01-01")
        self.assertEqual(json.loads(body)["entries"], [])
        _, _, body, _ = signed_stream(self.other, "/v1/statements/" + DAY)
        doc = json.loads(body)
        self.assertEqual([(e["account_id"], e["amount"]) for e in doc["entries"]], [("alice", 999)])
        self.assertEqual([b["amount"] for b in doc["bills"]], [777])

    def test_bad_dates_and_ranges_are_invalid_parameter(self):
        """Malformed or impossible days and months, and report ranges that are missing,
        reversed, too long or of another granularity, are 400 invalid_parameter."""
        for day in ("2025-02-29", "2025-13-01", "2025-3-14", "yesterday", "2025-03-14T00:00:00Z"):
            self.assertError(self.app.request("GET", "/v1/statements/" + day), "invalid_parameter")
        for month in ("2025-13", "2025-3", "2025-03-14", "march"):
            self.assertError(self.app.request("GET", "/v1/statements/%s/settlement" % month), "invalid_parameter")
        for query in ("", "?from=2025-03-01", "?from=2025-03-02&to=2025-03-01", "?from=2024-01-01&to=2025-01-01",
                      "?from=2025-03-01&to=2025-03-31&granularity=hour", "?from=2025-03-01&to=2025-02-30"):
            self.assertError(self.app.request("GET", "/v1/reports/channels" + query), "invalid_parameter")
        r = self.app.request("GET", "/v1/reports/channels?from=2024-03-14&to=2025-03-14")
        self.assertEqual(r.status, 200, r)  # 366 days: the longest range allowed

    def test_unsigned_requests_are_refused(self):
        """Every finance endpoint needs the app's signature."""
        for path in ("/v1/reconciliation/ledger", "/v1/statements/" + DAY, "/v1/statements/2025-03/settlement",
                     "/v1/reports/channels?from=%s&to=%s" % (DAY, DAY)):
            self.assertError(self.server.request("GET", path), "unauthorized")

    # -- settlement and reports

    def test_monthly_settlement_sums_per_channel_and_unit(self):
        """The month's bills per channel and currency (paid, delivered, refunded) and its
        entries per unit and kind, in JSON and CSV; the other app's never counted."""
        r = self.app.request("GET", "/v1/statements/2025-03/settlement")
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(doc["month"], "2025-03")
        self.assertEqual(doc["channels"], [{"channel": "sandbox", "currency": "USD",
                                            "paid": {"count": 3, "amount": 750},
                                            "delivered": {"count": 3, "amount": 750},
                                            "refunded": {"count": 1, "amount": 400}}])
        units = {u["unit"]: u for u in doc["units"]}
        self.assertEqual(sorted(units), ["COIN", "GEMS"])
        coin = units["COIN"]
        self.assertEqual(coin["credits"], {"count": 8, "amount": 1000 + sum(100 + i for i in range(6)) + 7})
        self.assertEqual(coin["debits"], {"count": 6, "amount": -sum(10 + i for i in range(6))})
        self.assertEqual(coin["captures"], {"count": 1, "amount": -40})
        self.assertEqual(coin["recharges"], {"count": 0, "amount": 0})
        balance = int(query_rows(self.db_url, "SELECT balance_minor FROM accounts WHERE app_id = %s AND "
                                              "account_id = 'alice'" % sql_text(self.app.app_id))[0][0])
        self.assertEqual(coin["net"], balance)  # every entry of alice falls in March
        gems = units["GEMS"]
        self.assertEqual((gems["recharges"], gems["debits"], gems["refunds"], gems["net"]),
                         ({"count": 1, "amount": 500}, {"count": 1, "amount": -20}, {"count": 1, "amount": -30}, 450))
        r = self.app.request("GET", "/v1/statements/2025-03/settlement", headers={"Accept": "text/csv"})
        self.assertEqual(r.status, 200, r)
        rows = list(csv.reader(io.StringIO(r.body.decode(), newline="")))
        self.assertEqual(rows[0], ["section", "name", "currency", "figure", "count", "amount"])
        self.assertIn(["channel", "sandbox", "USD", "refunded", "1", "400"], rows)
        self.assertIn(["unit", "GEMS", "", "recharge", "1", "500"], rows)
        april = self.app.request("GET", "/v1/statements/2025-04/settlement").json()
        self.assertEqual((april["channels"], april["units"]), ([], []))

    def test_channel_report_gives_daily_figures(self):
        """Per UTC day and channel: the day of the bills has their figures, other days none."""
        r = self.app.request("GET", "/v1/reports/channels?from=2025-03-01&to=2025-03-31&granularity=day")
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual((doc["from"], doc["to"], doc["granularity"]), ("2025-03-01", "2025-03-31", "day"))
        self.assertEqual(doc["days"], [{"day": DAY, "channel": "sandbox", "currency": "USD",
                                        "paid": {"count": 3, "amount": 750},
                                        "delivered": {"count": 3, "amount": 750},
                                        "refunded": {"count": 1, "amount": 400}}])
        other = self.other.request("GET", "/v1/reports/channels?from=%s&to=%s" % (DAY, DAY)).json()
        self.assertEqual([d["paid"] for d in other["days"]], [{"count": 1, "amount": 777}])
        r = self.app.request("GET", "/v1/reports/channels?from=%s&to=%s" % (DAY, DAY), headers={"Accept": "text/csv"})
        rows = list(csv.reader(io.StringIO(r.body.decode(), newline="")))
        self.assertEqual(rows[1], [DAY, "sandbox", "USD", "3", "750", "3", "750", "1", "400"])


if __name__ == "__main__":
    unittest.main()
