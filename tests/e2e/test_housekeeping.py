"""Issue 8 item 7: housekeeping never stalls payments. Expiry closes a backlog of expired
bills at well over 1,000 bills/s (it used to take 200 per 5 s per node), one node at a
time, each bill claimed once across the cluster."""
import re
import subprocess
import time
import unittest

from harness import E2ECase, _psql, log

EXPIRED = 20000


def sql(url, text):
    r = _psql(url, text)
    if r.returncode != 0:
        raise AssertionError("psql failed: %s" % r.stderr.strip())
    return r


def scalar(url, text):
    """The one value a query returns (the harness's _psql prints aligned tables)."""
    out = subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-c", text], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("psql failed: %s" % out.stderr.strip())
    return out.stdout.strip()


class ExpiryBacklogTest(E2ECase):
    SERVER_ARGS = ("--node-id", "node-a", "--expiry-sweep-interval-ms", "500")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node_b = cls.start_server(extra_args=("--node-id", "node-b", "--expiry-sweep-interval-ms", "500"))

    def claimed_in_logs(self):
        total = 0
        for server in self.servers:
            with open(server.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
            total += sum(int(m) for m in re.findall(r"expiry sweep: closed \d+ of (\d+) expired", text))
        return total

    def test_twenty_thousand_expired_bills_close_at_over_1000_per_second(self):
        """20,000 expired `created` bills, two nodes: all are closed (version 2) at ≥ 1,000
        bills/s, and the nodes' sweeps claimed 20,000 in all (no bill twice)."""
        sql(self.db_url, """
            INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor,
                               currency, state, version, client_token_hash, created_at, expires_at)
            SELECT 'b_EXP' || lpad(i::text, 23, '0'), '%s', 'u_' || i, 'gem_100', 'sandbox', 'purchase',
                   100, 'USD', 'created', 1, repeat('a', 64), now() - interval '1 hour',
                   now() - interval '1 minute' + i * interval '1 millisecond'
            FROM generate_series(1, %d) i""" % (self.app.app_id, EXPIRED))
        due = "SELECT count(*) FROM bills WHERE state = 'created' AND expires_at < now()"
        start = time.monotonic()
        left = EXPIRED
        while time.monotonic() - start < 120 and left > 0:
            time.sleep(0.1)
            left = int(scalar(self.db_url, due))
        elapsed = time.monotonic() - start
        self.assertEqual(left, 0, "%d bills still due after %.1f s" % (left, elapsed))
        rate = EXPIRED / elapsed
        log("expiry: %d expired bills closed in %.2f s = %.0f bills/s (two nodes, one at a time)"
            % (EXPIRED, elapsed, rate))
        self.assertEqual(scalar(self.db_url, "SELECT count(*) FROM bills WHERE bill_id LIKE 'b_EXP%' "
                                             "AND state = 'closed' AND version = 2"), str(EXPIRED))
        self.assertGreaterEqual(rate, 1000)
        deadline = time.monotonic() + 10  # the sweep's log line follows its last answer
        while self.claimed_in_logs() < EXPIRED and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.claimed_in_logs(), EXPIRED, "a bill was claimed twice, or not at all")


if __name__ == "__main__":
    unittest.main()
