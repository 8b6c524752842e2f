// GET /v1/reconciliation/ledger, GET /v1/statements/{yyyy-mm}/settlement and
// GET /v1/reports/channels: read-only figures of the signing app, each from the reader
// pool (never on an io thread), formatted by net/report_format.
#include "net/auth.hpp"
#include "net/handlers/handlers.hpp"
#include "net/report_format.hpp"
#include "storage/ledger_reports.hpp"
#include "storage/wallet.hpp"

namespace unipay::handlers {
namespace {

// The longest channel report, in days (a year, leap years included).
constexpr int64_t kMaxReportDays = 366;

void reply_report(const CallPtr& call, ReportFormat format, std::string body) {
  http::Response response;
  response.content_type = std::string(content_type(format));
  response.body = std::move(body);
  call->reply(std::move(response));
}

struct ReportRange {
  std::string from_day;
  std::string to_day;
  Millis from;  // from_day's midnight
  Millis to;    // the midnight after to_day
};

// from and to are UTC days (yyyy-mm-dd), both included, from <= to, at most a year apart;
// granularity, when given, is "day".
Result<ReportRange> report_range(const Query& query) {
  const std::string* from = find_param(query, "from");
  const std::string* to = find_param(query, "to");
  if (!from || !to) return make_error(Errc::invalid_parameter, "from and to (yyyy-mm-dd, UTC) are required");
  auto from_bounds = utc_day_bounds(*from);
  auto to_bounds = utc_day_bounds(*to);
  if (!from_bounds) return make_error(Errc::invalid_parameter, "from must be a day: yyyy-mm-dd");
  if (!to_bounds) return make_error(Errc::invalid_parameter, "to must be a day: yyyy-mm-dd");
  if (const std::string* g = find_param(query, "granularity"); g && *g != "day") {
    return make_error(Errc::invalid_parameter, "granularity must be day");
  }
  const auto days =
      std::chrono::duration_cast<std::chrono::days>(to_bounds->second - from_bounds->first).count();
  if (days < 1) return make_error(Errc::invalid_parameter, "from must not be after to");
  if (days > kMaxReportDays) {
    return make_error(Errc::invalid_parameter,
                      "a report covers at most " + std::to_string(kMaxReportDays) + " days");
  }
  return ReportRange{*from, *to, from_bounds->first, to_bounds->second};
}

}  // namespace

void ledger_reconciliation(const CallPtr& call) {
  authenticate_app(call, [call] {
    call->api.db->read(storage::reconcile_ledger(call->app_id, kReconciliationMismatchLimit),
                       call->resume<storage::Rows>([call](Result<storage::Rows> rows) {
                         if (!rows) return call->fail(rows.error());
                         auto r = storage::parse_reconciliation(*rows, kReconciliationMismatchLimit);
                         if (!r) return call->fail(Errc::storage_read, "the reconciliation cannot be read");
                         call->reply(200, reconciliation_json(*r));
                       }));
  });
}

void monthly_settlement(const CallPtr& call) {
  authenticate_app(call, [call] {
    const std::string month = call->params.at(0);
    auto bounds = utc_month_bounds(month);
    if (!bounds) return call->fail(Errc::invalid_parameter, "the month must be yyyy-mm (UTC)");
    const auto [from, to] = *bounds;
    const ReportFormat format = report_format(call->request.header("accept"));
    auto on_units = [call, format, month, from, to](std::vector<storage::ChannelSettlement> channels) {
      return call->resume<storage::Rows>([=](Result<storage::Rows> rows) {
        if (!rows) return call->fail(rows.error());
        auto units = storage::parse_settlement_by_unit(*rows);
        if (units.size() != rows->size())
          return call->fail(Errc::storage_read, "the settlement cannot be read");
        reply_report(call, format, settlement_text(format, month, from, to, channels, units));
      });
    };
    call->api.db->read(storage::settlement_by_channel(call->app_id, from, to),
                       call->resume<storage::Rows>([call, from, to, on_units](Result<storage::Rows> rows) {
                         if (!rows) return call->fail(rows.error());
                         auto channels = storage::parse_settlement_by_channel(*rows);
                         if (channels.size() != rows->size())
                           return call->fail(Errc::storage_read, "the settlement cannot be read");
                         call->api.db->read(storage::settlement_by_unit(call->app_id, from, to),
                                            on_units(std::move(channels)));
                       }));
  });
}

void channel_report(const CallPtr& call) {
  authenticate_app(call, [call] {
    auto query = parse_query(call);
    if (!query) return call->fail(query.error());
    auto range = report_range(*query);
    if (!range) return call->fail(range.error());
    const ReportFormat format = report_format(call->request.header("accept"));
    call->api.db->read(storage::channel_report_daily(call->app_id, range->from, range->to),
                       call->resume<storage::Rows>([call, format, r = *range](Result<storage::Rows> rows) {
                         if (!rows) return call->fail(rows.error());
                         auto days = storage::parse_channel_report(*rows);
                         if (days.size() != rows->size())
                           return call->fail(Errc::storage_read, "the report cannot be read");
                         reply_report(call, format, channel_report_text(format, r.from_day, r.to_day, days));
                       }));
  });
}

}  // namespace unipay::handlers
