// `postwarden train` and `postwarden scan` (F-SPAM, SPEC 7): train the spam model from folders
// of spam and ham, measure model choices by cross-validation inside those folders, and judge
// message files without sending anything.
// Trust: the files are hostile messages (the classifier bounds its work); paths and numbers come
// from the admin's command line.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "app/cli.hpp"
#include "scan/attachment_limits.hpp"
#include "scan/mime_text.hpp"
#include "scan/spam_classifier.hpp"
#include "scan/spam_model.hpp"
#include "scan/spam_rules.hpp"
#include "scan/spam_tokenizer.hpp"
#include "store/node_database.hpp"
#include "store/spam_example_repository.hpp"

namespace pw::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct TrainArgs {
  std::vector<std::string> spam_dirs;
  std::vector<std::string> ham_dirs;
  bool from_decisions = false;
  int extra_weight = 1;  // each message of the second and later folders counts this many times
  std::string base;      // --from-decisions without folders: the model to start from
  std::string out;
  std::string algorithm = "fisher";
  int cross_validate = 0;
};

struct ScanArgs {
  std::vector<std::string> files;
  std::string model;
  bool json = false;
  bool timing = false;
};

// CPU time of this thread: throughput per core, whatever else the machine is doing.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return fail("cannot read " + path);
  return buffer.str();
}

Result<std::vector<scan::FeatureSet>> read_folder(const std::string& dir,
                                                  const scan::MimeTextLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(dir + " is not a directory");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file()) files.push_back(entry.path());
  if (ec) return fail("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<scan::FeatureSet> out;
  out.reserve(files.size());
  for (const auto& path : files) {
    auto bytes = read_file(path.string());
    if (!bytes) return tl::unexpected(bytes.error());
    out.push_back(scan::message_features(*bytes, scan::extract_message_text(*bytes, limits)));
  }
  if (out.empty()) return fail(dir + " holds no files");
  return out;
}

struct Folders {
  std::vector<scan::FeatureSet> sets;
  std::vector<std::uint32_t> weights;  // per message: 1 in the first folder, `extra` after
};

Result<Folders> read_folders(const std::vector<std::string>& dirs,
                             const scan::MimeTextLimits& limits, std::uint32_t extra) {
  Folders out;
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    auto one = read_folder(dirs[d], limits);
    if (!one) return tl::unexpected(one.error());
    for (auto& f : *one) {
      out.sets.push_back(std::move(f));
      out.weights.push_back(d == 0 ? 1 : extra);
    }
  }
  return out;
}

// What the configured cut-offs do on the training folders, by the cross-validation that
// calibrated the model (each message scored by a model that did not train on it). The known
// token rule is not applied here (it needs the message, not only its score).
void print_cross_validation(const scan::SpamModel& model,
                            const std::vector<std::pair<double, bool>>& out_of_fold,
                            const scan::SpamCutoffs& cutoffs, int folds) {
  std::size_t spam = 0, ham = 0, spam_caught = 0, spam_unsure = 0, ham_spam = 0, ham_unsure = 0;
  for (const auto& [raw, is_spam] : out_of_fold) {
    const double points = scan::kModelPoints * model.calibration().apply(raw);
    const bool said_spam = points >= cutoffs.threshold;
    const bool said_unsure = !said_spam && points >= cutoffs.unsure_threshold;
    if (is_spam) {
      ++spam;
      spam_caught += said_spam;
      spam_unsure += said_unsure;
    } else {
      ++ham;
      ham_spam += said_spam;
      ham_unsure += said_unsure;
    }
  }
  auto share = [](std::size_t n, std::size_t of) { return of ? static_cast<double>(n) / of : 0.0; };
  std::cout << fmt::format(
      "cross-validation ({} folds, threshold {:.0f}, unsure {:.0f}): spam recall {:.4f} "
      "(unsure {:.4f}), ham fpr {:.4f} (unsure {:.4f}); {} spam, {} ham\n",
      folds, cutoffs.threshold, cutoffs.unsure_threshold, share(spam_caught, spam),
      share(spam_unsure, spam), share(ham_spam, ham), share(ham_unsure, ham), spam, ham);
  std::cout << "calibration (raw score up to: probability):";
  for (const auto& step : model.calibration().steps())
    std::cout << fmt::format(" {:.4g}:{:.4f}", step.upper, step.probability);
  std::cout << "\n";
}

