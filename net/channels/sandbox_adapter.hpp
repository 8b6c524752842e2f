// unipay's own test channel (DESIGN.md §4) as an adapter: callbacks signed with
// X-Sandbox-Signature = hex HMAC-SHA256(sandbox secret, raw body); body
// {"bill_id", "trade_no", "status": "success"|"failed", "amount", "currency"}. Answers as
// the handler always has: 200 {"ok":true}, or unipay's error envelope for a refusal.
#pragma once

#include <memory>

#include "net/channels/channel_adapter.hpp"

namespace unipay::channels {

struct SandboxCredentials final : ChannelCredentials {
  std::string secret;
  std::string_view channel() const override { return "sandbox"; }
};

std::unique_ptr<ChannelAdapter> make_sandbox_adapter();

}  // namespace unipay::channels
