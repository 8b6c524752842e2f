// net/report_format: the text of reconciliation, statements, settlement and the channel
// report: RFC 4180 CSV escaping, valid JSON across pages, exact money figures.
#include "net/report_format.hpp"

#include <gtest/gtest.h>

#include "net/json.hpp"

namespace unipay {
namespace {

Millis at_ms(int64_t ms) { return Millis{std::chrono::milliseconds{ms}}; }

constexpr int64_t kDay = 1795219200000;  // 2026-11-21T00:00:00.000Z

storage::StatementEntry entry(int64_t id, int64_t amount, int64_t before, std::string reason = "",
                              std::string info = "") {
  LedgerEntry e;
  e.entry_id = id;
  e.app_id = "app_1";
  e.account_id = "player,1";
  e.op_id = "op-" + std::to_string(id);
  e.kind = amount > 0 ? EntryKind::credit : EntryKind::debit;
  e.amount_minor = amount;
  e.balance_before_minor = before;
  e.balance_after_minor = before + amount;
  e.reason = std::move(reason);
  e.info_json = std::move(info);
  e.created_at = at_ms(kDay + id);
  return {e, "COIN"};
}

storage::StatementBill bill(std::string id, std::string state) {
  storage::StatementBill b;
  b.bill_id = std::move(id);
  b.user_id = "u1";
  b.item_id = "gem";
  b.channel = "sandbox";
  b.bill_type = "purchase";
  b.amount_minor = 499;
  b.currency = "USD";
  b.state = std::move(state);
  b.paid_at = at_ms(kDay + 5000);
  return b;
}

// Proves: fields are quoted exactly when RFC 4180 needs it, inner quotes doubled.
TEST(ReportFormat, CsvFieldEscaping) {
  EXPECT_EQ(csv_field("plain text"), "plain text");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(csv_field("lf\nonly"), "\"lf\nonly\"");
  EXPECT_EQ(csv_field("-100"), "-100");
}

// Proves: CSV only when Accept names text/csv (any case, with parameters, among others).
TEST(ReportFormat, AcceptHeaderChoosesTheFormat) {
  EXPECT_EQ(report_format("text/csv"), ReportFormat::csv);
  EXPECT_EQ(report_format("Text/CSV; charset=utf-8"), ReportFormat::csv);
  EXPECT_EQ(report_format("application/json, text/csv;q=0.5"), ReportFormat::csv);
  EXPECT_EQ(report_format(""), ReportFormat::json);
  EXPECT_EQ(report_format("application/json"), ReportFormat::json);
  EXPECT_EQ(report_format("text/csvx, */*"), ReportFormat::json);
  EXPECT_EQ(content_type(ReportFormat::json), "application/json");
  EXPECT_EQ(content_type(ReportFormat::csv).substr(0, 8), "text/csv");
}

// Proves: mismatches keep exact decimals (even beyond int64) as JSON numbers, a chain
// mismatch names its entry, and the CLI's form leads with the app id.
TEST(ReportFormat, ReconciliationJson) {
  storage::Reconciliation r;
  r.accounts_checked = 3;
  r.entries_checked = 10;
  r.mismatches.push_back({"app_1", "acc\"1", "balance", "18446744073709551616", "-5", 0});
  r.mismatches.push_back({"app_1", "acc2", "chain", "100", "90", 77});
  EXPECT_EQ(
      reconciliation_json(r),
      "{\"accounts_checked\":3,\"entries_checked\":10,\"mismatches\":["
      "{\"account_id\":\"acc\\\"1\",\"kind\":\"balance\",\"expected\":18446744073709551616,\"actual\":-5},"
      "{\"account_id\":\"acc2\",\"kind\":\"chain\",\"expected\":100,\"actual\":90,\"entry_id\":77}],"
      "\"truncated\":false}");
  storage::Reconciliation clean;
  EXPECT_EQ(reconciliation_json(clean, "app_9"),
            "{\"app_id\":\"app_9\",\"accounts_checked\":0,\"entries_checked\":0,\"mismatches\":[],"
            "\"truncated\":false}");
}

// Proves: a JSON statement written in several pages (and with empty pages) is one valid
// document with every entry and bill, in order, and nulls for what is absent.
TEST(ReportFormat, StatementJsonAcrossPages) {
  StatementText text(ReportFormat::json, "2026-11-21", at_ms(kDay), at_ms(kDay + 86400000));
  std::string doc = text.opening();
  doc += text.entries({entry(1, 500, 0), entry(2, -200, 500, "shop", "{\"sku\":\"a\"}")});
  doc += text.entries({});
  doc += text.entries({entry(3, 50, 300)});
  doc += text.between();
  doc += text.bills({bill("b_1", "refunded")});
  doc += text.bills({bill("b_2", "delivered")});
  doc += text.closing();
  auto parsed = json::parse(doc);
  ASSERT_TRUE(parsed.ok()) << doc;
  EXPECT_EQ(parsed->find("day")->string, "2026-11-21");
  EXPECT_EQ(parsed->find("from")->string, "2026-11-21T00:00:00.000Z");
  EXPECT_EQ(parsed->find("to")->string, "2026-11-22T00:00:00.000Z");
  const auto& entries = parsed->find("entries")->items;
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].find("amount")->integer, -200);
  EXPECT_EQ(entries[1].find("balance_after")->integer, 300);
  EXPECT_EQ(entries[1].find("info")->find("sku")->string, "a");
  EXPECT_EQ(entries[0].find("info")->kind, json::Value::Kind::null);
  EXPECT_EQ(entries[0].find("hold_id")->kind, json::Value::Kind::null);
  EXPECT_EQ(entries[2].find("created_at")->string, "2026-11-21T00:00:00.003Z");
  EXPECT_EQ(entries[0].find("unit")->string, "COIN");
  const auto& bills = parsed->find("bills")->items;
  ASSERT_EQ(bills.size(), 2u);
  EXPECT_EQ(bills[0].find("state")->string, "refunded");
  EXPECT_EQ(bills[1].find("amount")->integer, 499);
  EXPECT_EQ(bills[1].find("delivered_at")->kind, json::Value::Kind::null);
}

