// What a delivery attempt's answer means and what its record says (both pure).
#include "actors/delivery_attempt.hpp"

#include <gtest/gtest.h>

#include "net/bill_json.hpp"

namespace unipay {
namespace {

Result<OutboundResponse> answered(int status) { return OutboundResponse{status, "body"}; }

// Proves: every 2xx delivers with its status and no error; any other status is a failure
// that keeps the status and says what the game server answered.
TEST(ClassifyAttempt, TwoHundredsDeliverOthersFail) {
  for (int status : {200, 201, 204, 299}) {
    AttemptOutcome o = classify_attempt(answered(status));
    EXPECT_TRUE(o.delivered) << status;
    EXPECT_EQ(o.http_status, status);
    EXPECT_EQ(o.error, "");
  }
  for (int status : {100, 199, 300, 302, 404, 500, 503}) {
    AttemptOutcome o = classify_attempt(answered(status));
    EXPECT_FALSE(o.delivered) << status;
    EXPECT_EQ(o.http_status, status);
    EXPECT_EQ(o.error, "game server answered " + std::to_string(status));
  }
}

// Proves: no HTTP answer (network error, timeout) fails with no status and the transport's
// message as the error.
TEST(ClassifyAttempt, NoAnswerHasNoStatus) {
  AttemptOutcome o = classify_attempt(make_error(Errc::server_busy, "timed out after 10000 ms"));
  EXPECT_FALSE(o.delivered);
  EXPECT_EQ(o.http_status, std::nullopt);
  EXPECT_EQ(o.error, "timed out after 10000 ms");
}

// Proves: a recorded error is cut to its limit and holds only printable ASCII, so a NUL,
// a control character or bytes that are not valid UTF-8 can never make the row's write
// fail (PostgreSQL refuses them in text) or be cut mid-character.
// Proves: a delivery request carries the event its bill's state names, with the delivery
// id of that event: bill.paid with d_<id> for a paid bill, bill.refunded with r_<id> for a
// refunded one (never the bill.paid id, so a game server deduplicating on it keeps both).
TEST(BuildDeliveryRequest, EventAndDeliveryIdFollowTheBillState) {
  Bill bill;
  bill.bill_id = "b_0123ABC";
  const DeliveryTarget target{"app_1", "http://127.0.0.1:9/deliver?g=1", "secret"};
  for (BillState state : {BillState::paid, BillState::refunded}) {
    bill.state = state;
    auto request = build_delivery_request(target, bill, 1, 1'700'000'000, "nonce", std::chrono::seconds{1});
    ASSERT_TRUE(request.ok());
    const bool refunded = state == BillState::refunded;
    EXPECT_NE(request->body.find(refunded ? R"("event":"bill.refunded")" : R"("event":"bill.paid")"),
              std::string::npos)
        << request->body;
    EXPECT_NE(request->body.find(refunded ? R"("delivery_id":"r_0123ABC")" : R"("delivery_id":"d_0123ABC")"),
              std::string::npos)
        << request->body;
  }
  EXPECT_EQ(delivery_id_for("b_0123ABC"), "d_0123ABC");
}

TEST(RecordableError, PrintableAsciiWithinTheLimit) {
  EXPECT_EQ(recordable_error("connect 127.0.0.1:9: refused"), "connect 127.0.0.1:9: refused");
  EXPECT_EQ(recordable_error(std::string("a\0b\n\tc\x7f", 7)), "a?b??c?");
  EXPECT_EQ(recordable_error("h\xc3\xa9llo \xff"), "h??llo ?");
  EXPECT_EQ(recordable_error(std::string(2000, 'x')).size(), kMaxRecordedErrorBytes);
  EXPECT_EQ(recordable_error("abcdef", 3), "abc");
  EXPECT_EQ(recordable_error(""), "");
}

}  // namespace
}  // namespace unipay
