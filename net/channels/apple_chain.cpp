#include "net/channels/apple_chain.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "net/base64.hpp"

namespace unipay::channels::apple {
namespace {

constexpr const char* kLeafMarkerOid = "1.2.840.113635.100.6.11.1";
constexpr const char* kIntermediateMarkerOid = "1.2.840.113635.100.6.2.1";
constexpr size_t kMaxCertificateBytes = 8192;

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

Error refused(std::string message) { return make_error(Errc::bad_signature, std::move(message)); }

Owned<X509> from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return Owned<X509>(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

Owned<X509> from_text(std::string_view text) {
  if (text.size() > kMaxCertificateBytes) return {};
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    Owned<BIO> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    return bio ? Owned<X509>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) : Owned<X509>();
  }
  auto der = base64::decode(text);
  return der ? from_der(*der) : Owned<X509>();
}

bool has_extension(X509* cert, const char* oid) {
  Owned<ASN1_OBJECT> object(OBJ_txt2obj(oid, 1));
  return object && X509_get_ext_by_OBJ(cert, object.get(), -1) >= 0;
}

}  // namespace

Result<TrustedRoots> TrustedRoots::parse(const std::vector<std::string>& texts) {
  if (texts.empty() || texts.size() > kMaxRootCertificates)
    return make_error(Errc::invalid_parameter, "root_certificates must hold 1 to " +
                                                   std::to_string(kMaxRootCertificates) + " certificates");
  std::shared_ptr<X509_STORE> store(X509_STORE_new(), X509_STORE_free);
  if (!store) return make_error(Errc::server_busy, "out of memory");
  for (size_t i = 0; i < texts.size(); ++i) {
    Owned<X509> cert = from_text(texts[i]);
    if (!cert || X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      return make_error(Errc::invalid_parameter, "root_certificates[" + std::to_string(i) +
                                                     "] is not a PEM or base64 DER certificate");
    }
  }
  return TrustedRoots(std::move(store));
}

Result<jose::EcPublicKey> TrustedRoots::verify_chain(const std::vector<std::string>& x5c,
                                                     int64_t at_s) const {
  if (x5c.size() != kChainLength) return refused("x5c must hold exactly 3 certificates");
  std::vector<Owned<X509>> certs;
  for (const std::string& text : x5c) {
    auto der = text.size() <= kMaxCertificateBytes ? base64::decode(text) : std::nullopt;
    certs.push_back(der ? from_der(*der) : Owned<X509>());
    if (!certs.back()) return refused("an x5c certificate is not base64 DER");
  }
  // Only the intermediate is offered as untrusted; x5c's own root is ignored (Apple's rule).
  Owned<STACK_OF(X509)> untrusted(sk_X509_new_null());
  Owned<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx || sk_X509_push(untrusted.get(), certs[1].get()) <= 0)
    return make_error(Errc::server_busy, "out of memory");
  X509_up_ref(certs[1].get());  // the stack's reference, freed with it
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), certs[0].get(), untrusted.get()) != 1)
    return make_error(Errc::server_busy, "out of memory");
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(at_s));
  if (X509_verify_cert(ctx.get()) != 1) {
    return refused(std::string("the x5c chain does not verify to a configured root: ") +
                   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  // leaf ← intermediate ← configured root: the intermediate must be the one sent.
  if (sk_X509_num(chain) != static_cast<int>(kChainLength) ||
      X509_cmp(sk_X509_value(chain, 1), certs[1].get()) != 0)
    return refused("the x5c chain must be leaf, intermediate, configured root");
  if (!has_extension(certs[0].get(), kLeafMarkerOid))
    return refused("the x5c leaf lacks Apple's marker 1.2.840.113635.100.6.11.1");
  if (!has_extension(certs[1].get(), kIntermediateMarkerOid))
    return refused("the x5c intermediate lacks Apple's marker 1.2.840.113635.100.6.2.1");
  auto key =
      jose::EcPublicKey::adopt(std::shared_ptr<EVP_PKEY>(X509_get_pubkey(certs[0].get()), EVP_PKEY_free));
  if (!key) return refused("the x5c leaf key is not P-256");
  return key;
}

}  // namespace unipay::channels::apple
