#include "net/report_format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "net/json.hpp"

namespace unipay {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Sums from reconciliation are exact decimals (numeric in SQL): written as JSON numbers of
// any size, which is valid JSON, so nothing is rounded; anything else stays a string.
void decimal(json::Writer& out, const std::string& text) {
  const size_t digits_from = !text.empty() && text[0] == '-' ? 1 : 0;
  const bool integer = text.size() > digits_from && std::all_of(text.begin() + digits_from, text.end(),
                                                                [](char c) { return c >= '0' && c <= '9'; });
  if (integer) {
    out.raw(text);
  } else {
    out.string(text);
  }
}

void figure(json::Writer& out, std::string_view name, int64_t count, int64_t amount) {
  out.key(name).begin_object().key("count").integer(count).key("amount").integer(amount).end_object();
}

void channel_figures(json::Writer& out, const storage::ChannelSettlement& s) {
  out.key("channel").string(s.channel).key("currency").string(s.currency);
  figure(out, "paid", s.paid_count, s.paid_minor);
  figure(out, "delivered", s.delivered_count, s.delivered_minor);
  figure(out, "refunded", s.refunded_count, s.refunded_minor);
}

template <class... Fields>
void csv_row(std::string& out, const Fields&... fields) {
  bool first = true;
  ((out += first ? "" : ",", out += csv_field(fields), first = false), ...);
  out += "\r\n";
}

std::string optional_time(const std::optional<Millis>& t) {
  return t ? format_rfc3339_ms(*t) : std::string();
}

void write_entry(json::Writer& out, const storage::StatementEntry& s) {
  const LedgerEntry& e = s.entry;
  out.begin_object();
  out.key("entry_id").integer(e.entry_id).key("account_id").string(e.account_id).key("unit").string(s.unit);
  out.key("op_id")
      .string(e.op_id)
      .key("kind")
      .string(to_string(e.kind))
      .key("amount")
      .integer(e.amount_minor);
  out.key("balance_before")
      .integer(e.balance_before_minor)
      .key("balance_after")
      .integer(e.balance_after_minor);
  out.key("hold_id");
  e.hold_id.empty() ? out.null() : out.string(e.hold_id);
  out.key("reason").string(e.reason).key("info");
  e.info_json.empty() ? out.null() : out.raw(e.info_json);
  out.key("created_at").string(format_rfc3339_ms(e.created_at));
  out.end_object();
}

void write_bill(json::Writer& out, const storage::StatementBill& b) {
  out.begin_object();
  out.key("bill_id").string(b.bill_id).key("user_id").string(b.user_id).key("item_id").string(b.item_id);
  out.key("channel").string(b.channel).key("bill_type").string(b.bill_type);
  out.key("amount").integer(b.amount_minor).key("currency").string(b.currency).key("coins").integer(b.coins);
  out.key("state").string(b.state).key("provider_trade_no");
  b.provider_trade_no.empty() ? out.null() : out.string(b.provider_trade_no);
  out.key("paid_at").string(format_rfc3339_ms(b.paid_at)).key("delivered_at");
  b.delivered_at ? out.string(format_rfc3339_ms(*b.delivered_at)) : out.null();
  out.key("late_payment").boolean(b.late_payment);
  out.end_object();
}

void entry_row(std::string& out, const storage::StatementEntry& s) {
  const LedgerEntry& e = s.entry;
  const std::string none;
  csv_row(out, std::string("entry"), format_rfc3339_ms(e.created_at), std::to_string(e.entry_id),
          e.account_id, s.unit, std::string(to_string(e.kind)), std::to_string(e.amount_minor),
          std::to_string(e.balance_before_minor), std::to_string(e.balance_after_minor), e.op_id, e.hold_id,
          e.reason, e.info_json, none, none, none, none, none, none, none, none, none, none);
}

void bill_row(std::string& out, const storage::StatementBill& b) {
  const std::string none;
  csv_row(out, std::string("bill"), format_rfc3339_ms(b.paid_at), b.bill_id, none, none, none,
          std::to_string(b.amount_minor), none, none, none, none, none, none, b.user_id, b.item_id, b.channel,
          b.bill_type, b.currency, std::to_string(b.coins), b.state, b.provider_trade_no,
          optional_time(b.delivered_at), std::string(b.late_payment ? "true" : "false"));
}

// The entry kinds of a unit's settlement, in the order they are shown.
constexpr std::array<std::pair<EntryKind, std::string_view>, 5> kUnitFigures{
    {{EntryKind::credit, "credits"},
     {EntryKind::debit, "debits"},
     {EntryKind::capture, "captures"},
     {EntryKind::recharge, "recharges"},
     {EntryKind::refund, "refunds"}}};

// One unit's rows (consecutive: the SQL orders by unit) as {"unit", figures..., "net"}.
size_t write_unit(json::Writer& out, const std::vector<storage::UnitSettlement>& units, size_t at) {
  const std::string& unit = units[at].unit;
  size_t end = at;
  while (end < units.size() && units[end].unit == unit) ++end;
  out.begin_object().key("unit").string(unit);
  int64_t net = 0;
  for (const auto& [kind, name] : kUnitFigures) {
    int64_t count = 0, amount = 0;
    for (size_t i = at; i < end; ++i) {
      if (units[i].kind == kind) count = units[i].count, amount = units[i].sum_minor;
    }
    figure(out, name, count, amount);
    net += amount;  // each sum fits a bigint; five of them cannot overflow int64 in practice
  }
  out.key("net").integer(net).end_object();
  return end;
}

std::string settlement_json(std::string_view month, Millis from, Millis to,
                            const std::vector<storage::ChannelSettlement>& channels,
                            const std::vector<storage::UnitSettlement>& units) {
  json::Writer out;
  out.begin_object().key("month").string(month);
  out.key("from").string(format_rfc3339_ms(from)).key("to").string(format_rfc3339_ms(to));
  out.key("channels").begin_array();
  for (const auto& c : channels) {
    out.begin_object();
    channel_figures(out, c);
    out.end_object();
  }
  out.end_array().key("units").begin_array();
  for (size_t at = 0; at < units.size();) at = write_unit(out, units, at);
  out.end_array().end_object();
  return out.take();
}

std::string settlement_csv(const std::vector<storage::ChannelSettlement>& channels,
                           const std::vector<storage::UnitSettlement>& units) {
  std::string out;
  csv_row(out, std::string("section"), std::string("name"), std::string("currency"), std::string("figure"),
          std::string("count"), std::string("amount"));
  auto n = [](int64_t v) { return std::to_string(v); };
  for (const auto& c : channels) {
    const std::string section = "channel";
    csv_row(out, section, c.channel, c.currency, std::string("paid"), n(c.paid_count), n(c.paid_minor));
    csv_row(out, section, c.channel, c.currency, std::string("delivered"), n(c.delivered_count),
            n(c.delivered_minor));
    csv_row(out, section, c.channel, c.currency, std::string("refunded"), n(c.refunded_count),
            n(c.refunded_minor));
  }
  for (const auto& u : units) {
    csv_row(out, std::string("unit"), u.unit, std::string(), std::string(to_string(u.kind)), n(u.count),
            n(u.sum_minor));
  }
  return out;
}

}  // namespace

