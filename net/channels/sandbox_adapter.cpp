#include "net/channels/sandbox_adapter.hpp"

#include "net/channels/credential_fields.hpp"
#include "net/http_errors.hpp"
#include "net/signing.hpp"

namespace unipay::channels {
namespace {

constexpr size_t kMaxSecretBytes = 256;
constexpr size_t kMaxBillIdBytes = 64;
constexpr size_t kMaxTradeNoBytes = 128;
constexpr size_t kMaxStatusBytes = 16;

Result<ProviderResult> parse_notice(const json::Value& body) {
  if (!body.is_object()) return make_error(Errc::invalid_parameter, "the body must be a JSON object");
  auto bill_id = json::get_string(body, "bill_id", kMaxBillIdBytes);
  auto trade_no = json::get_string(body, "trade_no", kMaxTradeNoBytes);
  auto status = json::get_string(body, "status", kMaxStatusBytes);
  for (auto* field : {&bill_id, &trade_no, &status}) {
    if (!*field) return field->error();
  }
  if (!bill_id->has_value() || !status->has_value()) {
    return make_error(Errc::invalid_parameter, "bill_id and status are required");
  }
  ProviderResult result;
  result.bill_id = **bill_id;
  result.trade_no = trade_no->value_or("");
  if (**status == "failed") {
    result.status = ProviderStatus::failed;
    return result;
  }
  if (**status != "success") return make_error(Errc::invalid_parameter, "status must be success or failed");
  result.status = ProviderStatus::paid;
  auto amount = json::get_amount(body, "amount");
  if (!amount) return amount.error();
  auto currency = json::get_string(body, "currency", 3);
  if (!currency) return currency.error();
  if (!amount->has_value() || !currency->has_value() || result.trade_no.empty()) {
    return make_error(Errc::invalid_parameter, "a success needs trade_no, amount and currency");
  }
  result.amount_minor = **amount;
  result.currency = **currency;
  return result;
}

class SandboxAdapter final : public ChannelAdapter {
 public:
  std::string_view name() const override { return "sandbox"; }
  // Admin refunds of sandbox bills are confirmed at once, so studios can test refunds.
  ChannelTraits traits() const override { return {.has_refund = true}; }

  Result<CredentialsPtr> parse_credentials(const json::Value& fields) const override {
    CredentialReader reader("sandbox", fields);
    auto credentials = std::make_shared<SandboxCredentials>();
    credentials->secret = reader.text("secret", kMaxSecretBytes);
    reader.refuse_unknown({"secret"});
    if (auto s = reader.finish(); !s) return s.error();
    return CredentialsPtr(std::move(credentials));
  }

  // No provider to ask: the refund is confirmed, named by unipay's refund number.
  Step<RefundResult> refund(const ChannelContext&, const RefundInput& input) const override {
    return RefundResult{ProviderStatus::refunded, input.refund_id};
  }

  Step<PayParameters> prepare(const ChannelContext&, const PrepareInput& input) const override {
    const BillView& bill = input.bill;
    json::Writer out;
    out.begin_object();
    out.key("channel").string("sandbox");
    out.key("bill_id").string(bill.bill_id);
    out.key("amount").integer(bill.amount_minor);
    out.key("currency").string(bill.currency);
    out.key("callback_path").string("/v1/callbacks/" + bill.app_id + "/sandbox");
    out.end_object();
    return PayParameters{out.take()};
  }

  Step<ProviderResult> verify_callback(const ChannelContext& context,
                                       const CallbackInput& input) const override {
    auto credentials = credentials_as<SandboxCredentials>(context);
    if (!signing::verify_sandbox_signature(credentials->secret, input.body,
                                           input.header("x-sandbox-signature"))) {
      return make_error(Errc::bad_signature, "X-Sandbox-Signature does not match");
    }
    auto body = json::parse(input.body, input.json_limits);
    if (!body) return body.error();
    return parse_notice(*body);
  }

  http::Response answer(CallbackOutcome outcome, const Error* refusal) const override {
    if (outcome == CallbackOutcome::refused) {
      assert(refusal != nullptr);
      return http::error_response(*refusal);
    }
    http::Response response;
    response.body = R"({"ok":true})";
    return response;
  }
};

}  // namespace

std::unique_ptr<ChannelAdapter> make_sandbox_adapter() { return std::make_unique<SandboxAdapter>(); }

}  // namespace unipay::channels
