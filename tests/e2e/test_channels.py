"""Alipay and WeChat Pay end to end against `unipay-provider-sim` (issue 12): unipayd is
pointed at the simulator (--providers-*-url, --allow-private-providers), an app holds the
merchant credentials the simulator made, bills are prepared through the provider, the
simulator sends notifications signed like the provider, and unipay answers each in the
provider's own format. Every tampered notification is refused and changes nothing."""

import json
import re
import secrets
import time
import unittest

from channel_sim import ProviderSim, SimulatorCase
from harness import E2ECase, Server, new_trade_no, query_rows, sandbox_callback, wait_until

AMOUNT_MINOR = 100
CURRENCY = "CNY"


class ChannelCase(SimulatorCase):
    """One simulator, one unipayd pointed at it, two apps with their own merchant of CHANNEL."""

    CHANNEL = None
    TAMPERS = {}  # tamper → the refusal's HTTP status

    @classmethod
    def setUpClass(cls):
        if cls.CHANNEL is None:
            raise unittest.SkipTest("base class")
        super().setUpClass()
        cls.pay_app, cls.merchant = cls.make_channel_app()
        cls.other_app, cls.other_merchant = cls.make_channel_app()

    @classmethod
    def make_channel_app(cls):
        """An app with a sandbox secret and a fresh simulator merchant of CHANNEL."""
        made = cls.sim.merchant(cls.CHANNEL)
        return cls.make_app(channels={cls.CHANNEL: made["credentials"]}), made["merchant"]

    # -- helpers

    def new_bill(self, client=None, **fields):
        client = client or self.pay_app
        r = client.create_bill(channel=self.CHANNEL, amount=AMOUNT_MINOR, currency=CURRENCY, **fields)
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        return doc["bill"], doc["pay"]

    def payer_pays(self, pay):
        """What the client SDK does with `pay` (Alipay: the payer pays the signed order)."""

    def assertAccepted(self, answer):
        raise NotImplementedError

    def assertRefused(self, answer, status):
        raise NotImplementedError

    def audits(self, bill_id):
        return query_rows(self.db_url, "SELECT channel, app_id, verdict, length(body_sha256) FROM callbacks "
                                       "WHERE bill_id = '%s' ORDER BY callback_id" % bill_id)

    def metric(self, name, labels):
        text = self.server.request("GET", "/metrics").body.decode()
        m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)), text, re.M)
        return int(m.group(1)) if m else 0

    # -- tests

    def test_replayed_create_is_refused_and_makes_no_bill(self):
        """A create replayed with its nonce is 401 replayed and makes no second bill, whether
        the prepare asks the provider (WeChat Pay: the nonce is recorded alone before the
        provider is asked) or not (Alipay: the bill's insert records it)."""
        nonce = "n" + secrets.token_hex(12)
        body = self.pay_app.bill_body(user_id="u_replay", channel=self.CHANNEL, amount=AMOUNT_MINOR,
                                      currency=CURRENCY)
        first = self.pay_app.request("POST", "/v1/bills", body, nonce=nonce)
        self.assertEqual(first.status, 201, first)
        again = self.pay_app.request("POST", "/v1/bills", body, nonce=nonce, check_response=False)
        self.assertEqual((again.status, again.json()["error"]["code"]), (401, "replayed"), again)
        self.assertEqual([b["bill_id"] for b in self.pay_app.list_bills(user_id="u_replay").json()["bills"]],
                         [first.json()["bill"]["bill_id"]])

    def test_prepare_pay_notify_deliver_once(self):
        """Prepare (through the provider) → the payer pays → a signed notification is answered
        in the provider's success format → the bill is paid and delivered to the game server;
        the same notification again is acknowledged alike and delivers nothing more; the
        callbacks are audited with the channel, app, verdict and body hash."""
        bill, pay = self.new_bill()
        self.check_pay(bill, pay)
        self.payer_pays(pay)
        self.assertAccepted(self.sim.notify(self.CHANNEL, self.merchant, bill["bill_id"]))
        self.wait_state(self.pay_app, bill["bill_id"], "delivered")
        self.assertTrue(self.game.wait_confirmed([bill["bill_id"]], 15))
        self.assertAccepted(self.sim.notify(self.CHANNEL, self.merchant, bill["bill_id"]))
        time.sleep(0.5)
        self.assertEqual(self.game.count(bill["bill_id"]), 1)
        self.assertEqual(self.assertState(self.pay_app, bill["bill_id"], "delivered")["amount"], AMOUNT_MINOR)
        rows = self.audits(bill["bill_id"])
        self.assertEqual([r[2] for r in rows], ["accepted", "ignored"], rows)
        for row in rows:
            self.assertEqual(row[:2], [self.CHANNEL, self.pay_app.app_id])
            self.assertEqual(row[3], "64")

    def test_refund_of_the_whole_amount_refunds_the_delivered_bill(self):
        """A signed refund notification giving back the bill's whole amount (the refund
        amount travels from the adapter to the bill rules) moves the delivered bill to
        refunded and is answered in the provider's success format. (A partial refund leaves
        the bill as it is: tests/actors/bill_rules_test.cpp, the refund table.)"""
        bill, pay = self.new_bill()
        self.payer_pays(pay)
        self.assertAccepted(self.sim.notify(self.CHANNEL, self.merchant, bill["bill_id"]))
        self.wait_state(self.pay_app, bill["bill_id"], "delivered")
        self.assertAccepted(self.sim.notify(self.CHANNEL, self.merchant, bill["bill_id"], outcome="refunded"))
        self.assertState(self.pay_app, bill["bill_id"], "refunded")
        self.assertEqual([r[2] for r in self.audits(bill["bill_id"])], ["accepted", "accepted"])

    def test_idempotent_create_replays_the_same_pay(self):
        """A create retried with its Idempotency-Key answers the first answer's bytes, pay
        object included, and the provider is not asked for a second order."""
        key = "k_" + secrets.token_hex(8)
        body = dict(channel=self.CHANNEL, amount=AMOUNT_MINOR, currency=CURRENCY)
        first = self.pay_app.create_bill(idempotency_key=key, **body)
        again = self.pay_app.create_bill(idempotency_key=key, **body)
        self.assertEqual(first.status, 201, first)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.json()["pay"], first.json()["pay"])

    def test_each_tampered_notification_is_refused_and_changes_nothing(self):
        """Signature, amount, currency, merchant, app (and for WeChat Pay a stale timestamp
        and an unknown key serial): each is refused with a 4xx in the provider's failure
        format, the bill stays created, nothing is delivered, and the refusal is counted in
        /metrics by channel and reason."""
        bill, pay = self.new_bill()
        self.payer_pays(pay)
        for tamper, status in self.TAMPERS.items():
            with self.subTest(tamper=tamper):
                self.assertRefused(self.sim.notify(self.CHANNEL, self.merchant, bill["bill_id"], tamper=tamper),
                                   status)
                self.assertState(self.pay_app, bill["bill_id"], "created")
        self.assertEqual(self.game.count(bill["bill_id"]), 0)
        # Audited: refusals by the bill (amount, currency) name it; refusals by the verification
        # go to the batched audit sink (written within 250 ms), with the channel and app.
        self.assertEqual([r[2] for r in self.audits(bill["bill_id"])], ["refused:conflict"] * 2)
        refused = "SELECT count(*) FROM callbacks WHERE app_id = '%s' AND channel = '%s' AND verdict LIKE 'refused:%%'"
        self.assertTrue(wait_until(lambda: int(query_rows(self.db_url, refused % (self.pay_app.app_id, self.CHANNEL))[0][0])
                                   >= len(self.TAMPERS), 5))
        self.assertGreaterEqual(self.metric("unipay_callbacks_refused_by_reason_total",
                                            'channel="%s",reason="bad_signature"' % self.CHANNEL), 1)
        self.assertGreaterEqual(self.metric("unipay_callbacks_refused_by_reason_total",
                                            'channel="%s",reason="conflict"' % self.CHANNEL), 1)
        # Still payable: a genuine notification afterwards is accepted.
        self.assertAccepted(self.sim.notify(self.CHANNEL, self.merchant, bill["bill_id"]))
        self.wait_state(self.pay_app, bill["bill_id"], ("paid", "delivered"))

    def test_another_apps_bill_is_refused(self):
        """A notification signed for this app's merchant naming another app's bill, sent to
        this app's callback URL, is refused (not found: existence is not revealed) and the
        other app's bill is unchanged."""
        theirs, _ = self.new_bill(client=self.other_app)
        ours = "http://127.0.0.1:%d/v1/callbacks/%s/%s" % (self.server.port, self.pay_app.app_id, self.CHANNEL)
        answer = self.sim.notify(self.CHANNEL, self.merchant, theirs["bill_id"], url=ours,
                                 amount_minor=AMOUNT_MINOR, currency=CURRENCY)
        self.assertRefused(answer, 404)
        self.assertState(self.other_app, theirs["bill_id"], "created")
        self.assertEqual(self.game.count(theirs["bill_id"]), 0)

    def test_channel_not_configured_for_the_app(self):
        """A bill of a channel the app has no credentials for is 400 invalid_parameter, and
        a notification to its callback URL is refused in the channel's format."""
        plain = self.make_app()  # sandbox only
        r = plain.create_bill(channel=self.CHANNEL, amount=AMOUNT_MINOR, currency=CURRENCY)
        self.assertError(r, "invalid_parameter")
        url = "http://127.0.0.1:%d/v1/callbacks/%s/%s" % (self.server.port, plain.app_id, self.CHANNEL)
        bill, _ = self.new_bill()
        answer = self.sim.notify(self.CHANNEL, self.merchant, bill["bill_id"], url=url,
                                 amount_minor=AMOUNT_MINOR, currency=CURRENCY)
        self.assertRefused(answer, 404)
        self.assertState(self.pay_app, bill["bill_id"], "created")

    def test_admin_refuses_unknown_channels_and_bad_credentials_at_once(self):
        """Admin create with an unknown channel and incomplete credentials of this channel
        is one 400 invalid_parameter naming every problem; nothing is created."""
        body = {"name": "bad-channels", "delivery_url": self.game.url,
                "channels": {"paypal": {}, self.CHANNEL: {"unknown_field": "x"}}}
        r = self.server.admin("POST", "/v1/admin/apps", body)
        self.assertError(r, "invalid_parameter")
        message = r.json()["error"]["message"]
        self.assertIn("unknown channel paypal", message)
        self.assertIn("channels.%s: " % self.CHANNEL, message)
        self.assertIn("unknown_field", message)

    def test_a_sandbox_notification_cannot_settle_a_channel_bill(self):
        """The same app's sandbox channel, correctly signed, naming a bill of this channel, is
        409 conflict: a bill is settled only by its own channel."""
        bill, _ = self.new_bill()
        r = sandbox_callback(self.server, self.pay_app.app_id, self.pay_app.sandbox_secret, bill["bill_id"],
                             new_trade_no(), "success", AMOUNT_MINOR, CURRENCY)
        self.assertError(r, "conflict")
        self.assertState(self.pay_app, bill["bill_id"], "created")

    def test_malformed_app_id_and_unknown_channel(self):
        """A callback URL whose app id cannot name an app is refused at once in the channel's
        format (404); an unknown channel name is 404 not_found in unipay's error envelope."""
        r = self.server.request("POST", "/v1/callbacks/not-an-app/%s" % self.CHANNEL, b"x=1")
        self.assertRefused((r.status, r.body.decode()), 404)
        r = self.server.request("POST", "/v1/callbacks/%s/paypal" % self.pay_app.app_id, b"{}")
        self.assertError(r, "not_found")


