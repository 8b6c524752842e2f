// Proves the create-bill validation of DESIGN.md §2/§7.5: required fields, limits, money
// types, and the catalog rule (catalog prices win; a differing client value is refused).
#include "net/bill_request.hpp"

#include <gtest/gtest.h>

namespace unipay {
namespace {

Result<CreateRequest> parse(std::string_view text) {
  auto body = json::parse(text);
  EXPECT_TRUE(body.ok()) << text;
  return parse_create_request(*body, CreateLimits{});
}

Errc code_of(const Result<CreateRequest>& r) { return r.ok() ? Errc::server_busy : r.error().code; }

TEST(BillRequest, FullRequestIsRead) {
  auto r = parse(R"({"user_id":"u","item_id":"i","channel":"sandbox","amount":499,"currency":"USD",
                     "coins":5,"bill_type":"recharge","passinfo":"p","extra":{"a":[1,2]}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->amount_minor, 499);
  EXPECT_EQ(r->currency, "USD");
  EXPECT_EQ(r->coins, 5);
  EXPECT_EQ(r->bill_type, BillType::recharge);
  EXPECT_EQ(r->extra_json, R"({"a":[1,2]})");
}

TEST(BillRequest, RequiredFieldsAreRequired) {
  for (auto text :
       {R"({"item_id":"i","channel":"sandbox"})", R"({"user_id":"u","channel":"sandbox"})",
        R"({"user_id":"u","item_id":"i"})", R"({"user_id":"","item_id":"i","channel":"sandbox"})"}) {
    EXPECT_EQ(code_of(parse(text)), Errc::invalid_parameter) << text;
  }
}

TEST(BillRequest, MoneyMustBeIntegerMinorUnitsAndIsoCurrency) {
  for (auto text : {R"({"user_id":"u","item_id":"i","channel":"s","amount":100.0})",
                    R"({"user_id":"u","item_id":"i","channel":"s","amount":1e2})",
                    R"({"user_id":"u","item_id":"i","channel":"s","amount":"100"})",
                    R"({"user_id":"u","item_id":"i","channel":"s","amount":0})",
                    R"({"user_id":"u","item_id":"i","channel":"s","amount":-5})",
                    R"({"user_id":"u","item_id":"i","channel":"s","currency":"usd"})",
                    R"({"user_id":"u","item_id":"i","channel":"s","currency":"USDT"})",
                    R"({"user_id":"u","item_id":"i","channel":"s","coins":-1})"}) {
    EXPECT_EQ(code_of(parse(text)), Errc::invalid_parameter) << text;
  }
}

TEST(BillRequest, LimitsOnPassinfoAndExtra) {
  std::string passinfo(1025, 'x');
  EXPECT_EQ(code_of(parse(R"({"user_id":"u","item_id":"i","channel":"s","passinfo":")" + passinfo + "\"}")),
            Errc::invalid_parameter);
  std::string extra =
      R"({"user_id":"u","item_id":"i","channel":"s","extra":{"k":")" + std::string(4100, 'x') + "\"}}";
  EXPECT_EQ(code_of(parse(extra)), Errc::invalid_parameter);
  EXPECT_EQ(code_of(parse(R"({"user_id":"u","item_id":"i","channel":"s","extra":[1]})")),
            Errc::invalid_parameter);
  EXPECT_EQ(code_of(parse(R"({"user_id":"u","item_id":"i","channel":"s","bill_type":"gift"})")),
            Errc::invalid_parameter);
}

TEST(BillRequest, WithoutCatalogAmountAndCurrencyAreRequired) {
  auto no_amount = parse(R"({"user_id":"u","item_id":"i","channel":"s","currency":"USD"})");
  ASSERT_TRUE(no_amount.ok());
  EXPECT_FALSE(settle_price(*no_amount, std::nullopt).ok());
  auto full = parse(R"({"user_id":"u","item_id":"i","channel":"s","amount":5,"currency":"USD"})");
  auto settled = settle_price(*full, std::nullopt);
  ASSERT_TRUE(settled.ok());
  EXPECT_EQ(settled->coins, 0);
}

TEST(BillRequest, CatalogPriceWinsAndDifferencesAreRefused) {
  storage::CatalogItem item{"gem", 300, "EUR", 30};
  auto omitted = settle_price(*parse(R"({"user_id":"u","item_id":"gem","channel":"s"})"), item);
  ASSERT_TRUE(omitted.ok());
  EXPECT_EQ(omitted->amount_minor, 300);
  EXPECT_EQ(omitted->currency, "EUR");
  EXPECT_EQ(omitted->coins, 30);
  EXPECT_TRUE(
      settle_price(*parse(R"({"user_id":"u","item_id":"gem","channel":"s","amount":300,"currency":"EUR"})"),
                   item)
          .ok());
  EXPECT_FALSE(
      settle_price(*parse(R"({"user_id":"u","item_id":"gem","channel":"s","amount":299})"), item).ok());
  EXPECT_FALSE(
      settle_price(*parse(R"({"user_id":"u","item_id":"gem","channel":"s","currency":"USD"})"), item).ok());
  EXPECT_FALSE(
      settle_price(*parse(R"({"user_id":"u","item_id":"gem","channel":"s","coins":31})"), item).ok());
}

}  // namespace
}  // namespace unipay
