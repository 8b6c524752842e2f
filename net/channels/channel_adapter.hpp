// One interface for every payment channel (DESIGN.md §4): an adapter per channel, found by
// the channel name of the URL or the bill in a registry. Adapters are pure: they parse and
// check credentials, build outbound requests, verify and parse what providers send, and
// format the answers the providers expect. Sessions, storage, actors and the HTTP client
// stay outside; outbound calls are Steps (net/channels/provider_call.hpp).
//
// What the adapters decide and what they leave to the bill actor:
//  - adapter: the provider's signature (and timestamp, decryption), that the notification
//    names this app's merchant and provider app, the amount as exact minor units, the
//    provider's status mapped to ProviderStatus;
//  - bill actor (actors/bill_rules): the bill exists and belongs to the app, the amount and
//    currency equal the bill's, the transition is legal (DESIGN.md §2, §7.8).
#pragma once

#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/result.hpp"
#include "net/channels/provider_call.hpp"
#include "net/http_types.hpp"
#include "net/json.hpp"

namespace unipay::channels {

// A channel's credentials, parsed and checked once when the app is written or loaded
// (keys decoded into OpenSSL objects), never per request. Each adapter defines its own
// derived type and is the only code that reads it.
struct ChannelCredentials {
  virtual ~ChannelCredentials() = default;
  virtual std::string_view channel() const = 0;
};
using CredentialsPtr = std::shared_ptr<const ChannelCredentials>;

// Provider API base URLs: server configuration ([providers] in config/settings.cpp, DESIGN.md
// §4), so tests and the bench point them at simulators. The defaults are the production URLs.
struct ProviderUrls {
  using Defaults = config::ProvidersConfig;
  std::string alipay{Defaults::kAlipayUrl};
  std::string wechatpay{Defaults::kWechatpayUrl};
  std::string apple_production{Defaults::kAppleProductionUrl};
  std::string apple_sandbox{Defaults::kAppleSandboxUrl};
  std::string google{Defaults::kGoogleUrl};
  std::string stripe{Defaults::kStripeUrl};
};
ProviderUrls provider_urls(const config::ProvidersConfig& providers);

// What every operation gets.
struct ChannelContext {
  CredentialsPtr credentials;  // shared: a Step's continuation keeps it alive across the call
  const ProviderUrls& providers;
  int64_t now_s = 0;  // unix seconds: timestamps to sign, windows to check
};

// The part of a bill an adapter may use.
struct BillView {
  std::string bill_id;  // the provider's out_trade_no / merchant order number
  std::string app_id;
  std::string item_id;  // also the order's subject / description shown to the payer
  int64_t amount_minor = 0;
  std::string currency;
  int64_t expires_at_s = 0;  // unix seconds; 0: no expiry to pass on
};

struct PrepareInput {
  BillView bill;
  std::string notify_url;  // absolute URL of /v1/callbacks/{app_id}/{channel}; "" when unknown
};

// The create answer's `pay` object (DESIGN.md §4) as serialized JSON.
struct PayParameters {
  std::string json;
};

enum class ProviderStatus {
  pending,    // not paid yet (waiting for the payer, or no such order at the provider yet)
  paid,       // money taken
  failed,     // the payment failed
  closed,     // the provider closed the unpaid order
  refunded,   // money given back (refund notification or query)
  unrelated,  // a verified message about nothing unipay tracks (another product's event):
              // acknowledged, changes no bill
};
std::string_view to_string(ProviderStatus status);

// A verified provider statement about one order.
struct ProviderResult {
  ProviderStatus status = ProviderStatus::unrelated;
  std::string bill_id;              // the merchant order number the provider echoes ("" when unrelated)
  std::string trade_no;             // the provider's transaction number
  int64_t amount_minor = 0;         // the order's total in minor units of `currency`
  std::string currency;             // ISO 4217; "" when the provider does not say (refund notices)
  std::string merchant_id;          // seller_id / mchid, already checked against the credentials
  std::string provider_app_id;      // app_id / appid, already checked against the credentials
  int64_t refund_amount_minor = 0;  // refunded: given back (Alipay, Stripe: in total so far; WeChat
                                    // Pay: by this refund); 0 when not named (a whole revocation)
  std::string refund_id;            // refunded: the provider's or merchant's refund number
  std::string item_id;              // app stores: the bill item the store sold (its product
                                    // mapped by the app); then amount_minor is not the store's
};

// A provider callback as received.
struct CallbackInput {
  std::span<const http::Header> headers;  // lowercase names
  std::string_view body;                  // raw bytes, exactly as received
  json::ParseLimits json_limits;
  // This delivery's id (ChannelAdapter::delivery_id) was answered 2xx on this node a short
  // while ago: once its authenticity is verified, the adapter acknowledges it (unrelated)
  // without asking the provider again.
  bool answered_before = false;

