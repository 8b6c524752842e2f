#include "net/channels/channel_adapter.hpp"

#include <cassert>

namespace unipay::channels {
namespace {

std::string_view find_header(std::span<const http::Header> headers, std::string_view lowercase_name) {
  for (const http::Header& h : headers) {
    if (h.name == lowercase_name) return h.value;
  }
  return {};
}

Error unsupported(const ChannelAdapter& adapter, std::string_view what) {
  return make_error(Errc::invalid_parameter,
                    "channel " + std::string(adapter.name()) + " has no " + std::string(what));
}

}  // namespace

std::string_view to_string(ProviderStatus status) {
  switch (status) {
    case ProviderStatus::pending:
      return "pending";
    case ProviderStatus::paid:
      return "paid";
    case ProviderStatus::failed:
      return "failed";
    case ProviderStatus::closed:
      return "closed";
    case ProviderStatus::refunded:
      return "refunded";
    case ProviderStatus::unrelated:
      return "unrelated";
  }
  return "unrelated";
}

ProviderUrls provider_urls(const config::ProvidersConfig& providers) {
  return ProviderUrls{providers.alipay_url,        providers.wechatpay_url, providers.apple_production_url,
                      providers.apple_sandbox_url, providers.google_url,    providers.stripe_url};
}

std::string_view OutboundResponse::header(std::string_view lowercase_name) const {
  return find_header(headers, lowercase_name);
}

std::string_view CallbackInput::header(std::string_view lowercase_name) const {
  return find_header(headers, lowercase_name);
}

std::string ChannelAdapter::delivery_id(const CallbackInput&) const { return {}; }

Step<ProviderResult> ChannelAdapter::query(const ChannelContext&, const BillView&) const {
  return unsupported(*this, "query API");
}

Step<ProviderResult> ChannelAdapter::verify_receipt(const ChannelContext&, const BillView&,
                                                    std::string_view) const {
  return unsupported(*this, "receipts to verify");
}

Step<RefundResult> ChannelAdapter::refund(const ChannelContext&, const RefundInput&) const {
  return unsupported(*this, "refund API");
}

void ChannelRegistry::add(std::unique_ptr<ChannelAdapter> adapter) {
  std::string name(adapter->name());
  [[maybe_unused]] const bool inserted = adapters_.emplace(std::move(name), std::move(adapter)).second;
  assert(inserted);
}

const ChannelAdapter* ChannelRegistry::find(std::string_view name) const {
  auto it = adapters_.find(name);
  return it == adapters_.end() ? nullptr : it->second.get();
}

std::vector<std::string_view> ChannelRegistry::names() const {
  std::vector<std::string_view> names;
  for (const auto& entry : adapters_) names.push_back(entry.first);
  return names;
}

const ConfiguredChannel* AppChannels::find(std::string_view name) const {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : &it->second;
}

Result<AppChannels> parse_app_channels(const ChannelRegistry& registry, const json::Value& channels) {
  if (!channels.is_object()) return make_error(Errc::invalid_parameter, "channels must be an object");
  AppChannels parsed;
  std::string problems;
  auto note = [&problems](std::string text) { problems += (problems.empty() ? "" : "; ") + text; };
  for (const auto& [name, fields] : channels.members) {
    const ChannelAdapter* adapter = registry.find(name);
    if (!adapter) {
      std::string known;
      for (auto n : registry.names()) known += (known.empty() ? "" : ", ") + std::string(n);
      note("unknown channel " + name + " (known: " + known + ")");
      continue;
    }
    auto credentials = adapter->parse_credentials(fields);
    if (!credentials) {
      note(credentials.error().message);
      continue;
    }
    parsed.channels_.emplace(name, ConfiguredChannel{adapter, std::move(*credentials)});
  }
  if (!problems.empty()) return make_error(Errc::invalid_parameter, std::move(problems));
  return parsed;
}

}  // namespace unipay::channels
