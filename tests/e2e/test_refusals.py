"""Refusals that can never succeed are refusals, not "outcome unknown" (issue 7 item 1):
U+0000 anywhere in a JSON string is 400 invalid_json before anything is stored, and a
trade number already stored on another bill (of any app) is 409 conflict, audited with a
refused verdict and alerted, instead of a 500 storage_write that asks for retries."""

import json
import re
import subprocess
import unittest

from harness import E2ECase, new_trade_no


def psql_rows(url, sql):
    """Rows of a query on the server's database, as lists of text cells."""
    out = subprocess.run(["psql", url, "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, text=True)
    if out.returncode != 0:
        raise AssertionError("psql: %s" % out.stderr)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


class RefusalTest(E2ECase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.make_app()     # a second app: trade numbers are unique across apps

    def metric(self, name):
        text = self.server.request("GET", "/metrics").body.decode()
        match = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        return int(match.group(1)) if match else -1

    def assertNoServerText(self, resp):
        message = resp.json()["error"]["message"]
        for leak in ("SQLSTATE", "22P05", "23505", "violates", "jsonb"):
            self.assertNotIn(leak, message, resp)

    def test_nul_in_any_json_string_is_invalid_json_and_nothing_is_stored(self):
        """POST /v1/bills with U+0000 in extra (escaped), in passinfo, in a key, or as a raw
        byte is 400 invalid_json (ret 6), never 500 storage_write, and stores no bill."""
        user = "u_nul"
        cases = {
            "extra value": json.dumps(self.app.bill_body(user_id=user, extra={"x": "\u0000"})),
            "extra key": json.dumps(self.app.bill_body(user_id=user, extra={"k\u0000": 1})),
            "passinfo": json.dumps(self.app.bill_body(user_id=user, passinfo="a\u0000bc")),
            "raw byte": json.dumps(self.app.bill_body(user_id=user, passinfo="a@bc")).replace("@", "\x00"),
        }
        for name, raw in cases.items():
            with self.subTest(case=name):
                r = self.app.request("POST", "/v1/bills", raw.encode())
                self.assertError(r, "invalid_json")
                self.assertNoServerText(r)
        self.assertEqual(self.app.list_bills(user_id=user).json()["bills"], [])
        self.assertEqual(self.app.create_bill(user_id=user, extra={"x": "\\u0000"}).status, 201)

    def test_nul_in_admin_app_channels_is_invalid_json(self):
        """Admin app creation with U+0000 in channels is 400 invalid_json, not a 500 that
        echoes the database's SQLSTATE."""
        body = {"name": "nul-app", "delivery_url": self.game.url,
                "channels": {"sandbox": {"secret": "s\u0000cret"}}}
        r = self.server.admin("POST", "/v1/admin/apps", body)
        self.assertError(r, "invalid_json")
        self.assertNoServerText(r)

    def test_nul_in_trade_no_is_refused_not_cut_short(self):
        """A callback whose trade_no holds U+0000 is 400 invalid_json and changes nothing,
        so the number is never stored cut at the NUL: the real callback then pays."""
        bill, _ = self.app.new_bill(user_id="u_nul_trade")
        self.assertError(self.pay(self.app, bill, "T1\u0000hidden"), "invalid_json")
        self.assertState(self.app, bill["bill_id"], "created")
        self.assertOkCallback(self.pay(self.app, bill, "T1" + new_trade_no()))
        self.assertIn(self.app.bill(bill["bill_id"])["state"], ("paid", "delivered"))

    def test_trade_no_reuse_across_apps_is_conflict_audited_and_alerted(self):
        """A sandbox success for bill Y (app B) with a trade number stored on bill X (app A)
        is 409 conflict (ret 7), not 500 storage_write: Y stays created, the callback is
        audited with the verdict refused:conflict, and the alert counter goes up."""
        trade_no = new_trade_no()
        x, _ = self.app.new_bill(user_id="u_reuse")
        self.assertOkCallback(self.pay(self.app, x, trade_no))
        y, _ = self.other.new_bill(user_id="u_reuse")
        alerts = self.metric("unipay_callback_alerts_total")

        r = self.pay(self.other, y, trade_no)
        self.assertError(r, "conflict")
        self.assertNoServerText(r)
        self.assertError(self.pay(self.other, y, trade_no), "conflict")  # and again: no retry helps

        now = self.other.bill(y["bill_id"])
        self.assertEqual((now["state"], now["version"]), ("created", y["version"]), now)
        self.assertIsNone(now.get("provider_trade_no"), now)
        self.assertEqual(self.app.bill(x["bill_id"])["provider_trade_no"], trade_no)
        self.assertEqual(self.metric("unipay_callback_alerts_total"), alerts + 2)
        audits = psql_rows(self.db_url, "SELECT app_id, verdict, detail FROM callbacks WHERE bill_id = '%s'"
                           % y["bill_id"])
        self.assertEqual(len(audits), 2, audits)
        for app_id, verdict, detail in audits:
            self.assertEqual((app_id, verdict), (self.other.app_id, "refused:conflict"))
            self.assertIn("trade_no", detail)
        # Y can still be paid with its own trade number.
        self.assertOkCallback(self.pay(self.other, y, new_trade_no()))


if __name__ == "__main__":
    unittest.main()
