// F-LOG speed (issue 7, item 5): log search over 1,000,000 logged messages through the same
// service call the REST API makes (service::search_log, keyset cursor), and the dashboard's
// counts. The database is generated once (about 2,000 sender domains with a skewed share of
// traffic, 1-3 recipients, every status, 30 days of times) at $PW_LOGBENCH_DIR (default
// /tmp/pw-logbench) and reused. Each case prints its median and slowest time over
// kRuns runs; a log search median over 200 ms ends the program with status 1 ("FAIL ...").
// The dashboard's figures are printed, not enforced: its per-day counts read every message of
// 30 days (about 0.8 s here on 1,000,000), which wants a pre-aggregated table (not done yet).
//
//   build/pw_bench --benchmark_filter=LogSearch
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "service/log_service.hpp"
#include "service/stats_service.hpp"
#include "store/database.hpp"
#include "store/statement.hpp"

namespace {

using namespace pw;

constexpr int64_t kMessages = 1000000;
constexpr int kDomains = 2000;
constexpr int64_t kDays = 30;
constexpr int kRuns = 15;
constexpr double kBudgetMs = 200;
constexpr int kLaterPage = 20;  // "a later page": the 20th, reached by following cursors

std::string domain_name(int index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "d%04d.example", index);
  return buffer;
}

// Every generated time lies in the 30 days before the generation.
int64_t bench_now() {
  static const int64_t now = store::unix_now();
  return now;
}

bool execute(store::Database& db, const char* sql) {
  if (auto r = db.exec(sql); !r) {
    std::fprintf(stderr, "log bench: %s: %s\n", sql, r.error().message.c_str());
    return false;
  }
  return true;
}

// Fills the log the way the gateway leaves it: messages, recipients, statuses.
bool fill(store::Database& db) {
  std::mt19937_64 random(20261126);
  std::uniform_real_distribution<double> unit(0, 1);
  constexpr std::string_view kMessage =
      "INSERT INTO messages (id, received_at, client_ip, helo, tls, auth_user, sender_kind, "
      "sender, user_domain, mail_from, sender_domain, size, message_id, subject, status, "
      "is_bounce, updated_at, identity) VALUES (?1, ?2, ?3, 'client.example', 1, ?4, 'user', ?4, "
      "?5, ?4, ?6, ?7, '', ?8, ?9, 0, ?2, ?4)";
  constexpr std::string_view kRecipient =
      "INSERT INTO recipients (message_id, rcpt, rcpt_domain, status, attempts, next_attempt_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, 1, 0, ?5)";
  constexpr const char* kStatuses[] = {"delivered", "bounced", "deferred",
                                       "expired",   "deleted", "queued"};
  constexpr double kShares[] = {0.88, 0.05, 0.04, 0.01, 0.01, 0.01};
  if (!execute(db, "BEGIN")) return false;
  for (int64_t i = 0; i < kMessages; ++i) {
    // A skewed share: the busiest domain sends about 8 % of the mail, most send a few hundred.
    const int domain = static_cast<int>(kDomains * std::pow(unit(random), 3.0));
    const int user_domain = unit(random) < 0.9 ? domain : static_cast<int>(unit(random) * kDomains);
    const std::string sender_domain = domain_name(domain);
    const std::string sender =
        "user" + std::to_string(static_cast<int>(unit(random) * 50)) + "@" + sender_domain;
    const int64_t at = bench_now() - static_cast<int64_t>(unit(random) * kDays * 86400);
    double pick = unit(random);
    size_t status = 0;
    while (status + 1 < std::size(kShares) && pick >= kShares[status]) pick -= kShares[status++];
    char id[24];
    std::snprintf(id, sizeof id, "%012llX",
                  static_cast<unsigned long long>((i * 0x9E3779B97F4A7C15ULL) >> 16));
    const std::string user_domain_name = domain_name(user_domain);
    const std::string subject = "Report " + std::to_string(i);
    const int64_t size = 2000 + static_cast<int64_t>(unit(random) * 50000);
    if (auto r = store::run(db, kMessage,
                            {std::string_view(id), at, "192.0.2.10", sender, user_domain_name,
                             sender_domain, size, subject, kStatuses[status]});
        !r) {
      std::fprintf(stderr, "log bench: insert: %s\n", r.error().message.c_str());
      return false;
    }
    const int recipients = 1 + static_cast<int>(unit(random) * 3);
    for (int r = 0; r < recipients; ++r) {
      const std::string rcpt_domain =
          "r" + std::to_string(static_cast<int>(unit(random) * 5000)) + ".example.net";
      const std::string rcpt = "rcpt" + std::to_string(r) + "@" + rcpt_domain;
      if (auto added = store::run(db, kRecipient,
                                  {std::string_view(id), rcpt, rcpt_domain, kStatuses[status], at});
          !added) {
        std::fprintf(stderr, "log bench: insert: %s\n", added.error().message.c_str());
        return false;
      }
    }
  }
  return execute(db, "COMMIT") && execute(db, "ANALYZE");
}