Result<scan::SpamModel> train_on_folders(const config::Config& config, const TrainArgs& args) {
  auto kind = scan::parse_model_kind(args.algorithm);
  if (!kind) return tl::unexpected(kind.error());
  const auto limits = scan::mime_text_limits(config.scan);
  const auto start = Clock::now();
  const auto extra = static_cast<std::uint32_t>(args.extra_weight);
  auto spam = read_folders(args.spam_dirs, limits, extra);
  if (!spam) return tl::unexpected(spam.error());
  auto ham = read_folders(args.ham_dirs, limits, extra);
  if (!ham) return tl::unexpected(ham.error());
  std::cout << fmt::format("spam messages: {}\nham messages: {}\nread and tokenized in {:.2f} s\n",
                           spam->sets.size(), ham->sets.size(), seconds_since(start));
  const auto train_start = Clock::now();
  std::vector<std::pair<double, bool>> out_of_fold;
  const int folds = args.cross_validate > 1 ? args.cross_validate : scan::kCalibrationFolds;
  auto model = scan::SpamModel::train(*kind, spam->sets, ham->sets, folds, &out_of_fold,
                                      spam->weights, ham->weights);
  print_cross_validation(model, out_of_fold, scan::spam_cutoffs(config.spam), folds);
  std::cout << fmt::format("algorithm: {}\ntrained and calibrated in {:.2f} s\n", to_string(*kind),
                           seconds_since(train_start));
  return model;
}

// F-SPAM: the administrator's decisions after the ones `model` holds, each counted
// [spam] learn_weight times; the model then records the newest one it holds.
Result<void> fold_in_decisions(const GlobalOptions& options, const config::Config& config,
                               scan::SpamModel& model) {
  if (options.data_dir.empty()) return fail("--from-decisions needs --data-dir DIR");
  auto db = store::open_node_database(options.data_dir);
  if (!db) return tl::unexpected(db.error());
  auto examples = store::SpamExampleRepository(*db).all(
      scan::kTokenizerVersion, scan::kFeatureCount, static_cast<int64_t>(model.learned_through()));
  if (!examples) return tl::unexpected(examples.error());
  std::vector<scan::FeatureSet> spam, ham;
  std::uint64_t newest = model.learned_through();
  for (auto& e : *examples) {
    (e.spam ? spam : ham).push_back(std::move(e.features));
    newest = std::max<std::uint64_t>(newest, static_cast<std::uint64_t>(e.id));
  }
  if (!model.learn(spam, ham, static_cast<std::uint32_t>(config.spam.learn_weight)))
    return fail("only a fisher model learns from decisions");
  model.set_learned_through(newest);
  std::cout << fmt::format("decisions folded in: {} spam, {} ham (each counted {} times)\n",
                           spam.size(), ham.size(), config.spam.learn_weight);
  return {};
}

int train(const GlobalOptions& options, const TrainArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  const bool folders = !args.spam_dirs.empty() || !args.ham_dirs.empty();
  if (folders && (args.spam_dirs.empty() || args.ham_dirs.empty()))
    return report_error("train needs both --spam DIR and --ham DIR");
  if (!folders && !args.from_decisions)
    return report_error("train needs --spam DIR and --ham DIR, or --from-decisions");
  Result<scan::SpamModel> model = fail("no model");
  if (folders) {
    model = train_on_folders(*config, args);
  } else {
    std::string base = args.base;
    if (base.empty())
      base = config->spam.model.empty() ? (fs::path(options.data_dir) / "spam.model").string()
                                        : config->spam.model;
    model = scan::SpamModel::load(base);
  }
  if (!model) return report_error(model.error().message);
  if (args.from_decisions) {
    if (auto folded = fold_in_decisions(options, *config, *model); !folded)
      return report_error(folded.error().message);
  }
  if (auto saved = model->save(args.out); !saved) return report_error(saved.error().message);
  std::error_code ec;
  const auto size = fs::file_size(args.out, ec);
  std::cout << fmt::format("features: {}\nmodel: {} ({} bytes)\n", model->used_features(), args.out,
                           ec ? 0 : size);
  return 0;
}

nlohmann::json report_json(const std::string& file, const scan::SpamReport& r) {
  auto reasons = nlohmann::json::array();
  for (const auto& reason : r.reasons)
    reasons.push_back({{"rule", reason.rule}, {"text", reason.text}, {"score", reason.score}});
  nlohmann::json out = {{"file", file},
                        {"verdict", to_string(r.verdict)},
                        {"score", r.score},
                        {"threshold", r.threshold},
                        {"unsure_threshold", r.unsure_threshold},
                        {"known_tokens", r.known_tokens},
                        {"reasons", reasons}};
  out["model_probability"] =
      r.model_probability ? nlohmann::json(*r.model_probability) : nlohmann::json(nullptr);
  return out;
}

