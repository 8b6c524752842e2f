"""Admission control (issue 8, item 3): when the database queues stall, new work is refused
at once with 503 busy + Retry-After instead of queueing for seconds, while a provider
callback (money already taken) is still taken and answered 200; service returns by itself."""
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

from harness import E2ECase, env_tmp_dir, log, wait_until

STALL_S = 3.0


def _config_file(target_ms=50, interval_ms=200, sojourn_ms=None):
    """sojourn_ms: database.new_work_admit_wait_ms and new_work_max_wait_ms (0: off);
    None: the defaults."""
    fd, path = tempfile.mkstemp(prefix="overload-", suffix=".toml", dir=env_tmp_dir())
    with os.fdopen(fd, "w") as f:
        f.write("[server]\nadmission_target_delay_ms = %d\nadmission_interval_ms = %d\n"
                % (target_ms, interval_ms))
        if sojourn_ms is not None:
            f.write("[database]\nnew_work_admit_wait_ms = %d\nnew_work_max_wait_ms = %d\n"
                    % (sojourn_ms, sojourn_ms))
    return path


class AdmissionTest(E2ECase):
    # Sojourn bounds of 250 ms: a create queued behind the stalled commit is refused within
    # 0.25 s plus the next arrival's check, inside the test's 0.5 s bound for any refusal.
    SERVER_ARGS = ("--config", _config_file(sojourn_ms=250))

    def metric(self, name):
        text = self.server.request("GET", "/metrics").body.decode()
        match = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        return int(match.group(1)) if match else -1

    def stall_bill_writes(self, seconds):
        """Holds a lock that blocks every write to `bills` (reads go on) for `seconds`:
        the group writer stalls on it, as on a slow or overloaded database."""
        sql = "BEGIN; LOCK TABLE bills IN EXCLUSIVE MODE; SELECT pg_sleep(%s); COMMIT;" % seconds
        return subprocess.Popen(["psql", self.db_url, "-X", "-q", "-c", sql],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def create(self, out):
        r = self.app.request("POST", "/v1/bills", self.app.bill_body(), check_response=False, timeout=30)
        out.append(r)

    def test_stalled_writer_refuses_new_bills_fast_and_still_takes_callbacks(self):
        """While writes stall, creates are answered 503 busy (ret 5) with Retry-After within
        a fraction of a second; a callback sent meanwhile is not refused but answered 200
        once the stall ends; after it, creates succeed again within 2 s."""
        bill, _ = self.app.new_bill()
        locker = self.stall_bill_writes(STALL_S)
        self.addCleanup(locker.wait, 30)
        time.sleep(0.3)  # the lock is held
        stall_ends = time.monotonic() + STALL_S - 0.3
        creates, threads = [], []
        callback = {}
        paying = threading.Thread(target=lambda: callback.setdefault("r", self.pay(self.app, bill)))
        paying.start()
        while time.monotonic() < stall_ends - 0.5:
            t = threading.Thread(target=self.create, args=(creates,))
            t.start()
            threads.append(t)
            time.sleep(0.05)
        for t in threads + [paying]:
            t.join(30)
        refused = [r for r in creates if r.status == 503]
        log("stall: %d creates, %d refused 503 (slowest refusal %.3f s), %d created"
            % (len(creates), len(refused), max([r.elapsed for r in refused] or [0]),
               sum(1 for r in creates if r.status == 201)))
        self.assertGreater(len(refused), len(creates) // 2, [r.status for r in creates])
        for r in refused:
            self.assertError(r, "busy", status=503, ret=5)
            self.assertEqual(r.headers.get("retry-after"), "1", r.headers)
            self.assertLess(r.elapsed, 0.5, "a refusal must be cheap and early")
        self.assertTrue(all(r.status in (201, 503) for r in creates), [r.status for r in creates])
        self.assertOkCallback(callback["r"])
        self.assertGreater(self.metric("unipay_admission_refused_total"), 0)
        self.assertEqual(locker.wait(30), 0, locker.stderr.read())
        # The stall is over: new bills are admitted again, by themselves. Until admission
        # control sees the queues caught up it may still refuse, unsigned by design
        # (net/handlers/common.cpp): not a signature failure.
        ok = wait_until(lambda: self.app.request("POST", "/v1/bills", self.app.bill_body(),
                                                 check_response=False).status == 201, 2.0, interval=0.1)
        self.assertTrue(ok, "creates still refused after the stall")
        self.assertEqual(self.app.bill(bill["bill_id"])["state"] in ("paid", "delivered"), True)


IN_FLIGHT = 8


class InFlightLimitTest(AdmissionTest):
    """The limit of new work in flight (issue 8.3): with --admission-max-in-flight 8, the
    queue-delay gates set far out of reach (10 s) and the sojourn bounds off, the 9th
    concurrent create is refused 503 busy + Retry-After at once, without waiting for any
    queue to stand (or for a held create to expire); a callback is
    never held by it; once the held creates are answered, creates are admitted again."""
    SERVER_ARGS = ("--config", _config_file(10000, 10000, 0), "--admission-max-in-flight", str(IN_FLIGHT))

    test_stalled_writer_refuses_new_bills_fast_and_still_takes_callbacks = None

    def test_creates_beyond_the_in_flight_limit_are_refused_at_once(self):
        """8 creates held by a stalled writer fill the limit; 6 more are each 503 busy
        (ret 5, Retry-After: 1) within 0.5 s; a callback sent meanwhile is answered 200
        once the stall ends; the 8 held creates all succeed (201), and so does the next."""
        bill, _ = self.app.new_bill()
        refused_before = self.metric("unipay_admission_refused_total")
        locker = self.stall_bill_writes(STALL_S)
        self.addCleanup(locker.wait, 30)
        time.sleep(0.3)  # the lock is held
        held, threads = [], []
        for _ in range(IN_FLIGHT):
            t = threading.Thread(target=self.create, args=(held,))
            t.start()
            threads.append(t)
        time.sleep(0.5)  # all eight are inside the server, waiting for the writer
        callback = {}
        paying = threading.Thread(target=lambda: callback.setdefault("r", self.pay(self.app, bill)))
        paying.start()
        extra = []
        for _ in range(6):
            self.create(extra)
        for r in extra:
            self.assertError(r, "busy", status=503, ret=5)
            self.assertEqual(r.headers.get("retry-after"), "1", r.headers)
            self.assertLess(r.elapsed, 0.5, "a refusal must be cheap and early")
        self.assertEqual(self.metric("unipay_admission_refused_total") - refused_before, 6)
        for t in threads + [paying]:
            t.join(30)
        self.assertEqual([r.status for r in held], [201] * IN_FLIGHT)
        self.assertOkCallback(callback["r"])
        self.assertEqual(locker.wait(30), 0, locker.stderr.read())
        self.assertEqual(self.app.create_bill().status, 201)


if __name__ == "__main__":
    unittest.main()
