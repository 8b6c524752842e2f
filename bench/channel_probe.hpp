// Before a lifecycle pass through a simulated channel (alipay, wechatpay): one bill taken
// through it alone — created (unipay prepares the payment with the provider), paid at the
// simulator, its signed notification posted to /v1/callbacks/{app_id}/{channel} — so a
// server without that channel end to end (issue 12) stops the run with a clear reason
// instead of a pass full of errors.
#pragma once

#include <string>

#include "bench/context.hpp"

namespace unipay::bench {

// True when the bill went through; otherwise prints why on stderr.
bool probe_channel(Context& ctx, const std::string& channel);

}  // namespace unipay::bench
