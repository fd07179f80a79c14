#include "tests/test_common/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace foundry::test {
namespace {

EVP_PKEY* newKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("EVP_EC_gen failed");
  return key;
}

std::string pemOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string pemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* newCert(const std::string& cn, EVP_PKEY* key, long from_s, long to_s) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), from_s);
  X509_gmtime_adj(X509_getm_notAfter(cert), to_s);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

TestCa::TestCa(const std::string& name) {
  EVP_PKEY* key = newKey();
  X509* cert = newCert(name, key, -3600, 30L * 24 * 3600);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  addExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(cert, cert, NID_subject_key_identifier, "hash");
  X509_sign(cert, key, EVP_sha256());
  key_ = key;
  cert_ = cert;
  cert_pem_ = pemOf(cert);
}

TestCa::~TestCa() {
  X509_free(static_cast<X509*>(cert_));
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
}

TestCert TestCa::issue(const CertOptions& options) const {
  auto* ca_cert = static_cast<X509*>(cert_);
  EVP_PKEY* key = newKey();
  const long from = options.expired ? -2L * 24 * 3600 : -3600;
  const long to = options.expired ? -24L * 3600 : 30L * 24 * 3600;
  X509* cert = newCert(options.common_name, key, from, to);
  X509_set_issuer_name(cert, X509_get_subject_name(ca_cert));
  addExtension(cert, ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert, ca_cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  addExtension(cert, ca_cert, NID_ext_key_usage, options.client ? "clientAuth" : "serverAuth");
  addExtension(cert, ca_cert, NID_authority_key_identifier, "keyid");
  std::string san;
  for (const std::string& d : options.dns) san += (san.empty() ? "" : ",") + ("DNS:" + d);
  for (const std::string& ip : options.ips) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  if (!san.empty()) addExtension(cert, ca_cert, NID_subject_alt_name, san);
  X509_sign(cert, static_cast<EVP_PKEY*>(key_), EVP_sha256());

  TestCert out;
  out.cert_pem = pemOf(cert);
  out.key_pem = pemOf(key);
  int der_len = i2d_X509(cert, nullptr);
  std::string der(static_cast<size_t>(der_len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &p);
  out.der_base64.resize(4 * ((der.size() + 2) / 3));
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.der_base64.data()),
                          reinterpret_cast<const unsigned char*>(der.data()),
                          static_cast<int>(der.size()));
  out.der_base64.resize(static_cast<size_t>(n));
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

std::string yamlBlock(const std::string& pem, int indent) {
  std::string out = "|\n";
  size_t start = 0;
  while (start < pem.size()) {
    size_t end = pem.find('\n', start);
    if (end == std::string::npos) end = pem.size();
    out += std::string(static_cast<size_t>(indent), ' ') + pem.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace foundry::test
