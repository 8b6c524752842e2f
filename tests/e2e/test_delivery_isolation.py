"""Delivery isolation between apps (issue 8 item 1): one app's broken game server never
delays another app's deliveries, and the broken app's backlog is delivered, each bill
once, as soon as its game server answers again.

App A's game server hangs (accepts connections and never answers, so every attempt waits
out unipayd's delivery timeout) with A_BILLS paid bills; app B's bills, paid one at a time
meanwhile, must each reach B's game server within 1 s of the payment callback's answer.
unipayd runs with the default caps (2,000 attempts at once, a share of 250 per app, of
which a healthy app may borrow all but one share) and a short delivery timeout and breaker
cool-down, so the test stays short. On the code before this test (1,000 retry actors that
held their slots while waiting, work dropped at capacity) B's first bill was not delivered
within 6 s.
"""

import collections
import json
import os
import secrets
import socket
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import AppClient, E2ECase, admin_create_app, log, query_rows, wait_until

A_BILLS = int(os.environ.get("UNIPAY_E2E_ISOLATION_BILLS", "2000"))
B_BILLS = 10
B_DEADLINE_S = 1.0
PAYERS = 16  # client threads paying A's bills


class HungGameServer:
    """A game server on 127.0.0.1 that, while down, accepts every connection and never
    answers; once up, answers each delivery 200 (Connection: close) and counts the 200s
    per bill."""

    def __init__(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4096)
        self.port = self._sock.getsockname()[1]
        self.up = False
        self.accepted = 0
        self.answered = collections.Counter()  # bill_id → 200s sent
        self._held = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/deliver" % self.port

    def _accept_loop(self):
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                if not self.up:
                    self._held.append(conn)
                    continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        try:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            bill_id = json.loads(body)["bill"]["bill_id"]
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            with self._lock:
                self.answered[bill_id] += 1
        except (OSError, ValueError, KeyError):
            pass
        finally:
            conn.close()

    def come_up(self):
        with self._lock:
            self.up = True
            held, self._held = self._held, []
        for conn in held:
            conn.close()

    def close(self):
        self._closed = True
        self._sock.close()
        self.come_up()


class DeliveryIsolationTest(E2ECase):
    SERVER_ARGS = ("--delivery-timeout-ms", "2000", "--delivery-breaker-cooldown-ms", "1000")

    def make_hung_app(self, hung):
        sandbox_secret = secrets.token_hex(16)
        app_id, secret, _ = admin_create_app(self.server, hung.url, sandbox_secret)
        client = AppClient(self.server, app_id, secret)
        client.sandbox_secret = sandbox_secret
        type(self).clients.append(client)
        return client

    def pay_many(self, client, n):
        def one(i):
            # PAYERS at once can fill the writer's queue on a slow machine: admission then
            # refuses creations for a moment (503 busy), and a client retries them.
            bill, _ = client.new_bill_when_admitted(user_id="u_%d" % (i % 50))
            self.assertOkCallback(self.pay(client, bill))
            return bill["bill_id"]

        with ThreadPoolExecutor(PAYERS) as pool:
            return list(pool.map(one, range(n)))

    def delivered_count(self, app_id):
        rows = query_rows(self.db_url, "SELECT count(*) FROM bills WHERE app_id = '%s' "
                          "AND state = 'delivered'" % app_id)
        return int(rows[0][0])

    def test_hung_game_server_of_one_app_does_not_delay_another(self):
        """With app A's game server hung and A_BILLS of A's bills paid, each of app B's
        bills is delivered within 1 s of its payment (A may hold at most the slots it
        borrowed before its first failure, never the share kept free for others); A's bills
        wait, none delivered; once A's game server answers, every A bill is delivered
        exactly once, promptly (no lease needs to run out first)."""
        hung = HungGameServer()
        self.addCleanup(hung.close)
        a = self.make_hung_app(hung)
        b = self.app

        started = time.monotonic()
        a_bills = self.pay_many(a, A_BILLS)
        log("paid %d bills of app A in %.1f s; %d connections to its game server"
            % (len(a_bills), time.monotonic() - started, hung.accepted))

        took = []
        for i in range(B_BILLS):
            bill, _ = b.new_bill_when_admitted(user_id="u_b")
            self.assertOkCallback(self.pay(b, bill))
            answered = time.monotonic()
            ok = self.game.wait_confirmed([bill["bill_id"]], B_DEADLINE_S + 5)
            self.assertTrue(ok, "app B's bill %s never delivered" % bill["bill_id"])
            [first] = self.game.confirmed(bill["bill_id"])[:1]
            took.append(first.at - answered)
            time.sleep(0.3)
        log("app B deliveries after the callback's answer: %s s"
            % ", ".join("%.3f" % t for t in took))
        self.assertLessEqual(max(took), B_DEADLINE_S, took)
        self.assertEqual(self.delivered_count(a.app_id), 0)

        hung.come_up()
        up_at = time.monotonic()
        drained = wait_until(lambda: self.delivered_count(a.app_id) == A_BILLS, 60, 0.5)
        log("app A's %d bills delivered %.1f s after its game server came up"
            % (A_BILLS, time.monotonic() - up_at))
        self.assertTrue(drained, "%d of %d delivered" % (self.delivered_count(a.app_id), A_BILLS))
        twice = {bid: n for bid, n in hung.answered.items() if n != 1}
        self.assertEqual(twice, {}, "bills acknowledged more than once")
        self.assertEqual(set(hung.answered), set(a_bills))
        self.assertEqual(query_rows(self.db_url, "SELECT count(*) FROM jobs")[0][0], "0")


if __name__ == "__main__":
    unittest.main()
