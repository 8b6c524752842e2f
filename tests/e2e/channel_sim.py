"""unipay-provider-sim for the e2e tests (issue 12): the simulator as a child process on a
free loopback port, its control API (/sim/, see bench/provider_sim/control_api.hpp), the
unipayd flags that point the provider URLs at it, and SimulatorCase, the test class base
that runs one simulator beside the class's unipayd. Shared by every channel test."""

import os
import subprocess
import unittest

from harness import E2ECase, Server, free_port, http_request


def sim_binary():
    """UNIPAY_PROVIDER_SIM (set by CTest), else the one next to UNIPAYD in the build tree."""
    binary = os.environ.get("UNIPAY_PROVIDER_SIM") or os.path.join(
        os.path.dirname(os.environ.get("UNIPAYD", "")), "bench", "unipay-provider-sim")
    if not os.access(binary, os.X_OK):
        raise unittest.SkipTest("no unipay-provider-sim at %s (set UNIPAY_PROVIDER_SIM)" % binary)
    return binary


class ProviderSim:
    """One unipay-provider-sim process on a free loopback port (its control API: /sim/)."""

    def __init__(self, port=None):
        binary = sim_binary()
        self.port = port or free_port()
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:%d" % self.port],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True)
        first = self.proc.stdout.readline()
        if "listening on" not in first:
            self.stop()
            raise AssertionError("unipay-provider-sim did not start: %r" % first)
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def server_args(self):
        """unipayd flags sending Alipay's and WeChat Pay's API calls to this simulator."""
        return ["--allow-private-providers", "--providers-alipay-url", self.base + "/gateway.do",
                "--providers-wechatpay-url", self.base]

    def post(self, path, body):
        r = http_request(self.port, "POST", path, body)
        if r.status != 200:
            raise AssertionError("simulator %s → %r" % (path, r))
        return r.json()

    def merchant(self, channel):
        """A new merchant: {"merchant": id, "credentials": what the app's channels[channel] holds}."""
        return self.post("/sim/merchants", {"channel": channel})

    def payer_pays(self, channel, merchant, bill_id, pay, amount_minor, currency):
        """What the payer's provider app does with the create answer's `pay`: Alipay pays the
        signed order string; WeChat Pay pays the prepaid order. No notification is sent."""
        if channel == "alipay":
            return self.post("/sim/orders", {"channel": "alipay", "order_string": pay["order_string"]})
        return self.post("/sim/orders", {"channel": channel, "merchant": merchant, "bill_id": bill_id,
                                         "state": "paid", "amount_minor": amount_minor, "currency": currency})

    def order(self, channel, merchant, bill_id):
        """The order as the simulator sees it (state, trade_no, ...)."""
        return http_request(self.port, "GET", "/sim/orders/%s/%s/%s" % (channel, merchant, bill_id)).json()

    def outage(self, requests):
        """The next `requests` provider API calls are answered 503 (0 ends the outage)."""
        return self.post("/sim/outage", {"requests": requests})

    def notify(self, channel, merchant, bill_id, **fields):
        """Sends a signed notification; returns unipay's answer as (status, body)."""
        answer = self.post("/sim/notify", dict(channel=channel, merchant=merchant, bill_id=bill_id, **fields))
        return answer["status"], answer["body"]


class SimulatorCase(E2ECase):
    """E2ECase with one simulator for the class (`cls.sim`), started before unipayd and
    stopped after it, and unipayd pointed at it: `sim_server_args(server)` gives the flags
    (by default Alipay's and WeChat Pay's URLs and the server's own --public-base-url, the
    notify URL passed to providers); subclasses override it for other channels."""

    @classmethod
    def setUpClass(cls):
        cls.sim = ProviderSim()
        try:
            super().setUpClass()
        except BaseException:
            cls.sim.stop()
            raise
        cls.addClassCleanup(cls.sim.stop)

    @classmethod
    def sim_server_args(cls, server):
        return cls.sim.server_args() + ["--public-base-url", "http://127.0.0.1:%d" % server.port]

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, cls.SERVER_ARGS if extra_args is None else extra_args,
                        cls.BACKOFF_INITIAL_MS, cls.BACKOFF_MAX_MS, name="unipayd-" + cls.__name__)
        server.args += cls.sim_server_args(server)
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        return server
