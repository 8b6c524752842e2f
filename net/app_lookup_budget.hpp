// Database reads of apps the cache holds neither as known nor as unknown, budgeted per
// remote address: a flood of made-up app ids (each one new, so negative cache entries
// cannot help) would otherwise cost one read each. Over the budget the call is answered
// 429 busy with Retry-After at once. The budget is kept per io thread, like the app cache.
#pragma once

#include <string>

#include "net/call.hpp"

namespace unipay {

// True: the app is cached (no read needed) or the caller's address may read now.
// False: the call has been answered busy.
bool admit_app_lookup(const CallPtr& call, const std::string& app_id);

}  // namespace unipay
