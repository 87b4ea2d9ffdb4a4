// Proves the DKIM pieces against RFC 6376 and RFC 8463: canonicalisation examples of RFC 6376
// 3.4.5, the known hashes of empty bodies, the body hash of RFC 8463's example message, chunked
// input hashing like one piece, the choice of signed fields (every instance, From over-signed),
// Ed25519's p= form from RFC 8463's key, keys on disk (0600, reloaded when replaced), and
// signatures that OpenSSL verifies with the public key over the canonical data. Independent
// verification (dkimpy, OpenDKIM) is in tests/e2e/test_dkim_signing.py.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "auth/sasl.hpp"
#include "config/config.hpp"
#include "config/settings_registry.hpp"
#include "dkim/canonical.hpp"
#include "dkim/key_store.hpp"
#include "dkim/message_signer.hpp"
#include "dkim/private_key.hpp"
#include "dkim/signer.hpp"
#include "util/base64.hpp"

namespace pw::dkim {
namespace {

std::string canonical_body(Canon canon, std::string_view body) {
  std::string out;
  BodyCanonicalizer c(canon, [&](std::string_view b) { out += b; });
  c.update(body);
  c.finish();
  return out;
}

std::string body_hash_b64(std::string_view message, Canon canon) {
  BodyHasher hasher(canon == Canon::kRelaxed, canon == Canon::kSimple);
  hasher.update(message);
  return util::base64_encode(hasher.finish().of(canon));
}

TEST(DkimCanonical, Rfc6376Example) {
  // RFC 6376 3.4.5.
  EXPECT_EQ(canonical_header(Canon::kRelaxed, "A: X\r\n"), "a:X\r\n");
  EXPECT_EQ(canonical_header(Canon::kRelaxed, "B : Y\t\r\n\tZ  \r\n"), "b:Y Z\r\n");
  EXPECT_EQ(canonical_header(Canon::kSimple, "B : Y\t\r\n\tZ  \r\n"), "B : Y\t\r\n\tZ  \r\n");
  const std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  EXPECT_EQ(canonical_body(Canon::kRelaxed, body), " C\r\nD E\r\n");
  EXPECT_EQ(canonical_body(Canon::kSimple, body), " C \r\nD \t E\r\n");
}

TEST(DkimCanonical, EmptyAndUnterminatedBodies) {
  EXPECT_EQ(canonical_body(Canon::kSimple, ""), "\r\n");
  EXPECT_EQ(canonical_body(Canon::kSimple, "\r\n\r\n"), "\r\n");
  EXPECT_EQ(canonical_body(Canon::kRelaxed, ""), "");
  EXPECT_EQ(canonical_body(Canon::kRelaxed, " \t\r\n\r\n"), "");
  EXPECT_EQ(canonical_body(Canon::kSimple, "abc"), "abc\r\n");
  EXPECT_EQ(canonical_body(Canon::kRelaxed, "a  b \t"), "a b\r\n");
  EXPECT_EQ(canonical_body(Canon::kSimple, "x\r\n\r\ny\r\n\r\n"), "x\r\n\r\ny\r\n");
  EXPECT_EQ(canonical_body(Canon::kRelaxed, "x\ry\r\n"), "x\ry\r\n");  // bare CR is content
  // The well-known hashes of the empty body in each form.
  EXPECT_EQ(body_hash_b64("Subject: x\r\n\r\n", Canon::kSimple),
            "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
  EXPECT_EQ(body_hash_b64("Subject: x\r\n\r\n", Canon::kRelaxed),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(body_hash_b64("Subject: no body at all\r\n", Canon::kRelaxed),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(DkimCanonical, Rfc8463ExampleBodyHash) {
  const std::string message =
      "From: Joe SixPack <joe@football.example.com>\r\n"
      "To: Suzie Q <suzie@shopping.example.net>\r\n"
      "Subject: Is dinner ready?\r\n"
      "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
      "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
      "\r\n"
      "Hi.\r\n"
      "\r\n"
      "We lost the game.  Are you hungry yet?\r\n"
      "\r\n"
      "Joe.\r\n";
  EXPECT_EQ(body_hash_b64(message, Canon::kRelaxed),
            "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
}

TEST(DkimCanonical, ChunkedInputHashesLikeOnePiece) {
  std::string message = "Subject: chunks\r\nX: y\r\n\r\n";
  std::mt19937 rng(7);
  const char alphabet[] = "ab \t\r\n.";
  for (int i = 0; i < 20000; ++i) message += alphabet[rng() % (sizeof alphabet - 1)];
  message += "\r\n\r\n \r\n";
  BodyHasher whole;
  whole.update(message);
  auto expected = whole.finish();
  for (int round = 0; round < 20; ++round) {
    BodyHasher pieces;
    size_t pos = 0;
    while (pos < message.size()) {
      size_t n = std::min<size_t>(message.size() - pos, 1 + rng() % 40);
      pieces.update(std::string_view(message).substr(pos, n));
      pos += n;
    }
    auto got = pieces.finish();
    ASSERT_EQ(got.relaxed, expected.relaxed) << "round " << round;
    ASSERT_EQ(got.simple, expected.simple) << "round " << round;
  }
}

// RFC 6376 3.4.3 and 3.4.4 read literally, line by line, for comparison with the streaming
// canonicaliser on random bodies.
std::string reference_body(Canon canon, const std::string& body) {
  std::vector<std::string> lines;
  size_t pos = 0;
  for (;;) {
    size_t end = body.find("\r\n", pos);
    if (end == std::string::npos) {
      if (pos < body.size()) lines.push_back(body.substr(pos));
      break;
    }
    lines.push_back(body.substr(pos, end - pos));
    pos = end + 2;
  }
  if (canon == Canon::kRelaxed) {
    for (auto& line : lines) {
      std::string out;
      for (char c : line) {
        bool wsp = c == ' ' || c == '\t';
        if (wsp && !out.empty() && out.back() == ' ') continue;
        out += wsp ? ' ' : c;
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      line = out;
    }
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& line : lines) out += line + "\r\n";
  if (canon == Canon::kSimple && out.empty()) out = "\r\n";
  return out;
}

TEST(DkimCanonical, StreamingMatchesTheRfcReadLiterally) {
  std::mt19937 rng(11);
  const char alphabet[] = "ab \t\r\n";
  for (int round = 0; round < 20000; ++round) {
    std::string body;
    size_t length = rng() % 24;
    for (size_t i = 0; i < length; ++i) body += alphabet[rng() % (sizeof alphabet - 1)];
    for (auto canon : {Canon::kRelaxed, Canon::kSimple})
      ASSERT_EQ(canonical_body(canon, body), reference_body(canon, body))
          << (canon == Canon::kRelaxed ? "relaxed" : "simple") << " of "
          << testing::PrintToString(body);
  }
}

TEST(DkimCanonical, ParsesCanonicalization) {
  EXPECT_EQ(to_string(*parse_canonicalization("relaxed/relaxed")), "relaxed/relaxed");
  EXPECT_EQ(to_string(*parse_canonicalization("relaxed")), "relaxed/simple");
  EXPECT_EQ(to_string(*parse_canonicalization("simple/relaxed")), "simple/relaxed");
  EXPECT_FALSE(parse_canonicalization("loose/relaxed"));
  EXPECT_FALSE(parse_canonicalization(""));
  // The registry's choices for [dkim] canonicalization are exactly what the signer accepts.
  for (const auto& spec : config::settings_registry())
    if (spec.section == "dkim" && spec.key == "canonicalization") {
      EXPECT_EQ(spec.choices.size(), 6u);
      for (auto choice : spec.choices) EXPECT_TRUE(parse_canonicalization(choice)) << choice;
    }
}

TEST(DkimSigner, SplitsFoldedFields) {
  auto fields = split_header_fields(
      "From: a@b.test\r\nSubject: one\r\n two\r\n\tthree\r\nnot a field\r\nTo : c@d.test\r\n");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[1].name, "Subject");
  EXPECT_EQ(fields[1].raw, "Subject: one\r\n two\r\n\tthree\r\n");
  EXPECT_EQ(fields[2].name, "To");
  EXPECT_EQ(header_section("A: b\r\n\r\nbody\r\n"), "A: b\r\n");
  EXPECT_EQ(header_section("\r\nbody"), "");
}

// Public key of `key` as EVP_PKEY, through the p= text (as a verifier gets it).
EVP_PKEY* public_from_record(const PrivateKey& key) {
  auto der = *util::base64_decode(key.public_key_base64());
  if (key.type() == KeyType::kEd25519)
    return EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(der.data()), der.size());
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
}

std::string tag(std::string_view header, std::string_view name) {
  std::string flat;
  for (char c : header)
    if (c != '\r' && c != '\n' && c != '\t' && c != ' ') flat += c;
  auto at = flat.find(";" + std::string(name) + "=");
  if (at == std::string::npos) at = flat.find(":" + std::string(name) + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  return flat.substr(at, flat.find(';', at) - at);
}

// A verifier written from RFC 6376 6.1.3 for the test: rebuilds the hash input from h= and the
// signature field without its b= value, and checks b= with the public key.
bool verifies(const PrivateKey& key, const std::string& signature_field, std::string_view message,
              Canonicalization canon) {
  auto fields = split_header_fields(header_section(message));
  std::string names = tag(signature_field, "h");
  std::string data;
  std::vector<bool> used(fields.size(), false);
  size_t start = 0;
  while (start <= names.size()) {
    size_t end = names.find(':', start);
    if (end == std::string::npos) end = names.size();
    std::string name = names.substr(start, end - start);
    for (size_t i = fields.size(); i-- > 0;) {
      std::string lower(fields[i].name);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (used[i] || lower != name) continue;
      used[i] = true;
      data += canonical_header(canon.header, fields[i].raw);
      break;
    }
    start = end + 1;
  }
  std::string without_b =
      signature_field.substr(0, signature_field.find("b=", signature_field.find("bh=") + 3) + 2);
  std::string self = canonical_header(canon.header, without_b);
  data += self.substr(0, self.size() - 2);
  auto sig = *util::base64_decode(tag(signature_field, "b"));
  EVP_PKEY* pub = public_from_record(key);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string input = data;
  const EVP_MD* md = EVP_sha256();
  if (key.type() == KeyType::kEd25519) {
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    input.assign(reinterpret_cast<char*>(digest), len);
    md = nullptr;
  }
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, pub) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pub);
  return ok;
}

const std::string kMessage =
    "Received: from x\r\n"
    "From: Alice <alice@sender.test>\r\n"
    "To: bob@dest.test,\r\n\tcarol@dest.test\r\n"
    "Subject: a long subject that is folded\r\n over two lines\r\n"
    "Received: from y\r\n"
    "Date: Thu, 26 Nov 2026 02:00:00 +0000\r\n"
    "Message-ID: <1@sender.test>\r\n"
    "\r\n"
    "Hello  there \r\n\r\n";

TEST(DkimSigner, SignsEveryInstanceAndOverSignsFrom) {
  for (auto type : {KeyType::kRsa, KeyType::kEd25519}) {
    for (auto canon_text : {"relaxed/relaxed", "simple/simple"}) {
      auto key = PrivateKey::generate(type, 2048);
      ASSERT_TRUE(key);
      SignerOptions options;
      options.canonicalization = *parse_canonicalization(canon_text);
      options.expire_after_s = 3600;
      BodyHasher hasher;
      hasher.update(kMessage);
      auto digests = hasher.finish();
      SignRequest request{"sender.test", "sel1", 1800000000,
                          digests.of(options.canonicalization.body)};
      auto field = sign_headers(*key, header_section(kMessage), request, options);
      ASSERT_TRUE(field) << field.error().message;
      EXPECT_TRUE(field->starts_with(
          "DKIM-Signature: v=1; a=" + std::string(signing_algorithm(type)) + "; c=" + canon_text));
      EXPECT_TRUE(field->ends_with("\r\n"));
      EXPECT_EQ(tag(*field, "h"), "from:from:subject:date:to:message-id");
      EXPECT_EQ(tag(*field, "d"), "sender.test");
      EXPECT_EQ(tag(*field, "t"), "1800000000");
      EXPECT_EQ(tag(*field, "x"), "1800003600");
      for (size_t pos = 0, end; pos < field->size(); pos = end + 2) {
        end = field->find("\r\n", pos);
        EXPECT_LE(end - pos, 78u) << field->substr(pos, end - pos);
      }
      EXPECT_TRUE(verifies(*key, *field, kMessage, options.canonicalization)) << *field;
      // An added From (what over-signing is for) or a changed subject breaks it.
      std::string forged = "From: mallory@evil.test\r\n" + kMessage;
      EXPECT_FALSE(verifies(*key, *field, forged, options.canonicalization));
      std::string changed = kMessage;
      changed.replace(changed.find("long"), 4, "LONG");
      EXPECT_FALSE(verifies(*key, *field, changed, options.canonicalization));
    }
  }
}

TEST(DkimKeys, Ed25519RecordIsTheRawKeyOfRfc8463) {
  auto raw = *util::base64_decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  auto key = PrivateKey::from_pem(std::string_view(data, static_cast<size_t>(len)));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->type(), KeyType::kEd25519);
  EXPECT_EQ(key->dns_record(),
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

TEST(DkimKeys, RecordParsing) {
  auto r = parse_key_record("v=DKIM1; k=rsa;\r\n p=MIIB AQAB ; t=y");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->public_key, "MIIBAQAB");
  EXPECT_EQ(r->flags, "y");
  EXPECT_FALSE(parse_key_record("v=DKIM2; p=abc"));
  EXPECT_FALSE(parse_key_record("k=rsa"));
  EXPECT_FALSE(parse_key_record("p=a; p=b"));
  EXPECT_FALSE(parse_key_record("garbage"));
  auto line = zone_file_line("s._domainkey.d.test", std::string(600, 'x'));
  EXPECT_EQ(line.find("\" \""), std::string("s._domainkey.d.test. IN TXT ( \"").size() + 255);
}

TEST(DkimKeys, StoreWritesPrivateFilesAndCacheFollowsReplacement) {
  auto dir =
      std::filesystem::temp_directory_path() / ("pw-dkim-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  KeyStore store(dir);
  auto made = store.generate("Sender.Test", "Sel1", KeyType::kEd25519, 0, false);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->domain, "sender.test");
  EXPECT_EQ(made->dns_name(), "sel1._domainkey.sender.test");
  struct stat st {};
  ASSERT_EQ(::stat(made->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_FALSE(store.generate("sender.test", "sel1", KeyType::kRsa, 2048, false));
  EXPECT_FALSE(store.generate("not a domain", "sel1", KeyType::kRsa, 2048, false));
  EXPECT_FALSE(store.generate("sender.test", "bad selector!", KeyType::kRsa, 2048, false));

  KeyCache cache(store);
  auto first = cache.get("sender.test", "sel1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type(), KeyType::kEd25519);
  EXPECT_EQ(cache.get("sender.test", "sel1"), first);  // not re-read
  ASSERT_TRUE(store.generate("sender.test", "sel1", KeyType::kRsa, 1024, true));
  auto second = cache.get("sender.test", "sel1");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->type(), KeyType::kRsa);
  EXPECT_FALSE(cache.get("sender.test", "nokey"));
  auto listed = store.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE(store.remove("sender.test", "sel1"));
  EXPECT_FALSE(cache.get("sender.test", "sel1"));
  std::filesystem::remove_all(dir);
}

TEST(DkimSelection, UserSelectorOverridesTheDomains) {
  EXPECT_EQ(choose_signing("d.test", "user1", "dom1")->selector, "user1");
  EXPECT_EQ(choose_signing("d.test", "", "dom1")->selector, "dom1");
  EXPECT_EQ(choose_signing("d.test", "", "dom1")->domain, "d.test");
  EXPECT_FALSE(choose_signing("d.test", "", ""));
}

TEST(DkimConfig, RefusesUnusableValues) {
  EXPECT_TRUE(config::parse_config("[dkim]\ncanonicalization = \"simple/simple\"\n"));
  EXPECT_FALSE(config::parse_config("[dkim]\ncanonicalization = \"loose\"\n"));
  EXPECT_FALSE(config::parse_config("[dkim]\ndefault_algorithm = \"dsa\"\n"));
  EXPECT_FALSE(config::parse_config("[dkim]\nsigned_headers = [\"to\"]\n"));
  EXPECT_FALSE(config::parse_config("[dkim]\nsigned_headers = [\"from\", \"bad:name\"]\n"));
  auto c = config::parse_config("[dkim]\nsigned_headers = [\"FROM\", \"Subject\"]\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->dkim.signed_headers, (std::vector<std::string>{"from", "subject"}));
}

}  // namespace
}  // namespace pw::dkim
