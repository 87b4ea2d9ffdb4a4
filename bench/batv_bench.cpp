// F-BATV: the cost of one prvs= tag (at each delivery attempt) and one verification (at each
// RCPT of the bounce listener), HMAC-SHA1 included.
#include <benchmark/benchmark.h>

#include "batv/prvs.hpp"

namespace {

pw::batv::KeyRing bench_keys() {
  pw::batv::KeyRing keys;
  keys.secrets[2] = std::string(32, 'k');
  keys.current = 2;
  return keys;
}

constexpr int64_t kNow = 20000LL * 86400;

void BM_BatvTag(benchmark::State& state) {
  const auto keys = bench_keys();
  for (auto _ : state)
    benchmark::DoNotOptimize(pw::batv::tag("alice.smith@example.com", keys, kNow, 7));
}
BENCHMARK(BM_BatvTag);

void BM_BatvVerify(benchmark::State& state) {
  const auto keys = bench_keys();
  const std::string tagged = pw::batv::tag("alice.smith@example.com", keys, kNow, 7);
  for (auto _ : state) benchmark::DoNotOptimize(pw::batv::verify(tagged, keys, kNow, 7));
}
BENCHMARK(BM_BatvVerify);

void BM_BatvVerifyForged(benchmark::State& state) {  // untagged: no HMAC at all
  const auto keys = bench_keys();
  for (auto _ : state)
    benchmark::DoNotOptimize(pw::batv::verify("alice.smith@example.com", keys, kNow, 7));
}
BENCHMARK(BM_BatvVerifyForged);

}  // namespace
