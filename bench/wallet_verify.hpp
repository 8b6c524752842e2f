// The wallet scenario's final check, after every operation has its final answer: each
// account's figures and whole ledger against the bench's model (check_books), then the
// server's own reconciliation (GET /v1/reconciliation/ledger), which must find nothing.
// Results go to the correctness counters and the metrics; bounded by max_s (an account
// not checked by then counts as a books mismatch: unchecked is not good enough).
#pragma once

#include "bench/context.hpp"
#include "bench/wallet_traffic.hpp"

namespace unipay::bench {

void verify_wallets(Context& ctx, const WalletAccounts& accounts, double max_s);

}  // namespace unipay::bench
