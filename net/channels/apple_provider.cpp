#include "net/channels/apple_provider.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>

#include "net/base64.hpp"
#include "net/json.hpp"

namespace unipay::channels::apple {
namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
  void operator()(ASN1_OCTET_STRING* p) const { ASN1_OCTET_STRING_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

void check(bool ok) {
  if (!ok) std::abort();  // test fixture only: OpenSSL failing here is out of memory
}

void add_v3(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  check(ext && X509_add_ext(cert, ext.get(), -1) == 1);
}

// Apple's markers: the OID with an ASN.1 NULL value, not critical.
void add_marker(X509* cert, const char* oid) {
  Owned<ASN1_OBJECT> object(OBJ_txt2obj(oid, 1));
  Owned<ASN1_OCTET_STRING> value(ASN1_OCTET_STRING_new());
  const unsigned char null_der[] = {0x05, 0x00};
  check(object && value && ASN1_OCTET_STRING_set(value.get(), null_der, sizeof null_der) == 1);
  Owned<X509_EXTENSION> ext(X509_EXTENSION_create_by_OBJ(nullptr, object.get(), 0, value.get()));
  check(ext && X509_add_ext(cert, ext.get(), -1) == 1);
}

Owned<X509> make_cert(const char* name, long serial, const jose::EcPrivateKey& subject_key, X509* issuer,
                      int64_t not_before_s, int64_t not_after_s) {
  Owned<X509> cert(X509_new());
  check(cert && X509_set_version(cert.get(), 2) == 1);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before_s)) != nullptr);
  check(ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after_s)) != nullptr);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name), -1,
                             -1, 0);
  check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject) == 1);
  check(X509_set_pubkey(cert.get(), subject_key.evp().get()) == 1);
  return cert;
}

void sign_cert(X509* cert, const jose::EcPrivateKey& issuer_key) {
  check(X509_sign(cert, issuer_key.evp().get(), EVP_sha256()) > 0);
}

std::string der_base64(X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  check(size > 0);
  std::string out = base64::encode(std::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(size)));
  OPENSSL_free(der);
  return out;
}

std::string pem_of(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

TestPki make_test_pki(int64_t not_before_s, int64_t not_after_s, bool with_markers) {
  TestPki pki;
  const jose::EcPrivateKey root_key = jose::EcPrivateKey::generate();
  const jose::EcPrivateKey intermediate_key = jose::EcPrivateKey::generate();
  Owned<X509> root = make_cert("Test Root", 1, root_key, nullptr, not_before_s, not_after_s);
  add_v3(root.get(), root.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_v3(root.get(), root.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  sign_cert(root.get(), root_key);
  Owned<X509> intermediate =
      make_cert("Test Intermediate", 2, intermediate_key, root.get(), not_before_s, not_after_s);
  add_v3(intermediate.get(), root.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_v3(intermediate.get(), root.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  if (with_markers) add_marker(intermediate.get(), "1.2.840.113635.100.6.2.1");
  sign_cert(intermediate.get(), root_key);
  Owned<X509> leaf = make_cert("Test Leaf", 3, pki.leaf_key, intermediate.get(), not_before_s, not_after_s);
  add_v3(leaf.get(), intermediate.get(), NID_basic_constraints, "CA:FALSE");
  add_v3(leaf.get(), intermediate.get(), NID_key_usage, "critical,digitalSignature");
  if (with_markers) add_marker(leaf.get(), "1.2.840.113635.100.6.11.1");
  sign_cert(leaf.get(), intermediate_key);
  pki.root_pem = pem_of(root.get());
  pki.x5c = {der_base64(leaf.get()), der_base64(intermediate.get()), der_base64(root.get())};
  return pki;
}

Result<std::string> sign_signed_data(std::string_view payload_json, const TestPki& pki) {
  json::Writer header;
  header.begin_object().key("alg").string("ES256").key("x5c").begin_array();
  for (const auto& cert : pki.x5c) header.string(cert);
  header.end_array().end_object();
  return jose::sign_es256(header.str(), payload_json, pki.leaf_key);
}

}  // namespace unipay::channels::apple
