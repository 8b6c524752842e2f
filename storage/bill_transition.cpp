// The compare-and-set transition of a bill: one prepared statement per kind, each with only
// the CTEs its kind needs. PostgreSQL plans and starts every CTE of a statement even when a
// flag makes it a no-op (executor start-up was 11–13% of its CPU with one statement for all
// kinds), so a kind's statement holds only its own work (docs/BENCHMARKS.md, issue 10).
#include <cassert>

#include "storage/bill_store.hpp"
#include "storage/delivery_attempt_store.hpp"
#include "storage/job_store.hpp"
#include "storage/sql_support.hpp"

namespace unipay::storage {

namespace {

// A statement text and its prepared name (Statement::name): the name of the constant.
struct TransitionText {
  const char* name;
  std::string sql;
};

// Parameters shared by every kind: $1 bill_id, $2 expected version, $3 state, $4 version,
// $5 trade number, $6 paid_at, $7 delivered_at, $8 late_payment. A kind's own parameters
// follow from $9.
constexpr int kFirstKindParam = 9;

// `taken` looks up the trade number through the (channel, provider_trade_no) unique index;
// it sees the earlier statements of the same group commit, so two bills of one batch cannot
// both take a number. (Two nodes committing the same number at the same instant still meet
// the index itself: that error is a class-23 conflict for the writer.)
const char* const kTakenCte =
    "taken AS (SELECT EXISTS (SELECT 1 FROM bills o WHERE $5::text IS NOT NULL "
    "AND o.provider_trade_no = $5::text AND o.bill_id <> $1::text "
    "AND o.channel = (SELECT channel FROM bills WHERE bill_id = $1::text)) AS t)";

// The compare-and-set. Every data-modifying CTE after it runs whatever happens, so each
// one that belongs to the transition selects from `upd` (empty when the CAS lost).
std::string update_cte(bool check_taken) {
  std::string cte =
      "upd AS (UPDATE bills SET state = $3::text, version = $4::bigint, provider_trade_no = $5::text, "
      "paid_at = ";
  cte += sql::ms_param(6);
  cte += ", delivered_at = ";
  cte += sql::ms_param(7);
  // awaiting_payment moves with state (the CHECK of migration 007); it is the expiry index's
  // predicate, so paid → delivered changes no indexed column and updates in place.
  cte +=
      ", late_payment = $8::boolean, awaiting_payment = ($3::text = 'created') "
      "WHERE bill_id = $1::text AND version = $2::bigint";
  if (check_taken) cte += " AND NOT (SELECT t FROM taken)";
  cte += " RETURNING bill_id, state, version)";
  return cte;
}

// The delivery job, due now, leased to $9 for $10 ms. An existing job someone holds
// (attempting it, or waiting for its retry) keeps its holder; a dead one is revived.
std::string job_cte() {
  const std::string live = "(jobs.dead_at IS NULL AND jobs.lease_until >= now())";
  std::string cte =
      "job AS (INSERT INTO jobs (kind, bill_id, attempt, next_attempt_at, lease_owner, lease_until) "
      "SELECT 'delivery', bill_id, 0, now(), $9::text, now() + $10::bigint * interval '1 millisecond' FROM "
      "upd "
      "ON CONFLICT (kind, bill_id) DO UPDATE SET next_attempt_at = now(), dead_at = NULL, "
      "attempt = CASE WHEN jobs.dead_at IS NULL THEN jobs.attempt ELSE 0 END, "
      "created_at = CASE WHEN jobs.dead_at IS NULL THEN jobs.created_at ELSE now() END, lease_owner = CASE "
      "WHEN ";
  cte += live;
  cte += " THEN jobs.lease_owner ELSE EXCLUDED.lease_owner END, lease_until = CASE WHEN ";
  cte += live;
  cte += " THEN jobs.lease_until ELSE EXCLUDED.lease_until END RETURNING job_id, kind, bill_id, attempt, ";
  cte += sql::ms_column("next_attempt_at");
  cte += " AS next_ms, ";
  cte += sql::ms_column("created_at");
  cte += " AS created_ms, last_error, lease_owner)";
  return cte;
}

// Deletes the bill's job of `kind` ('delivery', 'verify') when the CAS applied. The key is
// the parameter, not `bill_id IN (SELECT bill_id FROM upd)`: the generic plan of that form
// scans every job of the kind (index condition on kind alone) and joins it with upd, which
// doubled PostgreSQL's CPU per lifecycle with a few hundred pending delivery jobs.
std::string delete_job_cte(const char* name, const char* kind) {
  std::string cte = name;
  cte += " AS (DELETE FROM jobs WHERE kind = '";
  cte += kind;
  cte += "' AND bill_id = $1::text AND EXISTS (SELECT 1 FROM upd))";
  return cte;
}

// The callback's audit row (six parameters from $first) when the CAS applied.
std::string audit_cte(int first) {
  std::string cte =
      "aud AS (INSERT INTO callbacks (app_id, channel, bill_id, body_sha256, verdict, detail) SELECT ";
  for (int n = first; n < first + 6; ++n) {
    cte += n == first ? "$" : ", $";
    cte += std::to_string(n);
    cte += "::text";
  }
  cte += " FROM upd)";
  return cte;
}

// pg_notify sits in a scalar subquery over upd: it is evaluated once per updated row, so a
// lost CAS notifies nobody. Columns: applied, the notify (void), trade number taken, then
// the delivery job leased to $9 (parse_job_columns), NULL for kinds without one.
std::string outcome_select(bool check_taken, bool leases_job) {
  std::string select =
      "SELECT EXISTS (SELECT 1 FROM upd), (SELECT pg_notify('unipay_bill', "
      "bill_id || ' ' || state || ' ' || version) FROM upd), ";
  select += check_taken ? "(SELECT t FROM taken)" : "false";
  if (!leases_job) {
    select += ", NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::bigint, NULL::bigint, NULL::text";
    return select;
  }
  select +=
      ", lj.job_id, lj.kind, lj.bill_id, lj.attempt, lj.next_ms, lj.created_ms, lj.last_error "
      "FROM (VALUES (1)) one LEFT JOIN (SELECT * FROM job WHERE lease_owner = $9::text) lj ON true";
  return select;
}

// Joins CTEs into "WITH a, b, ... <select>".
std::string with(std::initializer_list<std::string> ctes, const std::string& select) {
  std::string sql = "WITH ";
  bool first = true;
  for (const std::string& cte : ctes) {
    if (cte.empty()) continue;
    if (!first) sql += ", ";
    sql += cte;
    first = false;
  }
  sql += " ";
  sql += select;
  return sql;
}

// paid: $9 lease owner, $10 lease ms, audit from $11.
std::string paid_sql(bool audited) {
  return with({kTakenCte, update_cte(true), job_cte(), delete_job_cte("vfin", "verify"),
               audited ? audit_cte(11) : std::string()},
              outcome_select(true, true));
}

// refunded: like paid without the trade number check (the bill keeps its number) and
// without the verify job (a paid bill has none left).
std::string refunded_sql(bool audited) {
  return with({update_cte(false), job_cte(), audited ? audit_cte(11) : std::string()},
              outcome_select(false, true));
}

// delivered: the 2xx attempt from $9, inserted whether or not the CAS applies (it does
// not select from upd): the game server has the goods either way.
std::string delivered_sql(bool recorded) {
  std::string record;
  if (recorded) {
    record = "rec AS (";
    record += delivery_attempt_insert_sql(kFirstKindParam);
    record += ")";
  }
  return with({update_cte(false), delete_job_cte("fin", "delivery"), record}, outcome_select(false, false));
}

// failed or closed (from `created`, or a close of a failed bill): the verify job ends.
std::string unpaid_sql(bool audited) {
  return with(
      {update_cte(false), delete_job_cte("vfin", "verify"), audited ? audit_cte(kFirstKindParam) : ""},
      outcome_select(false, false));
}

// The statement of a kind, with its extra part (audit, or the delivered attempt record) or
// without it.
const TransitionText& text_of(TransitionKind kind, bool extra) {
  static const TransitionText kTransitionPaid{"transition_paid", paid_sql(false)};
  static const TransitionText kTransitionPaidAudited{"transition_paid_audited", paid_sql(true)};
  static const TransitionText kTransitionRefunded{"transition_refunded", refunded_sql(false)};
  static const TransitionText kTransitionRefundedAudited{"transition_refunded_audited", refunded_sql(true)};
  static const TransitionText kTransitionDelivered{"transition_delivered", delivered_sql(false)};
  static const TransitionText kTransitionDeliveredRecorded{"transition_delivered_recorded",
                                                           delivered_sql(true)};
  static const TransitionText kTransitionUnpaid{"transition_unpaid", unpaid_sql(false)};
  static const TransitionText kTransitionUnpaidAudited{"transition_unpaid_audited", unpaid_sql(true)};
  switch (kind) {
    case TransitionKind::paid:
      return extra ? kTransitionPaidAudited : kTransitionPaid;
    case TransitionKind::refunded:
      return extra ? kTransitionRefundedAudited : kTransitionRefunded;
    case TransitionKind::delivered:
      return extra ? kTransitionDeliveredRecorded : kTransitionDelivered;
    case TransitionKind::unpaid:
      break;
  }
  return extra ? kTransitionUnpaidAudited : kTransitionUnpaid;
}

void add_audit_params(Statement& st, const CallbackAudit& a) {
  for (const std::string* v : {&a.app_id, &a.channel, &a.bill_id, &a.body_sha256, &a.verdict, &a.detail})
    st.params.emplace_back(*v);
}

}  // namespace

TransitionKind transition_kind(BillState next) {
  switch (next) {
    case BillState::paid:
      return TransitionKind::paid;
    case BillState::delivered:
      return TransitionKind::delivered;
    case BillState::refunded:
      return TransitionKind::refunded;
    case BillState::created:  // no rule moves a bill back to created
      assert(false && "no transition leads to created");
      break;
    case BillState::failed:
    case BillState::closed:
      break;
  }
  return TransitionKind::unpaid;
}

Statement transition_statement(const TransitionWrite& w) {
  const TransitionKind kind = transition_kind(w.next.state);
  // Each kind carries only the extra it can have: a delivery confirmation has no callback
  // audit, only the delivered kind has an attempt record.
  assert(kind != TransitionKind::delivered || !w.audit);
  assert(kind == TransitionKind::delivered || !w.attempt);
  const bool extra = kind == TransitionKind::delivered ? w.attempt.has_value() : w.audit.has_value();
  const TransitionText& text = text_of(kind, extra);
  const Bill& b = w.next;
  Statement st{text.sql,
               {b.bill_id, std::to_string(w.expected_version), std::string(to_string(b.state)),
                std::to_string(b.version), sql::null_if_empty(b.provider_trade_no), sql::ms_text(b.paid_at),
                sql::ms_text(b.delivered_at), sql::bool_text(b.late_payment)},
               text.name};
  if (kind == TransitionKind::paid || kind == TransitionKind::refunded) {
    st.params.emplace_back(w.lease_owner);
    st.params.emplace_back(std::to_string(w.lease.count()));
  }
  if (kind == TransitionKind::delivered && w.attempt) add_delivery_attempt_params(st, *w.attempt);
  if (kind != TransitionKind::delivered && w.audit) add_audit_params(st, *w.audit);
  return st;
}

// Columns of every kind's row: 0 applied, 1 the notify (void), 2 trade_no taken, 3-9 the
// delivery job leased to the writer (parse_job_columns; NULL when none).
TransitionOutcome parse_transition_outcome(const Rows& rows) {
  TransitionOutcome outcome;
  if (rows.empty() || rows.rows[0].size() < 3) return outcome;
  outcome.applied = sql::to_bool(rows, 0, 0);
  outcome.trade_no_taken = !outcome.applied && sql::to_bool(rows, 0, 2);
  if (outcome.applied) outcome.leased_job = parse_job_columns(rows, 0, 3);
  return outcome;
}

}  // namespace unipay::storage
