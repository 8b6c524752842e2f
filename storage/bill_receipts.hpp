// A client's store receipt kept for the bill's verify job (migration 006): POST
// /v1/bills/{id}/verify keeps it when the store could not say yet (202), and the verify
// job's query (net/provider_bill_querier.cpp) asks the store with it.
#pragma once

#include <chrono>
#include <string>

#include "storage/database.hpp"

namespace unipay::storage {

// Keeps `receipt` (replacing an earlier one: the client's latest) and brings the bill's
// verify job forward to at most `query_after` from now, so the store is asked again soon.
std::vector<Statement> keep_bill_receipt(const std::string& bill_id, const std::string& receipt,
                                         std::chrono::seconds query_after);
Statement select_bill_receipt(const std::string& bill_id);
// The receipt a select_bill_receipt read, "" when none was kept.
std::string parse_bill_receipt(const Rows& rows);

}  // namespace unipay::storage