// Proves: an empty day is still a valid JSON document with empty lists.
TEST(ReportFormat, EmptyStatementJson) {
  StatementText text(ReportFormat::json, "2026-11-21", at_ms(kDay), at_ms(kDay + 86400000));
  const std::string doc =
      text.opening() + text.entries({}) + text.between() + text.bills({}) + text.closing();
  auto parsed = json::parse(doc);
  ASSERT_TRUE(parsed.ok()) << doc;
  EXPECT_TRUE(parsed->find("entries")->items.empty());
  EXPECT_TRUE(parsed->find("bills")->items.empty());
}

// Proves: the CSV statement has one header row, every row has as many fields as the
// header, and text with commas, quotes and line breaks is quoted per RFC 4180.
TEST(ReportFormat, StatementCsvRows) {
  StatementText text(ReportFormat::csv, "2026-11-21", at_ms(kDay), at_ms(kDay + 86400000));
  const std::string header = text.opening();
  EXPECT_EQ(header.substr(0, 27), "record,time,id,account_id,u");
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), long(statement_csv_columns().size() - 1));
  const std::string row = text.entries({entry(2, -200, 500, "say \"hi\", twice\r\nok")});
  EXPECT_EQ(row,
            "entry,2026-11-21T00:00:00.002Z,2,\"player,1\",COIN,debit,-200,500,300,op-2,,"
            "\"say \"\"hi\"\", twice\r\nok\",,,,,,,,,,,\r\n");
  EXPECT_EQ(text.between(), "");
  EXPECT_EQ(text.bills({bill("b_1", "paid")}),
            "bill,2026-11-21T00:00:05.000Z,b_1,,,,499,,,,,,,u1,gem,sandbox,purchase,USD,0,paid,,,false\r\n");
  EXPECT_EQ(text.closing(), "");
}

// Proves: settlement groups each unit's kinds with zeros for kinds without entries and
// the net change; channels carry paid/delivered/refunded counts and amounts.
TEST(ReportFormat, SettlementJsonAndCsv) {
  std::vector<storage::ChannelSettlement> channels{{"sandbox", "USD", 3, 300, 2, 200, 1, 100}};
  std::vector<storage::UnitSettlement> units{{"COIN", EntryKind::credit, 2, 700},
                                             {"COIN", EntryKind::debit, 1, -200},
                                             {"GEMS", EntryKind::recharge, 1, 50}};
  const std::string doc =
      settlement_text(ReportFormat::json, "2026-11", at_ms(kDay), at_ms(kDay + 1), channels, units);
  auto parsed = json::parse(doc);
  ASSERT_TRUE(parsed.ok()) << doc;
  EXPECT_EQ(parsed->find("month")->string, "2026-11");
  const auto& c = parsed->find("channels")->items.at(0);
  EXPECT_EQ(c.find("paid")->find("count")->integer, 3);
  EXPECT_EQ(c.find("delivered")->find("amount")->integer, 200);
  EXPECT_EQ(c.find("refunded")->find("amount")->integer, 100);
  const auto& u = parsed->find("units")->items;
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].find("unit")->string, "COIN");
  EXPECT_EQ(u[0].find("credits")->find("amount")->integer, 700);
  EXPECT_EQ(u[0].find("debits")->find("amount")->integer, -200);
  EXPECT_EQ(u[0].find("captures")->find("count")->integer, 0);
  EXPECT_EQ(u[0].find("net")->integer, 500);
  EXPECT_EQ(u[1].find("recharges")->find("count")->integer, 1);
  EXPECT_EQ(u[1].find("net")->integer, 50);
  EXPECT_EQ(settlement_text(ReportFormat::csv, "2026-11", at_ms(0), at_ms(1), channels, units),
            "section,name,currency,figure,count,amount\r\n"
            "channel,sandbox,USD,paid,3,300\r\nchannel,sandbox,USD,delivered,2,200\r\n"
            "channel,sandbox,USD,refunded,1,100\r\n"
            "unit,COIN,,credit,2,700\r\nunit,COIN,,debit,1,-200\r\nunit,GEMS,,recharge,1,50\r\n");
}

// Proves: the channel report lists each day's figures, in JSON and CSV.
TEST(ReportFormat, ChannelReport) {
  std::vector<storage::ChannelDay> days{{"2026-11-01", {"sandbox", "USD", 1, 100, 0, 0, 0, 0}},
                                        {"2026-11-02", {"sandbox", "USD", 0, 0, 1, 100, 0, 0}}};
  auto parsed = json::parse(channel_report_text(ReportFormat::json, "2026-11-01", "2026-11-30", days));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->find("granularity")->string, "day");
  EXPECT_EQ(parsed->find("days")->items.size(), 2u);
  EXPECT_EQ(parsed->find("days")->items[1].find("delivered")->find("count")->integer, 1);
  EXPECT_EQ(
      channel_report_text(ReportFormat::csv, "2026-11-01", "2026-11-30", days),
      "day,channel,currency,paid_count,paid_amount,delivered_count,delivered_amount,refunded_count,"
      "refunded_amount\r\n2026-11-01,sandbox,USD,1,100,0,0,0,0\r\n2026-11-02,sandbox,USD,0,0,1,100,0,0\r\n");
}

}  // namespace
}  // namespace unipay
