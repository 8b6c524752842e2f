"""Admin API: secret rotation (both secrets valid, at once on this node despite caching),
app updates, and that secrets are never shown."""
import unittest

from harness import AppClient, E2ECase, new_trade_no, sandbox_callback


class AdminTest(E2ECase):
    def test_rotation_accepts_new_and_previous_secret_at_once(self):
        """Right after rotate-secret the new secret signs successfully on this node (the
        app cache is bypassed on a mismatch), the previous one still works, and after a
        second rotation the oldest is refused with bad_signature."""
        first = self.make_app()
        self.assertEqual(first.create_bill().status, 201)  # the app is now cached here
        r = self.server.admin("POST", "/v1/admin/apps/%s/rotate-secret" % first.app_id, b"")
        self.assertEqual(r.status, 200, r)
        second = AppClient(self.server, first.app_id, r.json()["secret"])
        self.assertEqual(second.create_bill().status, 201)
        self.assertEqual(first.create_bill().status, 201)
        r = self.server.admin("POST", "/v1/admin/apps/%s/rotate-secret" % first.app_id, b"")
        third = AppClient(self.server, first.app_id, r.json()["secret"])
        self.assertEqual(third.create_bill().status, 201)
        self.assertError(first.create_bill(), "bad_signature")
        self.assertEqual(second.create_bill().status, 201)
        self.game.secrets[first.app_id] = third.secret

    def test_app_update_and_secrets_never_shown(self):
        """PUT changes the sandbox secret (a callback signed with the new one is accepted at
        once) and the catalog; GET shows which channel fields are set, never their values."""
        client = self.make_app()
        bill, _ = client.new_bill()
        body = {"channels": {"sandbox": {"secret": "rotated-sbx"}},
                "catalog": [{"item_id": "gem", "amount": 250, "currency": "EUR", "coins": 3}]}
        r = self.server.admin("PUT", "/v1/admin/apps/%s" % client.app_id, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["app"]["catalog"][0]["amount"], 250)
        paid = sandbox_callback(self.server, client.app_id, "rotated-sbx", bill["bill_id"], new_trade_no(),
                                "success", bill["amount"], bill["currency"])
        self.assertEqual(paid.status, 200, paid)
        shown = self.server.admin("GET", "/v1/admin/apps/%s" % client.app_id)
        self.assertEqual(shown.json()["app"]["channels"], {"sandbox": {"secret": True}})
        self.assertNotIn(b"rotated-sbx", shown.body)
        self.assertNotIn("secret", shown.json())
        priced = client.create_bill(item_id="gem", amount=None, currency=None)
        self.assertEqual(priced.status, 201, priced)
        self.assertEqual(priced.json()["bill"]["amount"], 250)


if __name__ == "__main__":
    unittest.main()
