"""What the server remembers about past requests, and for how long (issue 7, item 5):
Idempotency-Keys live as long as bills.idempotency_keep_s says, nonces outlive the whole
timestamp window, and a stored answer's client token is sealed so a database dump holds
no usable bearer token."""
import os
import secrets
import subprocess
import tempfile
import time
import unittest

from harness import E2ECase, client_get, env_tmp_dir

KEEP_S = 2 * 86400  # longer than the 24 h that insert_bill once used regardless


def sql(url, statement):
    """One statement through psql; the rows as lists of text cells."""
    r = subprocess.run(["psql", url, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", statement],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql failed: %s" % r.stderr.strip())
    return [line.split("\t") for line in r.stdout.splitlines()]


class RetentionTest(E2ECase):

    @classmethod
    def setUpClass(cls):
        fd, path = tempfile.mkstemp(prefix="retention-", suffix=".toml", dir=env_tmp_dir())
        with os.fdopen(fd, "w") as f:
            f.write("[bills]\nidempotency_keep_s = %d\n" % KEEP_S)
        cls.SERVER_ARGS = ("--config", path)
        super().setUpClass()

    def create(self, key, user):
        return self.app.create_bill(idempotency_key=key, **self.app.bill_body(user_id=user))

    def test_idempotency_key_outlives_a_day_when_configured(self):
        """With idempotency_keep_s of two days, a retry 25 h after the first request
        replays the first answer and makes no second bill."""
        key, user = "keep-" + secrets.token_hex(8), "u_keep_" + secrets.token_hex(4)
        first = self.create(key, user)
        self.assertEqual(first.status, 201, first)
        sql(self.db_url, "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
                         "WHERE idem_key = '%s'" % key)
        again = self.create(key, user)
        self.assertEqual((again.status, again.body), (first.status, first.body))
        self.assertEqual(len(self.app.list_bills(user_id=user).json()["bills"]), 1)

    def test_nonce_replayed_601_s_later_is_refused(self):
        """A request whose timestamp is still inside the ±300 s window, replayed byte for
        byte 601 s after its first use, is 401 replayed (a 600 s nonce memory let it in)."""
        nonce, ts = "n601" + secrets.token_hex(8), int(time.time()) + 250
        path = "/v1/bills?user_id=u_nonce601"
        first = self.app.request("GET", path, nonce=nonce, timestamp=ts)
        self.assertEqual(first.status, 200, first)
        sql(self.db_url, "UPDATE nonces SET seen_at = seen_at - interval '601 seconds' "
                         "WHERE nonce = '%s'" % nonce)
        self.assertError(self.app.request("GET", path, nonce=nonce, timestamp=ts, check_response=False),
                         "replayed")

    def test_stored_answer_holds_no_client_token(self):
        """After a create with an Idempotency-Key the stored body does not contain the
        client token, the key file is private to its owner, and a replay answers the
        identical bytes, whose token still reads the bill."""
        key = "seal-" + secrets.token_hex(8)
        first = self.create(key, "u_seal")
        self.assertEqual(first.status, 201, first)
        token, bill_id = first.json()["client_token"], first.json()["bill"]["bill_id"]
        [[body, token_at]] = sql(self.db_url, "SELECT response_body, token_at FROM idempotency_keys "
                                              "WHERE idem_key = '%s'" % key)
        self.assertNotIn(token, body)
        self.assertEqual(len(body), len(first.body))
        self.assertEqual(body[:int(token_at)], first.body.decode()[:int(token_at)])
        again = self.create(key, "u_seal")
        self.assertEqual((again.status, again.body), (first.status, first.body))
        self.assertEqual(client_get(self.server, bill_id, token).status, 200)
        mode = os.stat(os.path.join(self.server.data_dir, "token.key")).st_mode & 0o777
        self.assertEqual(mode, 0o600)

    def test_replay_under_another_key_is_refused_not_invented(self):
        """A node whose token key differs (another file, or a lost key) answers a replay
        with 500 storage_read naming the setting, never another token; with the right
        key back the replay answers the first bytes again."""
        key = "lost-" + secrets.token_hex(8)
        first = self.create(key, "u_lost")
        self.assertEqual(first.status, 201, first)
        other_key = os.path.join(self.server.data_dir, "other", "token.key")
        original_args = list(self.server.args)
        self.server.args += ["--token-key-file", other_key]
        try:
            self.server.restart()
            refused = self.create(key, "u_lost")
            self.assertError(refused, "storage_read")
            self.assertIn("server.token_key_file", refused.json()["error"]["message"])
            self.assertNotIn(first.json()["client_token"], refused.body.decode())
        finally:
            self.server.args = original_args
            self.server.restart()
        again = self.create(key, "u_lost")
        self.assertEqual((again.status, again.body), (first.status, first.body))


if __name__ == "__main__":
    unittest.main()
