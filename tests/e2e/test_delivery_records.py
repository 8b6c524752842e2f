"""Every delivery attempt is on record and an operator can find what to replay (issue 7,
item 3): GET /v1/admin/bills/{bill_id}/deliveries lists each attempt with its HTTP status or
error and latency; GET /v1/admin/deliveries?state=dead|pending&app_id=&cursor= lists the
delivery jobs; a replay never resets a live lease."""
import time
import unittest

from harness import BILL_ID_RE, RFC3339_MS_RE, E2ECase, log, wait_until

GIVE_UP_S = 3
HELD_ATTEMPT_S = 2.0  # well under delivery.timeout_ms (10 s), so the attempt ends with 503
NODE_ID = "node-records"


class DeliveryRecordsTest(E2ECase):
    # No circuit breaker: its pause (20 failures of one app) leaves a pending job unleased
    # for seconds, and these tests need a failing job to stay in progress between retries.
    SERVER_ARGS = ("--delivery-give-up-after-s", str(GIVE_UP_S), "--node-id", NODE_ID,
                   "--delivery-breaker-failures", "0")

    # -- helpers

    def attempts(self, bill_id, **query):
        path = "/v1/admin/bills/%s/deliveries" % bill_id
        if query:
            path += "?" + "&".join("%s=%s" % kv for kv in query.items())
        r = self.server.admin("GET", path)
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(doc["bill_id"], bill_id)
        return doc

    def deliveries(self, **query):
        path = "/v1/admin/deliveries"
        if query:
            path += "?" + "&".join("%s=%s" % kv for kv in query.items())
        r = self.server.admin("GET", path)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def listed(self, **query):
        return [d["bill_id"] for d in self.deliveries(**query)["deliveries"]]

    def paid_bill(self, client):
        bill, _ = client.new_bill()
        self.assertEqual(self.pay(client, bill).status, 200)
        return bill

    def replay(self, bill_id):
        return self.server.admin("POST", "/v1/admin/deliveries/%s/replay" % bill_id, b"")

    def assertAttemptShape(self, attempt):
        self.assertEqual(set(attempt), {"attempt", "started_at", "http_status", "error", "latency_ms",
                                        "node_id"}, attempt)
        self.assertRegex(attempt["started_at"], RFC3339_MS_RE)
        self.assertTrue(attempt["node_id"].startswith(NODE_ID + "/"), attempt["node_id"])  # name/incarnation

    # -- tests

    def test_failing_twice_then_succeeding_leaves_three_attempts_on_record(self):
        """A game server that answers 500 twice then 200: three rows, in order, with the
        statuses it answered, an error for each failure, and a measured latency each."""
        self.game.fail_first(2)
        self.addCleanup(self.game.fail_first, 0)
        bill = self.paid_bill(self.app)
        self.wait_state(self.app, bill["bill_id"], "delivered")
        doc = self.attempts(bill["bill_id"])
        got = self.game.for_bill(bill["bill_id"])
        self.assertEqual(len(got), 3, got)
        self.assertEqual(doc["delivery_id"], got[0].delivery_id)
        self.assertIsNone(doc["next_cursor"])
        rows = doc["attempts"]
        self.assertEqual([a["attempt"] for a in rows], [1, 2, 3], rows)
        self.assertEqual([a["http_status"] for a in rows], [500, 500, 200], rows)
        self.assertEqual([a["error"] for a in rows],
                         ["game server answered 500", "game server answered 500", None], rows)
        for a in rows:
            self.assertAttemptShape(a)
            self.assertIsInstance(a["latency_ms"], int, a)
            self.assertGreaterEqual(a["latency_ms"], 0, a)
        self.assertEqual(sorted(a["started_at"] for a in rows), [a["started_at"] for a in rows])
        log("attempts on record: %r" % [(a["attempt"], a["http_status"], a["latency_ms"]) for a in rows])

        # Paging: limit 2 gives a cursor, the next page the third attempt, then no cursor.
        first = self.attempts(bill["bill_id"], limit=2)
        self.assertEqual([a["attempt"] for a in first["attempts"]], [1, 2])
        self.assertIsNotNone(first["next_cursor"])
        second = self.attempts(bill["bill_id"], limit=2, cursor=first["next_cursor"])
        self.assertEqual([a["attempt"] for a in second["attempts"]], [3])
        self.assertIsNone(second["next_cursor"])

    def test_bill_attempts_answers(self):
        """A bill with no attempt yet lists none; an unknown bill is 404; bad paging is 400;
        the route needs the admin token."""
        bill, _ = self.app.new_bill()
        doc = self.attempts(bill["bill_id"])
        self.assertEqual(doc["attempts"], [])
        self.assertIsNone(doc["next_cursor"])
        self.assertError(self.server.admin("GET", "/v1/admin/bills/b_01M80E3ZXM6M78VDCQAS2G1XJ1/deliveries"),
                         "not_found")
        self.assertError(self.server.admin("GET", "/v1/admin/bills/nonsense/deliveries"), "not_found")
        for query in ("limit=0", "limit=501", "limit=x", "cursor=-1", "cursor=abc"):
            r = self.server.admin("GET", "/v1/admin/bills/%s/deliveries?%s" % (bill["bill_id"], query))
            self.assertError(r, "invalid_parameter")
        r = self.server.request("GET", "/v1/admin/bills/%s/deliveries" % bill["bill_id"])
        self.assertError(r, "unauthorized")
        r = self.server.admin("GET", "/v1/admin/deliveries", token="wrong")
        self.assertError(r, "forbidden")
        self.assertError(self.server.admin("GET", "/v1/admin/deliveries?state=gone"), "invalid_parameter")
        self.assertError(self.server.admin("GET", "/v1/admin/deliveries?cursor=zzz"), "invalid_parameter")

    def test_pending_then_dead_lettered_listed_by_state_and_app_and_replayed(self):
        """While the game servers answer 503 a paid bill's job is pending (held by this node,
        so a replay is refused 409); after the give-up time it is dead and listed as such,
        every attempt the game server saw is on record; the app filter keeps apps apart; a
        replay of the dead job delivers it, as a fresh run of attempts from 1."""
        other = self.make_app()
        self.game.go_down("503")
        self.addCleanup(self.game.come_up)
        # The first attempts hang at the game server while the pending job is read and a
        # replay is refused. The `paid` commit leases the job to this node, and the lease holds
        # until the attempt's failure is written; between a retry's due time and its claim the
        # job is unleased for a few ms (any node may claim or replay it then), and with full
        # jitter a retry can come due at any moment, so the reads must not race the retries.
        self.game.delay_s = HELD_ATTEMPT_S
        self.addCleanup(setattr, self.game, "delay_s", 0.0)
        bill = self.paid_bill(self.app)
        bill2 = self.paid_bill(other)
        bid, bid2 = bill["bill_id"], bill2["bill_id"]

        pending = self.deliveries(state="pending")["deliveries"]
        mine = [d for d in pending if d["bill_id"] == bid]
        self.assertEqual(len(mine), 1, pending)
        job = mine[0]
        self.assertEqual(job["state"], "pending")
        self.assertEqual(job["app_id"], self.app.app_id)
        self.assertTrue(BILL_ID_RE.match(job["bill_id"]))
        self.assertTrue(job["in_progress"], job)
        self.assertTrue(job["lease_owner"].startswith(NODE_ID + "/"), job["lease_owner"])
        self.assertRegex(job["lease_until"], RFC3339_MS_RE)
        self.assertIsNone(job["dead_at"])
        self.assertEqual(self.listed(state="pending", app_id=other.app_id), [bid2])
        self.assertNotIn(bid, self.listed(state="dead"))

        r = self.replay(bid)
        self.assertError(r, "conflict")
        self.assertIn("in progress", r.json()["error"]["message"])
        self.game.delay_s = 0.0  # the held attempts still answer 503 after HELD_ATTEMPT_S

        dead = wait_until(lambda: {bid, bid2} <= set(self.listed(state="dead")), GIVE_UP_S + 10, 0.2)
        self.assertTrue(dead, self.deliveries())
        self.assertNotIn(bid, self.listed(state="pending"))
        self.assertEqual(self.listed(state="dead", app_id=self.app.app_id), [bid])
        self.assertEqual(self.listed(state="dead", app_id=other.app_id), [bid2])
        self.assertEqual(self.listed(state="dead", app_id="app_nobody"), [])
        job = [d for d in self.deliveries(state="dead")["deliveries"] if d["bill_id"] == bid][0]
        self.assertRegex(job["dead_at"], RFC3339_MS_RE)
        self.assertFalse(job["in_progress"])
        self.assertEqual(job["last_error"], "game server answered 503")

        rows = self.attempts(bid)["attempts"]
        seen = self.game.count(bid)
        self.assertGreaterEqual(seen, 2)
        self.assertEqual(len(rows), seen, "every attempt the game server saw is on record")
        self.assertEqual(job["attempts"], seen)
        self.assertEqual([a["attempt"] for a in rows], list(range(1, seen + 1)))
        self.assertTrue(all(a["http_status"] == 503 for a in rows), rows)

        self.game.come_up()
        self.assertEqual(self.replay(bid).status, 200)
        self.wait_state(self.app, bid, "delivered")
        after = self.attempts(bid)["attempts"]
        self.assertEqual(len(after), seen + 1, after)
        self.assertEqual((after[-1]["attempt"], after[-1]["http_status"]), (1, 200))
        self.assertNotIn(bid, self.listed())
        log("dead letter: %d attempts on record, then delivered on replay" % seen)

    def test_paging_through_dead_letters_sees_each_once(self):
        """Three dead-lettered jobs of one app, two per page: every job once, then no cursor."""
        client = self.make_app()
        self.game.go_down("503")
        self.addCleanup(self.game.come_up)
        ids = {self.paid_bill(client)["bill_id"] for _ in range(3)}
        self.assertTrue(wait_until(lambda: set(self.listed(state="dead", app_id=client.app_id)) == ids,
                                   GIVE_UP_S + 10, 0.2))
        first = self.deliveries(state="dead", app_id=client.app_id, limit=2)
        self.assertEqual(len(first["deliveries"]), 2)
        self.assertIsNotNone(first["next_cursor"])
        second = self.deliveries(state="dead", app_id=client.app_id, limit=2, cursor=first["next_cursor"])
        self.assertEqual(len(second["deliveries"]), 1)
        self.assertIsNone(second["next_cursor"])
        paged = [d["bill_id"] for d in first["deliveries"] + second["deliveries"]]
        self.assertEqual(sorted(paged), sorted(ids))
        self.assertEqual(paged, sorted(paged), "bill_id order")


if __name__ == "__main__":
    unittest.main()
