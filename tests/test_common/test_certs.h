#pragma once
// Certificates for TLS tests, made in memory with OpenSSL (EC P-256 keys: quick to generate):
//
//   TestCa ca("Test Root");
//   TestCert server = ca.issue({.common_name = "app", .dns = {"app.example.com", "*.apps.test"}});
//   TestCert client = ca.issue({.common_name = "client-1", .client = true});
//   // server.cert_pem, server.key_pem, ca.cert_pem: PEM strings for configs and servers
//
// Options cover what the TLS matrix needs: SANs (DNS and IP), expired or not-yet-valid
// certificates, a separate CA that nobody trusts.

#include <string>
#include <vector>

namespace foundry::test {

struct CertOptions {
  std::string common_name = "localhost";
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  bool client = false;   // extendedKeyUsage clientAuth (else serverAuth)
  bool expired = false;  // valid from 2 days ago until yesterday
};

struct TestCert {
  std::string cert_pem;  // leaf only
  std::string key_pem;
  std::string der_base64;  // the leaf's DER, base64 without line breaks (XFCC's form)
};

class TestCa {
 public:
  explicit TestCa(const std::string& name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  TestCert issue(const CertOptions& options) const;
  const std::string& cert_pem() const { return cert_pem_; }

 private:
  void* key_ = nullptr;   // EVP_PKEY*
  void* cert_ = nullptr;  // X509*
  std::string cert_pem_;
};

// A PEM string as a YAML block scalar for `key: |`, its lines indented by `indent`.
std::string yamlBlock(const std::string& pem, int indent);

}  // namespace foundry::test
