"""Admin API: secret rotation (both secrets valid, at once on this node despite caching),
app updates, that secrets are never shown, and delivery URL hosts read as the resolver
reads them."""
import unittest

from harness import (RFC3339_MS_RE, AppClient, E2ECase, Server, drop_database, fresh_database_url,
                     new_trade_no, sandbox_callback)


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


class DeliveryUrlTest(unittest.TestCase):
    """A unipayd that does not allow private delivery (the default)."""

    @classmethod
    def setUpClass(cls):
        cls.db_url = fresh_database_url()
        cls.addClassCleanup(drop_database, cls.db_url)
        cls.server = Server(cls.db_url, name="unipayd-delivery-url", allow_private_delivery=False)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()

    def create(self, delivery_url):
        body = {"name": "url-check", "delivery_url": delivery_url, "channels": {"sandbox": {"secret": "s"}}}
        return self.server.admin("POST", "/v1/admin/apps", body)

    def test_loopback_in_any_spelling_is_refused_at_creation(self):
        """Hosts that delivery would refuse after DNS are refused at creation with 400
        invalid_parameter, in every spelling the resolver accepts; an update to one is
        refused too; a public host is created with its stored timestamps."""
        for host in ("localhost", "LOCALHOST", "localhost.", "127.1", "0x7f000001", "2130706433",
                     "0177.0.0.1", "0", "[::ffff:127.0.0.1]", "169.254.169.254", "0xa9fea9fe"):
            with self.subTest(host=host):
                r = self.create("http://%s:8080/deliver" % host)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json()["error"]["code"], "invalid_parameter", r)
                self.assertEqual(r.json()["error"]["ret"], 6, r)
        created = self.create("https://game.example.com/deliver")
        self.assertEqual(created.status, 201, created)
        app = created.json()["app"]
        self.assertRegex(app["created_at"], RFC3339_MS_RE)
        r = self.server.admin("PUT", "/v1/admin/apps/%s" % app["app_id"],
                              {"delivery_url": "http://0x7f000001/deliver"})
        self.assertEqual(r.status, 400, r)
        shown = self.server.admin("GET", "/v1/admin/apps/%s" % app["app_id"]).json()["app"]
        self.assertEqual(shown["delivery_url"], "https://game.example.com/deliver")


if __name__ == "__main__":
    unittest.main()
