"""The unipayd command line as a user meets it: --help, config errors, migrate,
`app create`, and the default mode where unipayd owns an embedded PostgreSQL."""
import json
import os
import subprocess
import unittest

from harness import (RFC3339_MS_RE, AppClient, GameServer, Server, _child_env, admin_create_app,
                     drop_database, fresh_database_url, log, new_trade_no, sandbox_callback)


def unipayd(*args, timeout=60):
    return subprocess.run([os.environ["UNIPAYD"], *args], capture_output=True, text=True,
                          timeout=timeout, env=_child_env(), stdin=subprocess.DEVNULL)


@unittest.skipUnless(os.environ.get("UNIPAYD"), "UNIPAYD is not set")
class CommandLineTest(unittest.TestCase):
    def test_help_lists_commands_and_environment(self):
        """--help exits 0 and names the subcommands and the pinned flags' variables."""
        r = unipayd("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        for word in ("serve", "migrate", "app create", "--listen", "UNIPAY_LISTEN", "UNIPAY_DATABASE_URL",
                     "--delivery-backoff-initial-ms", "UNIPAY_ALLOW_PRIVATE_DELIVERY"):
            self.assertIn(word, r.stdout)

    def test_every_config_error_is_listed_then_exit_2(self):
        """Two bad settings: both are reported, and unipayd does not start."""
        r = unipayd("serve", "--listen", "nowhere", "--delivery-backoff-initial-ms", "0")
        self.assertEqual(r.returncode, 2)
        self.assertGreaterEqual(r.stderr.count("config error"), 2, r.stderr)

    def test_migrate_then_app_create_gives_a_working_app(self):
        """`migrate` and `app create` work against a database; the printed secrets sign
        requests and callbacks that a server on that database accepts."""
        url = fresh_database_url()
        self.addCleanup(drop_database, url)
        self.assertEqual(unipayd("migrate", "--database-url", url).returncode, 0)
        r = unipayd("app", "create", "--name", "cli", "--delivery-url", "https://game.example/deliver",
                    "--sandbox-secret", "s3cret", "--database-url", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["sandbox_secret"], "s3cret")
        self.assertEqual(doc["app"]["channels"], {"sandbox": {"secret": True}})
        self.assertRegex(doc["app"]["created_at"], RFC3339_MS_RE)  # the app as stored
        self.assertRegex(doc["app"]["updated_at"], RFC3339_MS_RE)
        server = Server(url, name="unipayd-cli")
        self.addCleanup(server.stop)
        server.start()
        client = AppClient(server, doc["app"]["app_id"], doc["secret"])
        created = client.create_bill(user_id="u", item_id="i", channel="sandbox", amount=5, currency="USD")
        self.assertEqual(created.status, 201, created)
        bill = created.json()["bill"]
        paid = sandbox_callback(server, client.app_id, "s3cret", bill["bill_id"], new_trade_no(), "success", 5, "USD")
        self.assertEqual(paid.status, 200, paid)
        self.assertEqual(client.signature_failures, [])

    def test_app_create_checks_the_delivery_url_like_the_admin_api(self):
        """`app create` refuses a loopback delivery URL in any spelling (exit 2, nothing
        stored) unless --allow-private-delivery is given, as the admin API does."""
        url = fresh_database_url()
        self.addCleanup(drop_database, url)
        for host in ("localhost", "LOCALHOST.", "127.1", "0x7f000001"):
            with self.subTest(host=host):
                r = unipayd("app", "create", "--name", "local", "--delivery-url", "http://%s:9000/d" % host,
                            "--database-url", url)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn("loopback", r.stderr)
                self.assertEqual(r.stdout, "")
        r = unipayd("app", "create", "--name", "local", "--delivery-url", "http://127.1:9000/d",
                    "--database-url", url, "--allow-private-delivery")
        self.assertEqual(r.returncode, 0, r.stderr)
        app = json.loads(r.stdout)["app"]
        self.assertEqual(app["delivery_url"], "http://127.1:9000/d")
        self.assertRegex(app["created_at"], RFC3339_MS_RE)

    def test_app_create_channels_are_checked_by_their_adapters(self):
        """`app create --channels` goes through the channel adapters like the admin API: an
        unknown channel and bad credentials are listed together (exit 2, nothing printed);
        valid channels from a file are stored as given, and no sandbox secret is invented."""
        url = fresh_database_url()
        self.addCleanup(drop_database, url)
        bad = json.dumps({"paypal": {}, "alipay": {"app_id": "2021000000000001"}})
        r = unipayd("app", "create", "--name", "ch", "--delivery-url", "https://game.example/d",
                    "--channels", bad, "--database-url", url)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn("unknown channel paypal", r.stderr)
        self.assertIn("channels.alipay: ", r.stderr)
        self.assertIn("seller_id is required", r.stderr)
        path = os.path.join(os.environ.get("UNIPAY_TEST_TMP", "/tmp"), "channels-%d.json" % os.getpid())
        with open(path, "w") as f:
            json.dump({"sandbox": {"secret": "from-file"}}, f)
        self.addCleanup(os.remove, path)
        r = unipayd("app", "create", "--name", "ch", "--delivery-url", "https://game.example/d",
                    "--channels", "@" + path, "--database-url", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["app"]["channels"], {"sandbox": {"secret": True}})
        self.assertNotIn("sandbox_secret", doc)


@unittest.skipUnless(os.environ.get("UNIPAYD"), "UNIPAYD is not set")
class EmbeddedDatabaseTest(unittest.TestCase):
    def test_embedded_postgres_survives_kill_and_stops_with_unipayd(self):
        """With no database URL unipayd creates its own cluster under the data dir, keeps
        every bill across a kill -9 (reusing the cluster left running), and stops the
        cluster on a clean exit."""
        game = GameServer()
        self.addCleanup(game.close)
        server = Server("", name="unipayd-embedded")
        os.chmod(server.data_dir, 0o755)  # the postgres user must reach the cluster
        self.addCleanup(server.stop)
        server.start(ready_timeout=90)
        log("embedded: first start (initdb included) ready in %.2f s" % server.last_ready_seconds)
        app_id, secret, _ = admin_create_app(server, game.url, "sbx")
        client = AppClient(server, app_id, secret)
        bill = client.create_bill(user_id="u", item_id="i", channel="sandbox", amount=7, currency="EUR").json()["bill"]
        server.kill9()
        server.start(ready_timeout=60)
        log("embedded: restart after kill -9 ready in %.2f s" % server.last_ready_seconds)
        self.assertEqual(client.bill(bill["bill_id"])["state"], "created")
        self.assertEqual(server.terminate(), 0)
        pid_file = os.path.join(server.data_dir, "var", "pg", "data", "postmaster.pid")
        alt_pid_file = os.path.join(server.data_dir, "pg", "data", "postmaster.pid")
        self.assertFalse(os.path.exists(pid_file) or os.path.exists(alt_pid_file),
                         "the embedded PostgreSQL must stop with unipayd")


if __name__ == "__main__":
    unittest.main()
