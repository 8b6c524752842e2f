"""POST /v1/bills/{id}/verify (DESIGN.md §3, issue 9) on its refusal paths: a channel that
takes no receipts, a missing receipt and an unknown bill are refused in the error envelope
with the bill unchanged, for the signed app and for the bill's client token alike. The Apple
receipt path with a simulator that signs like the App Store is not covered here yet."""

import unittest

from harness import E2ECase


class BillVerifyRefusals(E2ECase):

    def verify_signed(self, bill_id, body):
        return self.app.request("POST", "/v1/bills/%s/verify" % bill_id, body)

    def verify_client(self, bill_id, token, body):
        return self.server.request("POST", "/v1/bills/%s/verify" % bill_id, body,
                                   headers={"Authorization": "Bearer " + token})

    def test_sandbox_bill_takes_no_receipt(self):
        """A sandbox bill has no receipts: 400 invalid_parameter, signed or by client token,
        and the bill stays created."""
        bill, token = self.app.new_bill()
        self.assertError(self.verify_signed(bill["bill_id"], {"receipt": "x"}), "invalid_parameter")
        self.assertError(self.verify_client(bill["bill_id"], token, {"receipt": "x"}), "invalid_parameter")
        self.assertState(self.app, bill["bill_id"], "created")

    def test_missing_receipt(self):
        """No receipt string: 400 invalid_parameter, the bill unchanged."""
        bill, _ = self.app.new_bill()
        self.assertError(self.verify_signed(bill["bill_id"], {}), "invalid_parameter")
        self.assertError(self.verify_signed(bill["bill_id"], {"receipt": 5}), "invalid_parameter")
        self.assertState(self.app, bill["bill_id"], "created")

    def test_unknown_bill_and_wrong_token(self):
        """An unknown bill, or another bill's client token: 404 not_found (existence is not revealed)."""
        bill, _ = self.app.new_bill()
        _, other_token = self.app.new_bill()
        unknown = "b_" + "0" * 26
        self.assertError(self.verify_signed(unknown, {"receipt": "x"}), "not_found")
        self.assertError(self.verify_client("nope", other_token, {"receipt": "x"}), "not_found")
        self.assertError(self.verify_client(bill["bill_id"], other_token, {"receipt": "x"}), "not_found")
        self.assertState(self.app, bill["bill_id"], "created")


if __name__ == "__main__":
    unittest.main()
