"""Bill expiry, and two unipayd nodes over one PostgreSQL: a callback on one node wakes a
long poll parked on the other (LISTEN/NOTIFY), and the bill is delivered exactly once; two
processes started with the same --node-id are two lease owners and never run one job twice."""
import threading
import time
import unittest

from harness import E2ECase, client_result, log, query_rows


class ExpiryTest(E2ECase):
    SERVER_ARGS = ("--bill-ttl-s", "1", "--expiry-sweep-interval-ms", "200", "--node-id", "node-expiry")

    def test_created_bill_closes_after_its_ttl_and_wakes_its_poll(self):
        """A created bill is closed by the expiry sweep once its ttl passed; the parked
        long poll answers `closed` (not timed out); a late payment still pays and delivers."""
        bill, token = self.app.new_bill()
        started = time.monotonic()
        r = client_result(self.server, bill["bill_id"], token, timeout=15)
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual(doc["bill"]["state"], "closed")
        self.assertFalse(doc["timed_out"])
        log("expiry: ttl 1 s → poll answered closed after %.2f s" % (time.monotonic() - started))
        self.assertEqual(self.pay(self.app, bill).status, 200)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        # The game server counts its 2xx before unipay has read and committed it: wait for it.
        after = client_result(self.server, bill["bill_id"], token, timeout=10, until="delivered").json()["bill"]
        self.assertEqual(after["state"], "delivered")
        self.assertTrue(after["late_payment"])


class TwoNodesTest(E2ECase):
    SERVER_ARGS = ("--node-id", "node-a")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.node_b = cls.start_server(extra_args=("--node-id", "node-b"))

    def test_callback_on_one_node_wakes_a_long_poll_on_the_other(self):
        """The poll is parked on node A; the provider's callback lands on node B. B commits,
        NOTIFY reaches A, A's bill actor re-reads its row and answers the poll."""
        bill, token = self.app.new_bill()
        answer = {}

        def poll():
            answer["response"] = client_result(self.server, bill["bill_id"], token, timeout=20)
            answer["at"] = time.monotonic()

        waiter = threading.Thread(target=poll)
        waiter.start()
        time.sleep(0.5)  # the poll is parked on node A
        b_client = type(self.app)(self.node_b, self.app.app_id, self.app.secret)
        b_client.sandbox_secret = self.app.sandbox_secret
        r = self.pay(b_client, bill)
        acked = time.monotonic()
        self.assertEqual(r.status, 200, r)
        waiter.join(30)
        self.assertFalse(waiter.is_alive())
        doc = answer["response"].json()
        # paid, or already delivered when A re-read the row: B delivers at once, and A answers
        # the newest state (on a loaded machine the delivery can win the race to A's re-read).
        self.assertIn(doc["bill"]["state"], ("paid", "delivered"))
        self.assertFalse(doc["timed_out"])
        log("cross-node wake latency (callback answered on B → poll answered on A): %.1f ms"
            % ((answer["at"] - acked) * 1000))

    def test_bill_paid_on_one_node_is_delivered_once(self):
        """Whichever node runs the delivery job, the game server sees one confirmed delivery
        and no attempt after it; both nodes then read the bill as delivered."""
        bills = [self.app.new_bill()[0] for _ in range(6)]
        b_client = type(self.app)(self.node_b, self.app.app_id, self.app.secret)
        b_client.sandbox_secret = self.app.sandbox_secret
        for i, bill in enumerate(bills):
            self.assertEqual(self.pay(self.app if i % 2 else b_client, bill).status, 200)
        ids = [b["bill_id"] for b in bills]
        self.assertTrue(self.game.wait_confirmed(ids, 20))
        time.sleep(2)
        for bill_id in ids:
            self.assertEqual(self.game.count(bill_id), 1, self.game.for_bill(bill_id))
            self.assertEqual(self.app.bill(bill_id)["state"], "delivered")
            self.assertEqual(b_client.bill(bill_id)["state"], "delivered")

    def test_close_on_one_node_after_payment_on_the_other_is_refused(self):
        """Node A holds the bill as created; node B commits paid. A close on A must not win:
        A learns of the change (NOTIFY, or the compare-and-set failing) and answers 409."""
        bill, _ = self.app.new_bill()
        self.assertEqual(self.app.bill(bill["bill_id"])["state"], "created")  # live on A
        b_client = type(self.app)(self.node_b, self.app.app_id, self.app.secret)
        b_client.sandbox_secret = self.app.sandbox_secret
        self.assertEqual(self.pay(b_client, bill).status, 200)
        r = self.app.close_bill(bill["bill_id"])
        self.assertEqual(r.status, 409, r)
        self.assertEqual(self.app.bill(bill["bill_id"])["state"] in ("paid", "delivered"), True)


