// select_bill_versions against a real PostgreSQL: the versions of the bills asked for, and
// the array literal survives any text.
#include "storage/bill_versions.hpp"

#include <gtest/gtest.h>

#include <map>

#include "storage/store_fixture.hpp"

namespace unipay::storage {
namespace {

// The literal quotes every element, so quotes, backslashes, commas and braces stay text.
TEST(BillVersionsTest, ArrayLiteralEscapesQuotesAndBackslashes) {
  EXPECT_EQ(text_array_literal({}), "{}");
  EXPECT_EQ(text_array_literal({"a", "b\"c", "d\\e", "{x,y}"}), R"({"a","b\"c","d\\e","{x,y}"})");
}

using BillVersionsStoreTest = test::StoreTest;

// Only the bills asked for, each with its current version; unknown ids are simply absent.
TEST_F(BillVersionsStoreTest, ReadsTheVersionsOfTheBillsAskedFor) {
  insert(test::sample_bill("b_versions_test_000000000001", app_id_));
  insert(test::sample_bill("b_versions_test_000000000002", app_id_));
  insert(test::sample_bill("b_versions_test_000000000003", app_id_));
  run({"UPDATE bills SET version = version + 2 WHERE bill_id = $1", {"b_versions_test_000000000002"}});
  auto rows = test::read_sync(*db_, select_bill_versions({"b_versions_test_000000000002",
                                                          "b_versions_test_000000000003", "b_unknown"}));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  auto versions = parse_bill_versions(*rows);
  std::map<std::string, int64_t> by_id;
  for (const auto& v : versions) by_id[v.bill_id] = v.version;
  EXPECT_EQ(by_id, (std::map<std::string, int64_t>{{"b_versions_test_000000000002", 3},
                                                   {"b_versions_test_000000000003", 1}}));
}

}  // namespace
}  // namespace unipay::storage
