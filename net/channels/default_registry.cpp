// The channels this build knows. A new channel is one adapter file and one line here.
#include "net/channels/alipay_adapter.hpp"
#include "net/channels/apple_adapter.hpp"
#include "net/channels/channel_adapter.hpp"
#include "net/channels/google_adapter.hpp"
#include "net/channels/sandbox_adapter.hpp"
#include "net/channels/stripe_adapter.hpp"
#include "net/channels/wechatpay_adapter.hpp"

namespace unipay::channels {

const ChannelRegistry& default_registry() {
  static const ChannelRegistry registry = [] {
    ChannelRegistry r;
    r.add(make_sandbox_adapter());
    r.add(make_alipay_adapter());
    r.add(make_wechatpay_adapter());
    r.add(make_apple_adapter());
    r.add(make_stripe_adapter());
    r.add(make_google_adapter());
    return r;
  }();
  return registry;
}

}  // namespace unipay::channels