class AlipayTest(ChannelCase):
    CHANNEL = "alipay"
    TAMPERS = {"signature": 401, "amount": 409, "currency": 409, "merchant": 409, "app": 409}

    def check_pay(self, bill, pay):
        self.assertEqual(set(pay), {"order_string"}, pay)
        self.assertIn("out_trade_no", pay["order_string"])
        self.assertIn(bill["bill_id"], pay["order_string"])

    def payer_pays(self, pay):
        self.sim.payer_pays("alipay", self.merchant, None, pay, AMOUNT_MINOR, CURRENCY)

    def assertAccepted(self, answer):
        self.assertEqual(answer, (200, "success"))

    def assertRefused(self, answer, status):
        self.assertEqual(answer, (status, "failure"))


class WechatpayTest(ChannelCase):
    CHANNEL = "wechatpay"
    TAMPERS = {"signature": 401, "amount": 409, "currency": 409, "merchant": 409, "app": 409,
               "stale_timestamp": 401, "unknown_serial": 401}

    def check_pay(self, bill, pay):
        self.assertEqual(set(pay), {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"},
                         pay)
        self.assertEqual(pay["package"], "Sign=WXPay")
        self.assertTrue(pay["prepayid"])

    def assertAccepted(self, answer):
        self.assertEqual(answer, (204, ""))

    def assertRefused(self, answer, status):
        self.assertEqual(answer[0], status, answer)
        doc = json.loads(answer[1])
        self.assertEqual(set(doc), {"code", "message"}, doc)
        self.assertEqual(doc["code"], "FAIL")


class UnreachableProviderTest(E2ECase):
    """WeChat Pay's prepay API cannot be reached: the create is 503 server_busy (ret -1, the
    outcome unknown, retry) and no bill exists."""

    @classmethod
    def setUpClass(cls):
        cls.sim = ProviderSim()
        cls.credentials = cls.sim.merchant("wechatpay")["credentials"]
        cls.sim.stop()  # its port now refuses connections
        super().setUpClass()

    @classmethod
    def start_server(cls, extra_args=None):
        server = Server(cls.db_url, name="unipayd-" + cls.__name__)
        server.args += ["--allow-private-providers", "--providers-wechatpay-url", cls.sim.base,
                        "--public-base-url", "http://127.0.0.1:%d" % server.port]
        cls.servers.append(server)
        cls.addClassCleanup(server.stop)
        server.start()
        return server

    def test_create_is_server_busy_and_creates_nothing(self):
        client = self.app
        r = self.server.admin("PUT", "/v1/admin/apps/" + client.app_id, {"channels": {
            "sandbox": {"secret": client.sandbox_secret}, "wechatpay": self.credentials}})
        self.assertEqual(r.status, 200, r)
        time.sleep(1.1)
        r = client.create_bill(user_id="u_down", channel="wechatpay", amount=AMOUNT_MINOR, currency=CURRENCY)
        self.assertError(r, "server_busy")
        self.assertEqual(client.list_bills(user_id="u_down").json()["bills"], [])


if __name__ == "__main__":
    unittest.main()