int scan_files(const GlobalOptions& options, const ScanArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  std::optional<scan::SpamModel> model;
  if (!args.model.empty()) {
    auto loaded = scan::SpamModel::load(args.model);
    if (!loaded) return report_error(loaded.error().message);
    model = std::move(*loaded);
  } else {
    std::string path = config->spam.model;
    if (path.empty() && !options.data_dir.empty())
      path = (fs::path(options.data_dir) / "spam.model").string();
    std::error_code ec;
    if (!path.empty() && fs::exists(path, ec)) {
      auto loaded = scan::SpamModel::load(path);
      if (!loaded) return report_error(loaded.error().message);
      model = std::move(*loaded);
    } else {
      std::cerr << "postwarden: no spam model" << (path.empty() ? "" : " at " + path)
                << ": the rules judge alone\n";
    }
  }
  const scan::SpamClassifier classifier(std::move(model), scan::mime_text_limits(config->scan));
  const scan::SpamCutoffs cutoffs = scan::spam_cutoffs(config->spam);

  int status = 0;
  auto all = nlohmann::json::array();
  std::size_t scanned = 0;
  double busy_s = 0;
  for (const auto& file : args.files) {
    auto bytes = read_file(file);
    if (!bytes) {
      status = report_error(bytes.error().message);
      continue;
    }
    const double start = thread_cpu_seconds();
    const auto report = classifier.classify(*bytes, cutoffs);
    busy_s += thread_cpu_seconds() - start;
    ++scanned;
    if (args.json) {
      all.push_back(report_json(file, report));
      continue;
    }
    std::cout << fmt::format("{}: {} score {:.1f} threshold {:.0f} unsure {:.0f}\n", file,
                             to_string(report.verdict), report.score, report.threshold,
                             report.unsure_threshold);
    for (const auto& r : report.reasons)
      std::cout << fmt::format("  {} {:+.1f} {}\n", r.rule, r.score, r.text);
  }
  if (args.json)
    std::cout << all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  if (args.timing && scanned > 0)
    std::cerr << fmt::format("scanned {} messages in {:.3f} s of CPU ({:.0f} msg/s per core)\n",
                             scanned, busy_s, busy_s > 0 ? scanned / busy_s : 0.0);
  return status;
}

}  // namespace

void register_scan_commands(CLI::App& app, Action& action) {
  auto train_args = std::make_shared<TrainArgs>();
  auto* train_cmd = app.add_subcommand("train", "Train the spam model from spam and ham folders");
  train_cmd->add_option("--spam", train_args->spam_dirs,
                        "Folder of spam messages, one per file (may be given more than once)");
  train_cmd->add_option("--ham", train_args->ham_dirs,
                        "Folder of ham messages, one per file (may be given more than once)");
  train_cmd
      ->add_option("--extra-weight", train_args->extra_weight,
                   "Each message of the second and later --spam/--ham folders counts this many "
                   "times (today's mail beside an old corpus; default 1)")
      ->check(CLI::Range(1, 1000));
  train_cmd->add_flag("--from-decisions", train_args->from_decisions,
                      "Fold in the administrator's releases (ham) and confirmed spam of the "
                      "node's database");
  train_cmd->add_option("--base", train_args->base,
                        "With --from-decisions and no folders: the model to start from "
                        "(default: [spam] model or <data-dir>/spam.model)");
  train_cmd->add_option("--out", train_args->out, "Model file to write")->required();
  train_cmd->add_option("--algorithm", train_args->algorithm, "fisher (default) or logistic");
  train_cmd
      ->add_option("--cross-validate", train_args->cross_validate,
                   "Folds of the cross-validation that calibrates the model (default 10)")
      ->check(CLI::Range(2, 20));
  train_cmd->callback([&action, train_args] {
    action = [train_args](const GlobalOptions& options) { return train(options, *train_args); };
  });

  auto scan_args = std::make_shared<ScanArgs>();
  auto* scan_cmd =
      app.add_subcommand("scan", "Judge message files as spam or ham (nothing is sent)");
  scan_cmd->add_option("files", scan_args->files, "Message files (RFC 5322)")->required();
  scan_cmd->add_flag("--json", scan_args->json, "Print a JSON array of verdicts");
  scan_cmd->add_option("--model", scan_args->model,
                       "Spam model file (default: [spam] model or <data-dir>/spam.model)");
  scan_cmd->add_flag("--timing", scan_args->timing, "Print the classifier's throughput on stderr");
  scan_cmd->callback([&action, scan_args] {
    action = [scan_args](const GlobalOptions& options) { return scan_files(options, *scan_args); };
  });
}

}  // namespace pw::app