  std::string_view header(std::string_view lowercase_name) const;
};

// How a callback ended, for the channel's own answer format.
enum class CallbackOutcome {
  accepted,  // verified and its effect committed
  ignored,   // verified and acknowledged, nothing changed (duplicate, unrelated, stale)
  refused,   // not verified, mismatched or not applicable: nothing changed, provider may retry
};

struct RefundInput {
  BillView bill;
  std::string refund_id;  // unipay's idempotent refund number (out_refund_no / out_request_no)
  int64_t amount_minor = 0;
  std::string reason;
  std::string notify_url;  // where the provider notifies the refund's outcome ("": its console's)
};

struct RefundResult {
  ProviderStatus status = ProviderStatus::pending;  // refunded once confirmed
  std::string provider_refund_id;
};

// What a channel can do beyond callbacks (the later channels of issue 9 add receipts).
struct ChannelTraits {
  bool has_query = false;     // verify jobs may re-query bills of this channel
  bool has_receipts = false;  // POST /v1/bills/{id}/verify applies
  bool has_refund = false;    // admin refunds go through the provider
};

class ChannelAdapter {
 public:
  virtual ~ChannelAdapter() = default;

  virtual std::string_view name() const = 0;
  virtual ChannelTraits traits() const = 0;

  // The app's `channels.<name>` object → typed credentials. invalid_parameter whose message
  // lists every problem ("channels.alipay: app_id is required; alipay_public_key is ...").
  virtual Result<CredentialsPtr> parse_credentials(const json::Value& fields) const = 0;

  // The client's pay parameters at bill creation (may call the provider).
  virtual Step<PayParameters> prepare(const ChannelContext& context, const PrepareInput& input) const = 0;

  // Verifies a callback and says what it states. Errors are refusals (positive ret, see
  // net/http_errors.cpp): bad_signature, stale_timestamp, invalid_json/invalid_parameter
  // (malformed), conflict (names another merchant or provider app: alert).
  virtual Step<ProviderResult> verify_callback(const ChannelContext& context,
                                               const CallbackInput& input) const = 0;

  // The provider's id of this delivery that its redeliveries repeat (Google Pub/Sub's
  // messageId), read from the unverified body; "" when the channel has none. The handler
  // remembers it once answered 2xx and sets CallbackInput::answered_before for a repeat.
  virtual std::string delivery_id(const CallbackInput& input) const;

  // The channel's exact answer to a callback; `refusal` is set for refused.
  virtual http::Response answer(CallbackOutcome outcome, const Error* refusal) const = 0;

  // Asks the provider about the bill's order (traits().has_query). A provider that cannot
  // be reached, or whose answer does not verify, is server_busy: the outcome is unknown.
  virtual Step<ProviderResult> query(const ChannelContext& context, const BillView& bill) const;

  // Active verification of a client-submitted receipt (traits().has_receipts).
  virtual Step<ProviderResult> verify_receipt(const ChannelContext& context, const BillView& bill,
                                              std::string_view receipt) const;

  // Refund through the provider (traits().has_refund).
  virtual Step<RefundResult> refund(const ChannelContext& context, const RefundInput& input) const;
};

// Channel name → adapter. Built once at start; read-only afterwards (thread-safe to read).
class ChannelRegistry {
 public:
  void add(std::unique_ptr<ChannelAdapter> adapter);        // asserts the name is new
  const ChannelAdapter* find(std::string_view name) const;  // nullptr when unknown
  std::vector<std::string_view> names() const;              // sorted

 private:
  std::map<std::string, std::unique_ptr<ChannelAdapter>, std::less<>> adapters_;
};

// sandbox, alipay, wechatpay.
const ChannelRegistry& default_registry();

// An app's configured channels, parsed once.
struct ConfiguredChannel {
  const ChannelAdapter* adapter = nullptr;
  CredentialsPtr credentials;
};

class AppChannels {
 public:
  const ConfiguredChannel* find(std::string_view name) const;  // nullptr: not configured for the app
  const std::map<std::string, ConfiguredChannel, std::less<>>& all() const { return channels_; }

 private:
  friend Result<AppChannels> parse_app_channels(const ChannelRegistry&, const json::Value&);
  std::map<std::string, ConfiguredChannel, std::less<>> channels_;
};

// The app's `channels` object: every member must name a known channel and carry valid
// credentials; one invalid_parameter lists every problem found.
Result<AppChannels> parse_app_channels(const ChannelRegistry& registry, const json::Value& channels);

// Downcast for an adapter reading its own credentials (asserts they are its own).
template <class Credentials>
std::shared_ptr<const Credentials> credentials_as(const ChannelContext& context) {
  auto typed = std::dynamic_pointer_cast<const Credentials>(context.credentials);
  assert(typed != nullptr);
  return typed;
}

}  // namespace unipay::channels