ReportFormat report_format(std::string_view accept_header) {
  while (!accept_header.empty()) {
    const size_t comma = accept_header.find(',');
    std::string_view range = accept_header.substr(0, comma);
    range = trim(range.substr(0, range.find(';')));
    if (lowercase(range) == "text/csv") return ReportFormat::csv;
    if (comma == std::string_view::npos) break;
    accept_header.remove_prefix(comma + 1);
  }
  return ReportFormat::json;
}

std::string_view content_type(ReportFormat format) {
  return format == ReportFormat::csv ? "text/csv; charset=utf-8; header=present" : "application/json";
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string reconciliation_json(const storage::Reconciliation& r, std::string_view app_id) {
  json::Writer out;
  out.begin_object();
  if (!app_id.empty()) out.key("app_id").string(app_id);
  out.key("accounts_checked").integer(r.accounts_checked).key("entries_checked").integer(r.entries_checked);
  out.key("mismatches").begin_array();
  for (const auto& m : r.mismatches) {
    out.begin_object().key("account_id").string(m.account_id).key("kind").string(m.kind);
    out.key("expected");
    decimal(out, m.expected);
    out.key("actual");
    decimal(out, m.actual);
    if (m.kind == "chain") out.key("entry_id").integer(m.entry_id);
    out.end_object();
  }
  out.end_array().key("truncated").boolean(r.truncated).end_object();
  return out.take();
}

const std::vector<std::string_view>& statement_csv_columns() {
  static const std::vector<std::string_view> columns{
      "record",         "time",          "id",        "account_id", "unit",   "kind",  "amount",
      "balance_before", "balance_after", "op_id",     "hold_id",    "reason", "info",  "user_id",
      "item_id",        "channel",       "bill_type", "currency",   "coins",  "state", "provider_trade_no",
      "delivered_at",   "late_payment"};
  return columns;
}

StatementText::StatementText(ReportFormat format, std::string day, Millis from, Millis to)
    : format_(format), day_(std::move(day)), from_(from), to_(to) {}

std::string StatementText::separator() {
  if (first_item_) {
    first_item_ = false;
    return {};
  }
  return ",";
}

std::string StatementText::opening() {
  if (format_ == ReportFormat::csv) {
    std::string out;
    for (std::string_view column : statement_csv_columns()) (out += out.empty() ? "" : ",") += column;
    return out + "\r\n";
  }
  json::Writer out;
  out.begin_object().key("day").string(day_).key("from").string(format_rfc3339_ms(from_));
  out.key("to").string(format_rfc3339_ms(to_)).end_object();
  std::string text = out.take();
  text.pop_back();  // the arrays follow before the closing brace
  return text + ",\"entries\":[";
}

std::string StatementText::entries(const std::vector<storage::StatementEntry>& page) {
  std::string out;
  for (const auto& entry : page) {
    if (format_ == ReportFormat::csv) {
      entry_row(out, entry);
      continue;
    }
    json::Writer item;
    write_entry(item, entry);
    out += separator();  // two appends: `a + b` here trips g++ 12's false -Wrestrict at -O3
    out += item.take();
  }
  return out;
}

std::string StatementText::between() {
  if (format_ == ReportFormat::csv) return {};
  first_item_ = true;
  return "],\"bills\":[";
}

std::string StatementText::bills(const std::vector<storage::StatementBill>& page) {
  std::string out;
  for (const auto& bill : page) {
    if (format_ == ReportFormat::csv) {
      bill_row(out, bill);
      continue;
    }
    json::Writer item;
    write_bill(item, bill);
    out += separator();  // two appends: `a + b` here trips g++ 12's false -Wrestrict at -O3
    out += item.take();
  }
  return out;
}

std::string StatementText::closing() { return format_ == ReportFormat::csv ? std::string() : "]}"; }

std::string settlement_text(ReportFormat format, std::string_view month, Millis from, Millis to,
                            const std::vector<storage::ChannelSettlement>& channels,
                            const std::vector<storage::UnitSettlement>& units) {
  if (format == ReportFormat::csv) return settlement_csv(channels, units);
  return settlement_json(month, from, to, channels, units);
}

std::string channel_report_text(ReportFormat format, std::string_view from_day, std::string_view to_day,
                                const std::vector<storage::ChannelDay>& days) {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (format == ReportFormat::csv) {
    std::string out;
    csv_row(out, std::string("day"), std::string("channel"), std::string("currency"),
            std::string("paid_count"), std::string("paid_amount"), std::string("delivered_count"),
            std::string("delivered_amount"), std::string("refunded_count"), std::string("refunded_amount"));
    for (const auto& d : days) {
      const auto& f = d.figures;
      csv_row(out, d.day, f.channel, f.currency, n(f.paid_count), n(f.paid_minor), n(f.delivered_count),
              n(f.delivered_minor), n(f.refunded_count), n(f.refunded_minor));
    }
    return out;
  }
  json::Writer out;
  out.begin_object().key("from").string(from_day).key("to").string(to_day).key("granularity").string("day");
  out.key("days").begin_array();
  for (const auto& d : days) {
    out.begin_object().key("day").string(d.day);
    channel_figures(out, d.figures);
    out.end_object();
  }
  out.end_array().end_object();
  return out.take();
}

}  // namespace unipay