struct BenchLog {
  std::unique_ptr<store::Database> db;
  int64_t now = 0;  // just after the newest message: a reused database keeps its time ranges
};

BenchLog& bench_log() {
  static BenchLog log = [] {
    const char* env = std::getenv("PW_LOGBENCH_DIR");
    const std::filesystem::path dir = env && *env ? env : "/tmp/pw-logbench";
    std::filesystem::create_directories(dir);
    auto opened = store::Database::open((dir / "postwarden.db").string());
    if (!opened) {
      std::fprintf(stderr, "FAIL log bench: %s\n", opened.error().message.c_str());
      std::exit(1);
    }
    BenchLog out;
    out.db = std::make_unique<store::Database>(std::move(*opened));
    store::Database& db = *out.db;
    int64_t count = 0;
    if (auto stmt = store::query(db, "SELECT count(*) FROM messages");
        stmt && store::next_row(db, stmt->get()).value_or(false))
      count = store::column_int(stmt->get(), 0);
    if (count != kMessages) {
      std::fprintf(stderr, "log bench: generating %lld messages in %s (once)...\n",
                   static_cast<long long>(kMessages), dir.c_str());
      auto start = std::chrono::steady_clock::now();
      if (!execute(db, "DELETE FROM recipients; DELETE FROM messages;") || !fill(db)) std::exit(1);
      std::fprintf(stderr, "log bench: generated in %.0f s\n",
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    if (auto stmt = store::query(db, "SELECT max(received_at) FROM messages");
        stmt && store::next_row(db, stmt->get()).value_or(false))
      out.now = store::column_int(stmt->get(), 0) + 1;
    return out;
  }();
  return log;
}

// Times each iteration; reports median and slowest; a median over budget fails the program.
template <class Fn>
void measure(benchmark::State& state, const std::string& name, Fn&& fn, bool enforce = true) {
  std::vector<double> samples;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    size_t rows = fn();
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(ms / 1000);
    samples.push_back(ms);
    benchmark::DoNotOptimize(rows);
  }
  std::sort(samples.begin(), samples.end());
  const double median = samples[samples.size() / 2];
  state.counters["median_ms"] = median;
  state.counters["max_ms"] = samples.back();
  std::fprintf(stderr, "%-48s median %7.2f ms  max %7.2f ms\n", name.c_str(), median,
               samples.back());
  if (enforce && median > kBudgetMs) {
    std::fprintf(stderr, "FAIL %s: median %.1f ms is over the %.0f ms budget\n", name.c_str(),
                 median, kBudgetMs);
    std::exit(1);
  }
}

const service::Actor kAdmin = service::Actor::cli();

// Sender domain + time range + status, the issue's query, on the busiest domain (~8 % of all).
store::SearchFilter filtered(int domain) {
  store::SearchFilter f;
  f.domain = domain_name(domain);
  f.status = "delivered";
  f.since = bench_log().now - 7 * 86400;
  f.until = bench_log().now - 86400;
  f.limit = service::kDefaultPageSize;
  return f;
}

// Follows next cursors from the first page to `page` and returns the filter for that page.
store::SearchFilter at_page(store::SearchFilter f, const service::Actor& actor, int page) {
  for (int i = 1; i < page; ++i) {
    auto answer = service::search_log(actor, *bench_log().db, f);
    if (!answer || !answer->next) {
      std::fprintf(stderr, "FAIL log bench: fewer than %d pages\n", page);
      std::exit(1);
    }
    f.before = {answer->next->at, answer->next->id};
  }
  return f;
}

size_t search(const service::Actor& actor, const store::SearchFilter& f) {
  auto answer = service::search_log(actor, *bench_log().db, f);
  if (!answer || answer->items.empty()) {
    std::fprintf(stderr, "FAIL log bench: %s\n",
                 answer ? "no rows" : answer.error().message.c_str());
    std::exit(1);
  }
  return answer->items.size();
}

void BM_LogSearchDomainStatusTimeFirstPage(benchmark::State& state) {
  const auto f = filtered(static_cast<int>(state.range(0)));
  measure(state, "filtered first page, " + *f.domain, [&] { return search(kAdmin, f); });
}
BENCHMARK(BM_LogSearchDomainStatusTimeFirstPage)
    ->Arg(0)
    ->Arg(300)
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_LogSearchDomainStatusTimeLaterPage(benchmark::State& state) {
  const auto f = at_page(filtered(static_cast<int>(state.range(0))), kAdmin, kLaterPage);
  measure(state, "filtered page 20, " + *f.domain, [&] { return search(kAdmin, f); });
}
BENCHMARK(BM_LogSearchDomainStatusTimeLaterPage)
    ->Arg(0)
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The same query as the domain's own administrator (the scope the panel applies).
void BM_LogSearchAsDomainAdmin(benchmark::State& state) {
  const service::Actor actor{service::Role::kDomain, "bench", domain_name(0)};
  auto f = filtered(0);
  f.domain.reset();
  const auto later = at_page(f, actor, kLaterPage);
  measure(state, "as domain admin, page " + std::to_string(state.range(0)),
          [&] { return search(actor, state.range(0) == 1 ? f : later); });
}
BENCHMARK(BM_LogSearchAsDomainAdmin)
    ->Arg(1)
    ->Arg(kLaterPage)
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_LogSearchNewestFirst(benchmark::State& state) {
  store::SearchFilter f;
  f.limit = service::kDefaultPageSize;
  const auto page = at_page(f, kAdmin, static_cast<int>(state.range(0)));
  measure(state, "newest first, page " + std::to_string(state.range(0)),
          [&] { return search(kAdmin, page); });
}
BENCHMARK(BM_LogSearchNewestFirst)
    ->Arg(1)
    ->Arg(kLaterPage)
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The dashboard: arg 0 = node per hour, 1 = node per day, 2 = busiest domain per day.
void BM_LogSearchDashboardStats(benchmark::State& state) {
  const int64_t which = state.range(0);
  const service::Actor actor =
      which == 2 ? service::Actor{service::Role::kDomain, "bench", domain_name(0)} : kAdmin;
  const std::string period = which == 0 ? "hour" : "day";
  measure(
      state, "dashboard " + period + (which == 2 ? " as domain admin" : ""),
      [&] {
        auto stats =
            service::dashboard_stats(actor, *bench_log().db, period, std::nullopt, bench_log().now);
        if (!stats) {
          std::fprintf(stderr, "FAIL log bench: %s\n", stats.error().message.c_str());
          std::exit(1);
        }
        return stats->buckets.size();
      },
      /*enforce=*/false);
}
BENCHMARK(BM_LogSearchDashboardStats)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
