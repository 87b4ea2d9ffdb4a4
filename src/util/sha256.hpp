// SHA-256 in lower-case hex (OpenSSL EVP): attachment hashes and the admin's hash block list
// (F-FUZZY).
#pragma once
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace pw::util {

// 64 lower-case hex digits; "" only if OpenSSL fails.
std::string sha256_hex(std::string_view bytes);

// The same over bytes that come in pieces (an attachment decoded as it is read).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex();  // once, at the end; "" only if OpenSSL fails

 private:
  ::evp_md_ctx_st* ctx_;
  bool ok_;
};

// True for exactly 64 hex digits (either case).
bool is_sha256_hex(std::string_view text);

}  // namespace pw::util
