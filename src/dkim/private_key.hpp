// A DKIM signing key on OpenSSL 3's EVP interface: RSA (rsa-sha256, RFC 6376) or Ed25519
// (ed25519-sha256, RFC 8463). Generates, reads and writes PEM (PKCS#8), gives the public key in
// the form of the DNS record's p= tag, and signs. Thread-safe once made: every signature uses its
// own EVP context over the shared, read-only key.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

struct evp_pkey_st;

namespace pw::dkim {

enum class KeyType { kRsa, kEd25519 };
std::string_view to_string(KeyType type);          // "rsa" | "ed25519" (the record's k=)
std::string_view signing_algorithm(KeyType type);  // "rsa-sha256" | "ed25519-sha256" (a=)
Result<KeyType> parse_key_type(std::string_view text);

class PrivateKey {
 public:
  // bits: RSA modulus size (1024..8192; RFC 8301 asks for at least 1024, 2048 is the default);
  // ignored for Ed25519.
  static Result<PrivateKey> generate(KeyType type, int bits);
  static Result<PrivateKey> from_pem(std::string_view pem);

  std::string to_pem() const;  // PKCS#8, unencrypted
  KeyType type() const { return type_; }
  int bits() const;
  // The p= value: base64 of the SubjectPublicKeyInfo (RSA) or of the raw 32-octet key (Ed25519,
  // RFC 8463 section 4.2).
  std::string public_key_base64() const;
  // The TXT record to publish at <selector>._domainkey.<domain>.
  std::string dns_record() const;

  // The b= signature over the canonical header data: RSASSA-PKCS1-v1_5 with SHA-256 for RSA;
  // for Ed25519, PureEdDSA over the SHA-256 digest of the data (RFC 8463 section 3). Raw bytes.
  Result<std::string> sign(std::string_view data) const;

 private:
  PrivateKey(std::shared_ptr<evp_pkey_st> key, KeyType type) : key_(std::move(key)), type_(type) {}
  std::shared_ptr<evp_pkey_st> key_;
  KeyType type_;
};

// The tags of a DKIM key record (RFC 6376 3.6.1), parsed leniently as verifiers do: "v=DKIM1;
// k=rsa; p=..." (whitespace inside values removed). Empty p= means a revoked key.
struct KeyRecord {
  std::string version;  // "" when absent
  std::string key_type = "rsa";
  std::string public_key;  // base64, whitespace removed
  std::string hash_algorithms;
  std::string flags;
};
Result<KeyRecord> parse_key_record(std::string_view text);

// The record as zone-file text: "<name>. IN TXT ( "..." "..." )", split into strings of at most
// 255 octets (RFC 1035 3.3.14) so that RSA-2048 records load in any DNS server.
std::string zone_file_line(std::string_view name, std::string_view record);

}  // namespace pw::dkim
