"""Named limits refuse clearly instead of growing: long-poll waiters per bill."""
import re
import threading
import time
import unittest

from harness import E2ECase, client_result


class WaiterLimitTest(E2ECase):
    def test_sixty_fifth_waiter_is_refused_and_the_rest_are_all_answered(self):
        """64 long polls park on one bill; the 65th gets 429 busy (ret 5) with Retry-After
        and changes nothing; the payment then answers all 64."""
        bill, token = self.app.new_bill()
        answers = []
        lock = threading.Lock()

        def poll():
            r = client_result(self.server, bill["bill_id"], token, timeout=20)
            with lock:
                answers.append(r)

        threads = [threading.Thread(target=poll) for _ in range(64)]
        for t in threads:
            t.start()
        # Wait until the server reports all 64 parked (its long-poll gauge), then probe.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self.open_longpolls() < 64:
            time.sleep(0.05)
        self.assertEqual(self.open_longpolls(), 64)
        extra = client_result(self.server, bill["bill_id"], token, timeout=1)
        self.assertIsNotNone(extra)
        self.assertError(extra, "busy", 429, 5)
        self.assertIn("retry-after", extra.headers)
        self.assertEqual(self.pay(self.app, bill).status, 200)
        for t in threads:
            t.join(30)
        self.assertEqual(len(answers), 64)
        self.assertTrue(all(r.status == 200 and r.json()["bill"]["state"] == "paid" for r in answers),
                        [r.status for r in answers])


    def open_longpolls(self):
        text = self.server.request("GET", "/metrics").body.decode()
        match = re.search(r"^unipay_longpolls_open (\d+)$", text, re.M)
        return int(match.group(1)) if match else -1


if __name__ == "__main__":
    unittest.main()
