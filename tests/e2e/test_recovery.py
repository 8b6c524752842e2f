"""Recovery after the LISTEN connection is lost (issue 8, item 5): notifications sent while
it was down are lost, so live bills must catch up, but only those that changed re-read their
row. The live bills' versions are checked in batches (one query per batch), paced."""
import os
import re
import tempfile
import time
import unittest
import urllib.parse

from harness import E2ECase, _psql, client_get, env_tmp_dir, log, wait_until

LIVE_BILLS = 400
CHANGED_BILLS = 5
BATCH_BILLS = 100


def _config_file():
    fd, path = tempfile.mkstemp(prefix="recovery-", suffix=".toml", dir=env_tmp_dir())
    with os.fdopen(fd, "w") as f:
        # The wallets' hold sweep reads once a second: keep it out of the read count.
        f.write("[bills]\nrefresh_batch_bills = %d\nrefresh_batches_per_s = 20\n"
                "[wallets]\nhold_sweep_interval_ms = 600000\n" % BATCH_BILLS)
    return path


class ListenLossTest(E2ECase):
    SERVER_ARGS = ("--config", _config_file())

    def metric(self, name):
        text = self.server.request("GET", "/metrics").body.decode()
        match = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        return int(match.group(1)) if match else -1

    def database_name(self):
        return urllib.parse.urlsplit(self.db_url).path.lstrip("/")

    def test_only_bills_that_changed_while_listen_was_down_reread_their_rows(self):
        """400 live bills; 5 change in the database without a NOTIFY reaching unipayd (as
        when another node commits while this node's LISTEN connection is down); then the
        LISTEN connection is cut and comes back. The 5 show their new state, the other 395
        keep answering, and the reads this costs are the 4 version checks plus the 5 re-reads
        (re-reading every live bill would cost 400)."""
        bills = [self.app.new_bill() for _ in range(LIVE_BILLS)]
        changed = bills[:CHANGED_BILLS]
        ids = ",".join("'%s'" % b["bill_id"] for b, _ in changed)
        # A direct UPDATE sends no NOTIFY: to this node the change is as good as lost.
        r = _psql(self.db_url, "UPDATE bills SET state = 'closed', version = version + 1 WHERE bill_id IN (%s)" % ids)
        self.assertEqual(r.returncode, 0, r.stderr)
        reads_before = self.metric("unipay_db_reads_total")
        r = _psql(self.db_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE application_name LIKE 'unipay-listener%%' AND datname = '%s'" % self.database_name())
        self.assertEqual(r.returncode, 0, r.stderr)
        started = time.monotonic()

        def all_closed():
            return all(client_get(self.server, b["bill_id"], t).json()["bill"]["state"] == "closed"
                       for b, t in changed)

        self.assertTrue(wait_until(all_closed, 15, interval=0.1), "changed bills never re-read")
        caught_up = time.monotonic() - started
        # Let the whole sweep finish (4 batches at 20/s), then count.
        time.sleep(1.0)
        reads = self.metric("unipay_db_reads_total") - reads_before
        log("listen loss: %d live bills, %d changed, caught up in %.2f s, %d reads"
            % (LIVE_BILLS, CHANGED_BILLS, caught_up, reads))
        batches = (LIVE_BILLS + BATCH_BILLS - 1) // BATCH_BILLS
        self.assertLessEqual(reads, batches + CHANGED_BILLS + 5, "more reads than version checks + changed bills")
        for bill, token in bills[CHANGED_BILLS::40]:
            r = client_get(self.server, bill["bill_id"], token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["bill"]["state"], "created")
        # A bill that changed keeps working: a late payment of the closed bill is taken.
        bill, token = changed[0]
        self.assertOkCallback(self.pay(self.app, bill))
        self.assertEqual(client_get(self.server, bill["bill_id"], token).json()["bill"]["state"], "paid")


if __name__ == "__main__":
    unittest.main()
