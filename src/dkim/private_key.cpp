// See private_key.hpp.
#include "dkim/private_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <map>

#include "util/base64.hpp"

namespace pw::dkim {
namespace {

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view to_string(KeyType type) { return type == KeyType::kRsa ? "rsa" : "ed25519"; }

std::string_view signing_algorithm(KeyType type) {
  return type == KeyType::kRsa ? "rsa-sha256" : "ed25519-sha256";
}

Result<KeyType> parse_key_type(std::string_view text) {
  if (text == "rsa") return KeyType::kRsa;
  if (text == "ed25519") return KeyType::kEd25519;
  return fail("key algorithm must be rsa or ed25519, got '" + std::string(text) + "'");
}

Result<PrivateKey> PrivateKey::generate(KeyType type, int bits) {
  EVP_PKEY* key = nullptr;
  if (type == KeyType::kRsa) {
    if (bits < 1024 || bits > 8192)
      return fail("RSA key size must be 1024 to 8192 bits, got " + std::to_string(bits));
    key = EVP_RSA_gen(static_cast<unsigned int>(bits));
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (!key) return fail("key generation failed in OpenSSL");
  return PrivateKey(own(key), type);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return fail("out of memory reading a key");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) return fail("not a PEM private key");
  auto owned = own(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < 1024) return fail("RSA key shorter than 1024 bits");
      return PrivateKey(owned, KeyType::kRsa);
    case EVP_PKEY_ED25519:
      return PrivateKey(owned, KeyType::kEd25519);
    default:
      return fail("the key is neither RSA nor Ed25519");
  }
}

std::string PrivateKey::to_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

int PrivateKey::bits() const { return EVP_PKEY_get_bits(key_.get()); }

std::string PrivateKey::public_key_base64() const {
  if (type_ == KeyType::kEd25519) {
    unsigned char raw[64];
    size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(key_.get(), raw, &len);
    return util::base64_encode(std::string_view(reinterpret_cast<const char*>(raw), len));
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key_.get(), &der);
  std::string out = util::base64_encode(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len)));
  OPENSSL_free(der);
  return out;
}

std::string PrivateKey::dns_record() const {
  return "v=DKIM1; k=" + std::string(to_string(type_)) + "; p=" + public_key_base64();
}

Result<std::string> PrivateKey::sign(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  const unsigned char* input = reinterpret_cast<const unsigned char*>(data.data());
  size_t input_len = data.size();
  const EVP_MD* md = EVP_sha256();
  if (type_ == KeyType::kEd25519) {
    // RFC 8463: the data is hashed with SHA-256 and the digest signed with PureEdDSA.
    unsigned int len = 0;
    if (!EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr))
      return fail("SHA-256 failed");
    input = digest;
    input_len = len;
    md = nullptr;
  }
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1)
    return fail("signing set-up failed in OpenSSL");
  size_t sig_len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &sig_len, input, input_len) != 1)
    return fail("signing failed in OpenSSL");
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len, input,
                     input_len) != 1)
    return fail("signing failed in OpenSSL");
  sig.resize(sig_len);
  return sig;
}

Result<KeyRecord> parse_key_record(std::string_view text) {
  KeyRecord record;
  std::map<std::string, std::string, std::less<>> tags;
  while (!text.empty()) {
    auto semi = text.find(';');
    std::string_view item = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return fail("malformed tag '" + std::string(item.substr(0, 40)) + "' (no '=')");
    std::string name(trim(item.substr(0, eq)));
    if (name.empty()) return fail("a tag without a name");
    std::string value;
    for (char c : item.substr(eq + 1))
      if (!is_space(c)) value += c;
    if (tags.count(name)) return fail("tag " + name + "= appears twice");
    tags.emplace(std::move(name), std::move(value));
  }
  if (auto v = tags.find("v"); v != tags.end()) {
    if (v->second != "DKIM1") return fail("v= must be DKIM1, got '" + v->second + "'");
    record.version = v->second;
  }
  if (auto k = tags.find("k"); k != tags.end()) record.key_type = k->second;
  auto p = tags.find("p");
  if (p == tags.end()) return fail("no p= tag (public key)");
  record.public_key = p->second;
  if (auto h = tags.find("h"); h != tags.end()) record.hash_algorithms = h->second;
  if (auto t = tags.find("t"); t != tags.end()) record.flags = t->second;
  return record;
}

std::string zone_file_line(std::string_view name, std::string_view record) {
  std::string out(name);
  out += ". IN TXT (";
  for (size_t i = 0; i < record.size(); i += 255) {
    out += " \"";
    out += record.substr(i, 255);
    out += '"';
  }
  out += " )";
  return out;
}

}  // namespace pw::dkim
