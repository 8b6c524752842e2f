"""scripts/pg-floor.sh (issue 10, docs/BENCHMARKS.md "The floor, measured"): against a
database unipayd migrated, it writes complete lifecycles (nonce, bill paid then delivered,
job added and removed, callback audit, delivery attempt) through the schema's own
constraints, and prints the rate and PostgreSQL's CPU per lifecycle."""

import os
import re
import subprocess

from harness import E2ECase, query_rows

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-floor.sh")


def pg_floor(*args):
    return subprocess.run(["bash", SCRIPT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120, text=True)


class PgFloorTest(E2ECase):
    def test_it_writes_whole_lifecycles_and_reports_cpu_per_lifecycle(self):
        """Every bill it wrote is delivered at version 3 with one audit row and one attempt,
        no delivery job is left, and both figures are printed."""
        result = pg_floor("--conninfo", self.db_url, "--app", self.app.app_id, "--seconds", "1",
                          "--per-commit", "5")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"pg-floor: lifecycle, 5 lifecycles per COMMIT, \d+ lifecycles/s for 1 s")
        cpu = re.search(r"pg-floor: postgres CPU [\d.]+ s, ([\d.]+) us per lifecycle", result.stdout)
        self.assertIsNotNone(cpu, result.stdout)
        self.assertGreater(float(cpu.group(1)), 0.0)
        (delivered, audits, attempts, jobs, half_done), = query_rows(
            self.db_url,
            "SELECT (SELECT count(*) FROM bills WHERE bill_id LIKE 'floor\\_%' AND state = 'delivered' "
            "AND version = 3), "
            "(SELECT count(*) FROM callbacks WHERE bill_id LIKE 'floor\\_%'), "
            "(SELECT count(*) FROM delivery_attempts WHERE bill_id LIKE 'floor\\_%'), "
            "(SELECT count(*) FROM jobs WHERE bill_id LIKE 'floor\\_%'), "
            "(SELECT count(*) FROM bills WHERE bill_id LIKE 'floor\\_%' AND state = 'paid')")
        self.assertGreater(int(delivered), 0)
        self.assertEqual(int(delivered) % 5, 0, "whole transactions of 5 lifecycles")
        self.assertEqual((audits, attempts, jobs, half_done), (delivered, delivered, "0", "0"))

    def test_create_only_writes_created_bills_and_their_nonces(self):
        """--create-only: bills stay created, each with its nonce, nothing else is written."""
        result = pg_floor("--conninfo", self.db_url, "--app", self.app.app_id, "--seconds", "1",
                          "--per-commit", "3", "--create-only", "--no-pipeline")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("creation only (nonce and bill), 3 lifecycles per COMMIT", result.stdout)
        (created, nonces, audits), = query_rows(
            self.db_url,
            "SELECT (SELECT count(*) FROM bills WHERE bill_id LIKE 'floor\\_%' AND state = 'created'), "
            "(SELECT count(*) FROM nonces n JOIN bills b ON b.bill_id = n.nonce AND b.state = 'created' "
            "WHERE n.nonce LIKE 'floor\\_%'), "
            "(SELECT count(*) FROM callbacks c JOIN bills b ON b.bill_id = c.bill_id AND b.state = 'created')")
        self.assertGreater(int(created), 0)
        self.assertEqual(int(created) % 3, 0, "whole transactions of 3 creations")
        self.assertEqual((nonces, audits), (created, "0"))

    def test_an_unknown_app_fails_without_writing(self):
        """Bills must reference an app: a wrong --app fails (the foreign key) and writes nothing."""
        before = query_rows(self.db_url, "SELECT count(*) FROM bills")[0][0]
        result = pg_floor("--conninfo", self.db_url, "--app", "app_missing", "--seconds", "1")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(query_rows(self.db_url, "SELECT count(*) FROM bills")[0][0], before)

    def test_arguments_that_cannot_work_are_refused_before_anything_runs(self):
        """An app id that is not an id (it would go into the SQL text), or counts that are not
        positive numbers, exit 2 with a message and write nothing."""
        before = query_rows(self.db_url, "SELECT count(*) FROM bills")[0][0]
        for args in (["--app", "x'); DROP TABLE bills; --"], ["--app", self.app.app_id, "--per-commit", "0"],
                     ["--app", self.app.app_id, "--seconds", "ten"]):
            result = pg_floor("--conninfo", self.db_url, *args)
            self.assertEqual(result.returncode, 2, args)
            self.assertIn("pg-floor: --", result.stderr)
        self.assertEqual(query_rows(self.db_url, "SELECT count(*) FROM bills")[0][0], before)


if __name__ == "__main__":
    import unittest
    unittest.main()
