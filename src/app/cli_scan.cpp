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
#include "scan/mime_text.hpp"
#include "scan/spam_classifier.hpp"
#include "scan/spam_model.hpp"
#include "scan/spam_rules.hpp"
#include "scan/spam_tokenizer.hpp"

namespace pw::app {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct TrainArgs {
  std::string spam_dir;
  std::string ham_dir;
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

scan::MimeTextLimits limits_from(const config::Config& config) {
  scan::MimeTextLimits limits;
  limits.max_parts = static_cast<std::size_t>(config.scan.max_parts);
  limits.max_depth = static_cast<std::size_t>(config.scan.max_depth);
  limits.max_decoded_bytes = static_cast<std::uint64_t>(config.scan.max_decoded_bytes);
  return limits;
}

// What training keeps of one message: its features, and the points of the rules (which do not
// depend on the model), for cross-validating the combined score.
struct Example {
  scan::FeatureSet features;
  double rule_points = 0;
};

Result<std::vector<Example>> read_folder(const std::string& dir,
                                         const scan::MimeTextLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(dir + " is not a directory");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file()) files.push_back(entry.path());
  if (ec) return fail("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Example> out;
  out.reserve(files.size());
  for (const auto& path : files) {
    auto bytes = read_file(path.string());
    if (!bytes) return tl::unexpected(bytes.error());
    const auto text = scan::extract_message_text(*bytes, limits);
    Example e;
    e.features = scan::tokenize(text).features;
    for (const auto& r : scan::apply_spam_rules(*bytes, text)) e.rule_points += r.score;
    out.push_back(std::move(e));
  }
  if (out.empty()) return fail(dir + " holds no files");
  return out;
}

struct Confusion {
  std::size_t tp = 0, fp = 0, fn = 0, tn = 0;
  void add(bool spam, bool said_spam) {
    if (spam)
      (said_spam ? tp : fn)++;
    else
      (said_spam ? fp : tn)++;
  }
  std::string text() const {
    const double precision = tp + fp ? static_cast<double>(tp) / (tp + fp) : 0;
    const double recall = tp + fn ? static_cast<double>(tp) / (tp + fn) : 0;
    const double fpr = fp + tn ? static_cast<double>(fp) / (fp + tn) : 0;
    return fmt::format("precision {:.4f} recall {:.4f} fpr {:.4f} (tp {} fp {} fn {} tn {})",
                       precision, recall, fpr, tp, fp, fn, tn);
  }
};

// K-fold cross-validation over the training folders only: message i of each class is in fold
// i mod K. Prints, per algorithm, the model alone (p >= 0.5) and model + rules (>= threshold).
void cross_validate(const std::vector<Example>& spam, const std::vector<Example>& ham, int folds,
                    double threshold) {
  for (auto kind : {scan::ModelKind::kFisher, scan::ModelKind::kLogistic}) {
    Confusion alone;
    Confusion combined;
    const auto start = Clock::now();
    for (int k = 0; k < folds; ++k) {
      std::vector<scan::FeatureSet> train_spam, train_ham;
      for (std::size_t i = 0; i < spam.size(); ++i)
        if (static_cast<int>(i % folds) != k) train_spam.push_back(spam[i].features);
      for (std::size_t i = 0; i < ham.size(); ++i)
        if (static_cast<int>(i % folds) != k) train_ham.push_back(ham[i].features);
      const auto model = scan::SpamModel::train(kind, train_spam, train_ham);
      auto judge = [&](const std::vector<Example>& set, bool is_spam) {
        for (std::size_t i = 0; i < set.size(); ++i) {
          if (static_cast<int>(i % folds) != k) continue;
          const double p = model.score(set[i].features).probability;
          alone.add(is_spam, p >= 0.5);
          combined.add(is_spam, scan::kModelPoints * p + set[i].rule_points >= threshold);
        }
      };
      judge(spam, true);
      judge(ham, false);
    }
    std::cout << fmt::format("cv {} {}-fold model alone:   {}\n", to_string(kind), folds,
                             alone.text());
    std::cout << fmt::format("cv {} {}-fold model + rules: {} ({:.1f} s)\n", to_string(kind), folds,
                             combined.text(), seconds_since(start));
  }
}

int train(const GlobalOptions& options, const TrainArgs& args) {
  auto config = load_node_config(options);
  if (!config) return report_error(config.error().message);
  auto kind = scan::parse_model_kind(args.algorithm);
  if (!kind) return report_error(kind.error().message);
  const auto limits = limits_from(*config);
  const auto start = Clock::now();
  auto spam = read_folder(args.spam_dir, limits);
  if (!spam) return report_error(spam.error().message);
  auto ham = read_folder(args.ham_dir, limits);
  if (!ham) return report_error(ham.error().message);
  const double read_s = seconds_since(start);
  std::cout << fmt::format("spam messages: {}\nham messages: {}\nread and tokenized in {:.2f} s\n",
                           spam->size(), ham->size(), read_s);
  if (args.cross_validate > 1)
    cross_validate(*spam, *ham, args.cross_validate, static_cast<double>(config->spam.threshold));

  const auto train_start = Clock::now();
  std::vector<scan::FeatureSet> spam_sets, ham_sets;
  for (auto& e : *spam) spam_sets.push_back(std::move(e.features));
  for (auto& e : *ham) ham_sets.push_back(std::move(e.features));
  const auto model = scan::SpamModel::train(*kind, spam_sets, ham_sets);
  if (auto saved = model.save(args.out); !saved) return report_error(saved.error().message);
  std::error_code ec;
  const auto size = fs::file_size(args.out, ec);
  std::cout << fmt::format(
      "algorithm: {}\nfeatures: {}\ntrained in {:.2f} s\nmodel: {} ({} bytes)\n", to_string(*kind),
      model.used_features(), seconds_since(train_start), args.out, ec ? 0 : size);
  return 0;
}

nlohmann::json report_json(const std::string& file, const scan::SpamReport& r) {
  auto reasons = nlohmann::json::array();
  for (const auto& reason : r.reasons)
    reasons.push_back({{"rule", reason.rule}, {"text", reason.text}, {"score", reason.score}});
  nlohmann::json out = {{"file", file},
                        {"verdict", r.spam ? "spam" : "ham"},
                        {"score", r.score},
                        {"threshold", r.threshold},
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
  const scan::SpamClassifier classifier(std::move(model), limits_from(*config));
  const double threshold = static_cast<double>(config->spam.threshold);

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
    const auto report = classifier.classify(*bytes, threshold);
    busy_s += thread_cpu_seconds() - start;
    ++scanned;
    if (args.json) {
      all.push_back(report_json(file, report));
      continue;
    }
    std::cout << fmt::format("{}: {} score {:.1f} threshold {:.0f}\n", file,
                             report.spam ? "spam" : "ham", report.score, report.threshold);
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
  train_cmd->add_option("--spam", train_args->spam_dir, "Folder of spam messages, one per file")
      ->required();
  train_cmd->add_option("--ham", train_args->ham_dir, "Folder of ham messages, one per file")
      ->required();
  train_cmd->add_option("--out", train_args->out, "Model file to write")->required();
  train_cmd->add_option("--algorithm", train_args->algorithm, "fisher (default) or logistic");
  train_cmd
      ->add_option("--cross-validate", train_args->cross_validate,
                   "Also compare the algorithms by K-fold cross-validation on these folders")
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
