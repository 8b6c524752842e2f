"""The allocator unipayd runs on (cmake/Allocator.cmake, docs/DEPLOYMENT.md "Allocator") is the
one the build chose, and under jemalloc /metrics shows what it holds, so an operator can tell
live heap from memory the allocator keeps."""
import os
import re
import unittest

from harness import E2ECase


class AllocatorMetricsTest(E2ECase):
    def metrics(self):
        return self.server.request("GET", "/metrics").body.decode()

    def gauge(self, text, name):
        match = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        return int(match.group(1)) if match else None

    def test_metrics_name_the_allocator_the_build_chose(self):
        """Proves unipayd runs on the allocator CMake picked (UNIPAY_ALLOCATOR_USED, passed by
        ctest), not merely that it was linked: the name comes from the running process."""
        expected = os.environ.get("UNIPAY_ALLOCATOR")
        if not expected:
            self.skipTest("UNIPAY_ALLOCATOR not set (run through ctest)")
        self.assertIn('unipay_allocator_info{allocator="%s"} 1' % expected, self.metrics())

    def test_jemalloc_gauges_describe_the_heap(self):
        """Proves the jemalloc gauges are there after real traffic and consistent: live
        allocations > 0, resident >= allocated (resident includes them)."""
        text = self.metrics()
        if 'allocator="jemalloc"' not in text:
            self.skipTest("unipayd runs on the system allocator")
        for _ in range(50):
            self.app.create_bill()
        text = self.metrics()
        allocated = self.gauge(text, "unipay_allocator_allocated_bytes")
        resident = self.gauge(text, "unipay_allocator_resident_bytes")
        retained = self.gauge(text, "unipay_allocator_retained_bytes")
        self.assertIsNotNone(retained)
        self.assertGreater(allocated, 0)
        self.assertGreaterEqual(resident, allocated)


if __name__ == "__main__":
    unittest.main()
