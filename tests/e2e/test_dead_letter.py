"""Deliveries that keep failing are dead-lettered after the give-up time (72 h by default,
2 s here) and stop; an admin replay brings the job back and it is delivered."""
import time
import unittest

from harness import E2ECase, log


class DeadLetterTest(E2ECase):
    SERVER_ARGS = ("--delivery-give-up-after-s", "2", "--node-id", "node-dead-letter")

    def test_failing_delivery_is_dead_lettered_then_replayed_by_an_admin(self):
        """After the give-up time no attempt follows; the bill stays paid; replay delivers it."""
        self.game.go_down("503")
        bill, _ = self.app.new_bill()
        self.assertEqual(self.pay(self.app, bill).status, 200)
        time.sleep(4)
        attempts = self.game.count(bill["bill_id"])
        self.assertGreaterEqual(attempts, 2, "it kept retrying until the give-up time")
        time.sleep(2.5)
        self.assertEqual(self.game.count(bill["bill_id"]), attempts, "no attempt after the dead letter")
        self.assertEqual(self.app.bill(bill["bill_id"])["state"], "paid")
        log("dead letter: %d attempts in the 2 s before giving up" % attempts)

        self.game.come_up()
        r = self.server.admin("POST", "/v1/admin/deliveries/%s/replay" % bill["bill_id"], b"")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 10))
        self.wait_state(self.app, bill["bill_id"], "delivered")  # unipay commits after the 2xx

    def test_replay_without_a_job_is_not_found(self):
        """Replaying a bill that has no delivery job (unknown, or delivered) is 404."""
        r = self.server.admin("POST", "/v1/admin/deliveries/b_01M80E3ZXM6M78VDCQAS2G1XJ1/replay", b"")
        self.assertError(r, "not_found")


if __name__ == "__main__":
    unittest.main()
