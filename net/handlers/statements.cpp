// GET /v1/statements/{yyyy-mm-dd}: the signing app's ledger entries and paid bills of one
// UTC day, JSON or CSV (Accept: text/csv), streamed page by page: each page is one reader
// query of statement_page_rows rows from after the last row sent, asked for only once the
// previous page has been written, so memory stays bounded however large the day.
#include <spdlog/spdlog.h>

#include <cassert>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "net/auth.hpp"
#include "net/handlers/handlers.hpp"
#include "net/report_format.hpp"
#include "storage/ledger_reports.hpp"
#include "storage/wallet.hpp"

namespace unipay::handlers {
namespace {

class StatementSource : public http::BodySource, public std::enable_shared_from_this<StatementSource> {
 public:
  using PageDone = std::function<void(Result<http::BodyPiece>)>;

  StatementSource(CallPtr call, ReportFormat format, const std::string& day, Millis from, Millis to)
      : call_(std::move(call)),
        text_(format, day, from, to),
        from_(from),
        to_(to),
        page_rows_(static_cast<int>(call_->api.config.server.statement_page_rows)) {}

  // The next piece: the opening with the first page, pages of entries, then of bills, then
  // the closing with the last page. Runs the continuation on an io thread.
  void read_page(PageDone done) {
    switch (phase_) {
      case Phase::entries:
        return read_entries(std::move(done));
      case Phase::bills:
        return read_bills(std::move(done));
      case Phase::done:
        break;
    }
    assert(false && "no page after the last");
  }

  // The first page is read before the answer starts (so a failing database still gets a
  // clean error status); the session's first ask takes it.
  void keep_first(http::BodyPiece piece) { first_ = std::move(piece); }

  void next(PieceDone done) override {
    if (first_) {
      auto piece = std::move(*first_);
      first_.reset();
      return done(std::move(piece));
    }
    read_page([self = shared_from_this(), done = std::move(done)](Result<http::BodyPiece> piece) {
      if (piece) return done(std::move(*piece));
      spdlog::error("request_id={} statement cut short: {}", self->call_->request.request_id,
                    piece.error().message);
      done(std::nullopt);
    });
  }

 private:
  enum class Phase { entries, bills, done };

  std::string opening() { return std::exchange(opened_, true) ? std::string() : text_.opening(); }

  void read_entries(PageDone done) {
    auto statement = storage::statement_entries(call_->app_id, from_, to_, entry_cursor_, page_rows_);
    call_->api.db->read(
        std::move(statement),
        call_->resume<storage::Rows>([self = shared_from_this(), done](Result<storage::Rows> rows) {
          if (!rows) return done(rows.error());
          auto entries = storage::parse_statement_entries(*rows);
          if (entries.size() != rows->size())
            return done(make_error(Errc::storage_read, "unreadable ledger rows"));
          const bool more = entries.size() > static_cast<size_t>(self->page_rows_);
          if (more) entries.resize(static_cast<size_t>(self->page_rows_));
          http::BodyPiece piece{self->opening(), false, {}};  // before the entries: it starts the list
          piece.data += self->text_.entries(entries);
          if (more) {
            self->entry_cursor_ =
                storage::EntryCursor{entries.back().entry.created_at, entries.back().entry.entry_id};
          } else {
            piece.data += self->text_.between();
            self->phase_ = Phase::bills;
          }
          done(std::move(piece));
        }));
  }

  void read_bills(PageDone done) {
    auto statement = storage::statement_bills(call_->app_id, from_, to_, bill_cursor_, page_rows_);
    call_->api.db->read(
        std::move(statement),
        call_->resume<storage::Rows>([self = shared_from_this(), done](Result<storage::Rows> rows) {
          if (!rows) return done(rows.error());
          auto bills = storage::parse_statement_bills(*rows);
          if (bills.size() != rows->size())
            return done(make_error(Errc::storage_read, "unreadable bill rows"));
          const bool more = bills.size() > static_cast<size_t>(self->page_rows_);
          if (more) bills.resize(static_cast<size_t>(self->page_rows_));
          http::BodyPiece piece{self->text_.bills(bills), false, {}};
          if (more) {
            self->bill_cursor_ = storage::BillCursor{bills.back().paid_at, bills.back().bill_id};
          } else {
            piece.data += self->text_.closing();
            piece.last = true;
            self->phase_ = Phase::done;
          }
          done(std::move(piece));
        }));
  }

  CallPtr call_;  // the request (app, settings); released when the answer ends
  StatementText text_;
  Millis from_;
  Millis to_;
  int page_rows_;
  Phase phase_ = Phase::entries;
  bool opened_ = false;
  std::optional<storage::EntryCursor> entry_cursor_;
  std::optional<storage::BillCursor> bill_cursor_;
  std::optional<http::BodyPiece> first_;
};

}  // namespace

void daily_statement(const CallPtr& call) {
  authenticate_app(call, [call] {
    const std::string& day = call->params.at(0);
    auto bounds = utc_day_bounds(day);
    if (!bounds) return call->fail(Errc::invalid_parameter, "the day must be yyyy-mm-dd (UTC)");
    const ReportFormat format = report_format(call->request.header("accept"));
    auto source = std::make_shared<StatementSource>(call, format, day, bounds->first, bounds->second);
    source->read_page([call, source, format](Result<http::BodyPiece> first) {
      if (!first) return call->fail(first.error());
      source->keep_first(std::move(*first));
      call->reply_stream(200, std::string(content_type(format)), source);
    });
  });
}

}  // namespace unipay::handlers
