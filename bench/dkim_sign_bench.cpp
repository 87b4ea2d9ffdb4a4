// Function benchmarks of DKIM signing (F-DKIM), the per-message cost the gateway adds: the body
// hash streamed while DATA is read (per KiB of body, relaxed and simple), the header hash plus
// RSA-2048 or Ed25519 signature made at the end of DATA, and both together for 4 KiB and
// 100 KiB messages. Build: cmake -B build-bench -G Ninja -DPW_BUILD_BENCH=ON && ninja -C
// build-bench pw_bench; run: build-bench/pw_bench --benchmark_filter=Dkim. Figures:
// bench/README.md, "DKIM signing".
#include <benchmark/benchmark.h>

#include <string>

#include "dkim/canonical.hpp"
#include "dkim/private_key.hpp"
#include "dkim/signer.hpp"

namespace {

using namespace pw::dkim;

std::string make_message(size_t body_bytes) {
  std::string m =
      "From: Alice Example <alice@sender.test>\r\n"
      "To: Bob <bob@dest.test>\r\n"
      "Subject: quarterly figures for the north region, as discussed on the call\r\n"
      "Date: Thu, 26 Nov 2026 02:00:00 +0000\r\n"
      "Message-ID: <20261126020000.1234@sender.test>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n";
  const std::string line = "The figures are attached below;  please check the totals twice. \r\n";
  while (m.size() < body_bytes) m += line;
  return m;
}

const PrivateKey& key(KeyType type) {
  static const PrivateKey rsa = *PrivateKey::generate(KeyType::kRsa, 2048);
  static const PrivateKey ed = *PrivateKey::generate(KeyType::kEd25519, 0);
  return type == KeyType::kRsa ? rsa : ed;
}

void DkimBodyHash(benchmark::State& state) {
  const std::string message = make_message(static_cast<size_t>(state.range(0)));
  const bool relaxed = state.range(1) == 1;
  for (auto _ : state) {
    BodyHasher hasher(relaxed, !relaxed);
    hasher.update(message);
    benchmark::DoNotOptimize(hasher.finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * message.size()));
  state.SetLabel(relaxed ? "relaxed" : "simple");
}
BENCHMARK(DkimBodyHash)->Args({4096, 1})->Args({4096, 0})->Args({102400, 1})->Args({102400, 0});

void DkimSignHeaders(benchmark::State& state) {
  const auto type = static_cast<KeyType>(state.range(0));
  const std::string message = make_message(4096);
  BodyHasher hasher;
  hasher.update(message);
  const auto digests = hasher.finish();
  SignerOptions options;
  SignRequest request{"sender.test", "sel1", 1800000000, digests.relaxed};
  for (auto _ : state)
    benchmark::DoNotOptimize(sign_headers(key(type), header_section(message), request, options));
  state.SetLabel(std::string(signing_algorithm(type)));
}
BENCHMARK(DkimSignHeaders)
    ->Arg(static_cast<int>(KeyType::kRsa))
    ->Arg(static_cast<int>(KeyType::kEd25519));

// What one message costs in all: hashing its body and signing it.
void DkimWholeMessage(benchmark::State& state) {
  const auto type = static_cast<KeyType>(state.range(0));
  const std::string message = make_message(static_cast<size_t>(state.range(1)));
  SignerOptions options;
  for (auto _ : state) {
    BodyHasher hasher(true, false);
    hasher.update(message);
    auto digests = hasher.finish();
    SignRequest request{"sender.test", "sel1", 1800000000, digests.relaxed};
    benchmark::DoNotOptimize(sign_headers(key(type), header_section(message), request, options));
  }
  state.SetLabel(std::string(signing_algorithm(type)));
}
BENCHMARK(DkimWholeMessage)
    ->Args({static_cast<int>(KeyType::kRsa), 4096})
    ->Args({static_cast<int>(KeyType::kEd25519), 4096})
    ->Args({static_cast<int>(KeyType::kRsa), 102400})
    ->Args({static_cast<int>(KeyType::kEd25519), 102400});

}  // namespace