class SameNodeIdTest(E2ECase):
    """Two unipayd processes started with the same --node-id over one database (a
    misconfiguration, or a restart that overlaps the old process): each is its own
    incarnation, the second does not take the first's live leases, and so no delivery job
    runs on both processes at once."""
    SERVER_ARGS = ("--node-id", "node-same", "--heartbeat-interval-ms", "200")

    def test_same_node_id_both_run_and_no_job_runs_twice(self):
        """While the game server answers 503, process A holds the leases of its failing
        deliveries. Process B starts with the same --node-id and pays bills of its own.
        Each attempt number reaches the game server once per bill (two runners of one job
        would both send attempt k), every bill is confirmed once, nothing arrives after."""
        self.game.go_down("503")
        on_a = [self.app.new_bill()[0] for _ in range(5)]
        for bill in on_a:
            self.assertEqual(self.pay(self.app, bill).status, 200)
        ids_a = [b["bill_id"] for b in on_a]
        self.assertTrue(self.game.wait_for(lambda g: all(g.count(i) >= 2 for i in ids_a), 15),
                        "A should be retrying every bill")

        node_b = self.start_server(extra_args=self.SERVER_ARGS)
        b_client = type(self.app)(node_b, self.app.app_id, self.app.secret)
        b_client.sandbox_secret = self.app.sandbox_secret
        on_b = [b_client.new_bill()[0] for _ in range(3)]
        for bill in on_b:
            self.assertEqual(self.pay(b_client, bill).status, 200)
        ids = ids_a + [b["bill_id"] for b in on_b]
        self.assertTrue(self.game.wait_for(lambda g: all(g.count(i) >= 2 for i in ids), 15),
                        "both processes should be retrying their bills")
        time.sleep(3)  # both processes run side by side while every attempt fails

        self.game.come_up()
        self.assertTrue(self.game.wait_confirmed(ids, 30), "not every bill delivered")
        time.sleep(3)
        for bill_id in ids:
            deliveries = self.game.for_bill(bill_id)
            attempts = [d.attempt for d in deliveries]
            self.assertEqual(len(attempts), len(set(attempts)),
                             "%s: an attempt number arrived twice (the job ran on two processes): %s"
                             % (bill_id, attempts))
            self.assertEqual(len(self.game.confirmed(bill_id)), 1, deliveries)
            self.assertTrue(deliveries[-1].confirmed, "a delivery arrived after the 2xx: %r" % deliveries)
        self.assertTrue(self.server.alive() and node_b.alive())
        for bill_id in ids:
            self.assertEqual(self.wait_state(self.app, bill_id, "delivered")["state"], "delivered")
        log("same --node-id: %d bills over two processes, each attempt number once"
            % len(ids))

        # Each process is its own incarnation of the name, and each keeps its heartbeat fresh.
        nodes = query_rows(self.db_url,
                           "SELECT incarnation, heartbeat_at > started_at + interval '300 ms', "
                           "heartbeat_at > now() - interval '5 seconds' FROM nodes "
                           "WHERE name = 'node-same'")
        self.assertEqual(len(nodes), 2, nodes)
        self.assertNotEqual(nodes[0][0], nodes[1][0])
        for incarnation, renewed, fresh in nodes:
            self.assertEqual((renewed, fresh), ("t", "t"), "heartbeat of %s not renewed" % incarnation)


if __name__ == "__main__":
    unittest.main()
