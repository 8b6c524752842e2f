"""Measures what a purge of 1,000,000 expired nonces does to provider callbacks (issue 8
item 7): callback latency while the purge runs vs quiet, in the same run. Not a ctest test
(about 90 s, and a figure, not a pass/fail on a shared machine); run it as the e2e tests are
run, e.g. after `ctest -R pg_start` in build-test:

  cd tests/e2e && UNIPAY_TEST_DATABASE_URL='postgresql:///postgres?host=/tmp/unipay-test-pg-XXXX/run&port=25432&user=postgres' \\
      UNIPAYD=../../build-test/unipayd python3 bench_purge.py [--rows 1000000] [--threads 8] [--rate 200]

Set-up: one unipayd (bills.purge_interval_ms = 1000), 150,000 `created` bills and ROWS nonces
inserted by SQL, the nonces seen just inside the 600 s window, so they all fall due about
QUIET_S seconds into the callback stream. THREADS client threads post signed sandbox
callbacks (each pays one bill: a transition through the group writer, then a delivery) at
RATE per second, well below saturation, so latency shows interference, not queueing. The
purge's window comes from unipayd's log line "purge: deleted N nonces ... in X ms".
Reference: the old single DELETE of the same rows is timed at the end on a connection of
its own; on the old code the writer connection was busy that long, every commit behind it.
"""
import argparse
import datetime
import os
import re
import subprocess
import tempfile
import threading
import time

from harness import (GameServer, Server, admin_create_app, fresh_database_url, drop_database,
                     new_trade_no, sandbox_callback)

QUIET_S = 25
BILLS = 150000


def psql(url, text):
    out = subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", text],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError("psql: %s" % out.stderr.strip())
    return out.stdout.strip()


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def purge_window(log_path):
    """(start, end) epoch seconds of the purge that deleted the most nonces."""
    best = None
    with open(log_path, "rb") as f:
        for line in f.read().decode(errors="replace").splitlines():
            m = re.match(r"(\S+) info purge: deleted (\d+) nonces and \d+ idempotency keys in (\d+) ms", line)
            if not m:
                continue
            end = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            if best is None or int(m.group(2)) > best[0]:
                best = (int(m.group(2)), end - int(m.group(3)) / 1000.0, end)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--rate", type=float, default=200, help="callbacks per second offered (0: back to back)")
    ap.add_argument("--after-s", type=float, default=20, help="seconds of stream after the purge")
    args = ap.parse_args()

    db_url = fresh_database_url()
    config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    config.write("[bills]\npurge_interval_ms = 1000\n")
    config.close()
    game = GameServer()
    server = Server(db_url, ("--config", config.name, "--node-id", "bench-purge"))
    try:
        server.start()
        sandbox_secret = "s" * 32
        app_id, secret, _ = admin_create_app(server, game.url, sandbox_secret)
        game.secrets[app_id] = secret
        psql(db_url, """INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type,
            amount_minor, currency, state, version, client_token_hash, created_at, expires_at)
            SELECT 'b_PRG' || lpad(i::text, 23, '0'), '%s', 'u_' || i, 'gem_100', 'sandbox', 'purchase',
            100, 'USD', 'created', 1, repeat('a', 64), now(), now() + interval '1 hour'
            FROM generate_series(1, %d) i""" % (app_id, BILLS))
        started = time.time()
        psql(db_url, """INSERT INTO nonces (app_id, nonce, seen_at) SELECT '%s', 'n-' || i,
            now() - interval '600 seconds' + interval '%d seconds' FROM generate_series(1, %d) i"""
             % (app_id, QUIET_S + 10, args.rows))
        psql(db_url, "VACUUM ANALYZE nonces")
        print("inserted %d nonces in %.1f s; they fall due in about %.0f s"
              % (args.rows, time.time() - started, QUIET_S + 10 - (time.time() - started)))

        samples = []  # (sent at, latency s, status)
        lock = threading.Lock()
        next_bill = [0]
        stop = threading.Event()

        stream_start = time.time()

        def stream():
            while not stop.is_set():
                with lock:
                    next_bill[0] += 1
                    i = next_bill[0]
                if i > BILLS:
                    return
                if args.rate > 0:  # open loop: callback i is due at i / rate
                    time.sleep(max(0.0, stream_start + i / args.rate - time.time()))
                sent = time.time()
                r = sandbox_callback(server, app_id, sandbox_secret, "b_PRG%023d" % i, new_trade_no(),
                                     "success", 100, "USD")
                with lock:
                    samples.append((sent, r.elapsed, r.status))

        threads = [threading.Thread(target=stream) for _ in range(args.threads)]
        for t in threads:
            t.start()
        deadline = time.time() + 600
        window = None
        while time.time() < deadline:
            time.sleep(1)
            window = purge_window(server.log_path)
            if window and window[0] >= args.rows:
                break
        time.sleep(args.after_s)
        stop.set()
        for t in threads:
            t.join()
        if not window:
            raise SystemExit("no purge of the nonces in the log")
        _, purge_start, purge_end = window
        first = samples[0][0] + 3 if samples else 0  # after warm-up
        quiet = [lat for sent, lat, _ in samples if first <= sent < purge_start]
        during = [lat for sent, lat, _ in samples if purge_start <= sent <= purge_end]
        after = [lat for sent, lat, _ in samples if sent > purge_end]
        bad = sum(1 for _, _, status in samples if status != 200)
        print("purge: %d nonces in %.2f s (%.0f rows/s)" % (window[0], purge_end - purge_start,
                                                           window[0] / max(purge_end - purge_start, 1e-3)))
        for name, lat in (("quiet", quiet), ("during purge", during), ("after", after)):
            print("callbacks %-13s n=%6d  %5.0f/s  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms"
                  % (name, len(lat), len(lat) / max(1e-3, (purge_start - first) if name == "quiet" else
                                                    (purge_end - purge_start) if name == "during purge"
                                                    else args.after_s),
                     p(lat, 0.5), p(lat, 0.99), max(lat) * 1000 if lat else float("nan")))
        print("p99 ratio during purge / quiet: %.2f, during / after: %.2f (target < 2); non-200 answers: %d"
              % (p(during, 0.99) / p(quiet, 0.99), p(during, 0.99) / p(after, 0.99), bad))
        # The old code's one statement, for reference, on a connection of its own.
        psql(db_url, """INSERT INTO nonces (app_id, nonce, seen_at) SELECT '%s', 'o-' || i,
            now() - interval '700 seconds' FROM generate_series(1, %d) i""" % (app_id, args.rows))
        psql(db_url, "VACUUM ANALYZE nonces")
        t0 = time.time()
        psql(db_url, "DELETE FROM nonces WHERE seen_at < now() - 600 * interval '1 second'")
        print("reference: the old single DELETE of %d rows took %.2f s (the writer's whole time, before)"
              % (args.rows, time.time() - t0))
    finally:
        server.stop()
        game.close()
        drop_database(db_url)
        os.unlink(config.name)


if __name__ == "__main__":
    main()
