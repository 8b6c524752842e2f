// net/wallet_json: the public form of accounts, entries and holds, byte for byte (op_id
// replays answer the same bytes from the same facts, so the form must be deterministic).
#include "net/wallet_json.hpp"

#include <gtest/gtest.h>

namespace unipay {
namespace {

Millis at(int64_t ms) { return Millis{std::chrono::milliseconds{ms}}; }

Account sample_account() {
  Account a;
  a.app_id = "app1";
  a.account_id = "u_42";
  a.unit = "COIN";
  a.balance_minor = 500;
  a.held_minor = 120;
  a.version = 3;
  a.created_at = at(1'700'000'000'000);
  a.updated_at = at(1'700'000'000'123);
  return a;
}

// Proves the account shows available = balance - held, and no app_id.
TEST(WalletJson, Account) {
  EXPECT_EQ(account_envelope(sample_account()),
            R"({"account":{"account_id":"u_42","unit":"COIN","balance":500,"held":120,"available":380,)"
            R"("frozen":false,"version":3,"created_at":"2023-11-14T22:13:20.000Z",)"
            R"("updated_at":"2023-11-14T22:13:20.123Z"}})");
}

// Proves an entry's info is the stored JSON text as is, hold_id and info null when none.
TEST(WalletJson, EntryAndHold) {
  LedgerEntry e;
  e.entry_id = 7;
  e.op_id = "c-1";
  e.kind = EntryKind::debit;
  e.amount_minor = -20;
  e.balance_before_minor = 100;
  e.balance_after_minor = 80;
  e.created_at = at(0);
  EXPECT_EQ(
      entry_json(e),
      R"({"entry_id":7,"op_id":"c-1","kind":"debit","amount":-20,"balance_before":100,)"
      R"("balance_after":80,"hold_id":null,"reason":"","info":null,"created_at":"1970-01-01T00:00:00.000Z"})");
  e.hold_id = "h_1";
  e.info_json = R"({"a":[1,2]})";
  EXPECT_NE(entry_json(e).find(R"("hold_id":"h_1","reason":"","info":{"a":[1,2]})"), std::string::npos);

  OpResult r;
  r.account = sample_account();
  Hold h;
  h.hold_id = "h_1";
  h.account_id = "u_42";
  h.amount_minor = 120;
  h.state = HoldState::active;
  h.expires_at = at(1000);
  r.hold = h;
  const std::string body = op_result_json(r);
  EXPECT_EQ(body.rfind(R"({"hold":{"hold_id":"h_1","account_id":"u_42","amount":120,"captured_amount":0,)"
                       R"("state":"active","expires_at":"1970-01-01T00:00:01.000Z"},"account":{)",
                       0),
            0u);
  EXPECT_EQ(body.find("\"entry\""), std::string::npos) << "no entry key without an entry";
}

}  // namespace
}  // namespace unipay
