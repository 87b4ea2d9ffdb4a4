// Group commit (issue 17 item 1): a batch's files all land under their final names with their
// bytes, a file that cannot be placed fails alone, a batch is bounded by max_files, each caller
// hears its own outcome on its own executor, and after stop() a write fails and leaves no
// temporary file behind.
#include "util/group_sync.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace pw::util {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;

class GroupSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pw-group-sync-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    for (const char* sub : {"tmp", "a", "b"}) fs::create_directories(dir_ / sub);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  DurableFile unwritten(const std::string& name, const fs::path& final_dir) {
    return {dir_ / "tmp" / name, final_dir / name, Placement::kReplace, -1};
  }

  WrittenFile written(const std::string& name, const fs::path& final_dir) {
    DurableFile file = unwritten(name, final_dir);
    const std::string_view parts[] = {"body of ", name};
    auto fd = write_temporary(file, parts);
    EXPECT_TRUE(fd) << (fd ? "" : fd.error().message);
    return WrittenFile{std::move(file), std::move(*fd)};
  }

  size_t tmp_files() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_ / "tmp"), {}));
  }

  fs::path dir_;
};

TEST_F(GroupSyncTest, ABatchLandsInTwoDirectoriesWithEitherDataSync) {
  for (DataSync mode : {DataSync::kFileSystem, DataSync::kEachFile}) {
    std::vector<WrittenFile> batch;
    for (int i = 0; i < 4; ++i)
      batch.push_back(written("m" + std::to_string(i), dir_ / (i % 2 ? "a" : "b")));
    auto results = commit_batch(batch, mode);
    ASSERT_EQ(results.size(), 4U);
    for (int i = 0; i < 4; ++i) {
      const std::string name = "m" + std::to_string(i);
      EXPECT_TRUE(results[i]) << results[i].error().message;
      EXPECT_EQ(read(dir_ / (i % 2 ? "a" : "b") / name), "body of " + name);
      EXPECT_FALSE(batch[i].fd) << "the descriptor is closed after the batch";
    }
    EXPECT_EQ(tmp_files(), 0U);
  }
}

TEST_F(GroupSyncTest, AFileThatCannotBePlacedFailsAloneAndLeavesNoTemporary) {
  std::vector<WrittenFile> batch;
  batch.push_back(written("good", dir_ / "a"));
  batch.push_back(written("lost", dir_ / "missing"));
  batch.push_back(written("also-good", dir_ / "b"));
  auto results = commit_batch(batch, DataSync::kFileSystem);
  EXPECT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_NE(results[1].error().message.find("missing"), std::string::npos)
      << results[1].error().message;
  EXPECT_TRUE(results[2]);
  EXPECT_TRUE(fs::exists(dir_ / "a" / "good"));
  EXPECT_TRUE(fs::exists(dir_ / "b" / "also-good"));
  EXPECT_EQ(tmp_files(), 0U);
}

// 50 commits from coroutines on one loop: every one succeeds, on the loop's own thread, and the
// batches are the size the limits give (the thread waits up to 5 s for 10 files; the 50 are
// queued in microseconds, so it takes 10 at a time).
TEST_F(GroupSyncTest, CallersShareBatchesBoundedByMaxFilesAndResumeOnTheirExecutor) {
  GroupSync group({.max_files = 10, .max_wait = std::chrono::seconds(5)});
  asio::io_context io;
  int succeeded = 0;
  int on_other_thread = 0;
  const auto loop_thread = std::this_thread::get_id();
  for (int i = 0; i < 50; ++i)
    asio::co_spawn(
        io,
        [&, name = "m" + std::to_string(i)]() -> asio::awaitable<void> {
          const std::vector<std::string_view> parts = {"body of ", name};
          auto result = co_await group.async_write(unwritten(name, dir_ / "a"), parts, {},
                                                   asio::use_awaitable);
          if (result) ++succeeded;
          if (std::this_thread::get_id() != loop_thread) ++on_other_thread;
        },
        asio::detached);
  io.run();
  EXPECT_EQ(succeeded, 50);
  EXPECT_EQ(on_other_thread, 0);
  const auto stats = group.stats();
  EXPECT_EQ(stats.files, 50U);
  EXPECT_EQ(stats.batches, 5U);
  EXPECT_EQ(stats.largest_batch, 10U);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "a"), {}), 50);
}

TEST_F(GroupSyncTest, ACommitAfterStopFailsAndRemovesItsTemporary) {
  GroupSync group({.max_files = 64});
  group.stop();
  group.stop();  // idempotent
  asio::io_context io;
  std::optional<Result<void>> outcome;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const std::vector<std::string_view> parts = {"late"};
        outcome = co_await group.async_write(unwritten("late", dir_ / "a"), parts, {},
                                             asio::use_awaitable);
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(outcome);
  EXPECT_FALSE(*outcome);
  EXPECT_FALSE(fs::exists(dir_ / "a" / "late"));
  EXPECT_EQ(tmp_files(), 0U);
}

// Spare files are made while the thread is idle and written into, under their own name until
// the rename; the bytes are the caller's; at stop the unused spares are removed.
TEST_F(GroupSyncTest, SpareFilesMadeWhileIdleTakeTheWritesAndAreRemovedAtStop) {
  auto group = std::make_unique<GroupSync>(
      GroupSyncLimits{.max_files = 64, .spare_files = 4, .spare_dir = dir_ / "tmp"});
  for (int i = 0; i < 500 && tmp_files() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(tmp_files(), 4U) << "four spares made while idle";
  asio::io_context io;
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) names.push_back("m" + std::to_string(i));
  int succeeded = 0;
  for (const auto& name : names)
    asio::co_spawn(
        io,
        [&, name]() -> asio::awaitable<void> {
          const std::vector<std::string_view> parts = {"body of ", name};
          DurableFile file = unwritten(name, dir_ / "a");
          if (co_await group->async_write(std::move(file), parts, {}, asio::use_awaitable))
            ++succeeded;
        },
        asio::detached);
  io.run();
  EXPECT_EQ(succeeded, 6);
  for (const auto& name : names) EXPECT_EQ(read(dir_ / "a" / name), "body of " + name);
  EXPECT_GE(group->stats().spares_used, 4U);
  group.reset();
  EXPECT_EQ(tmp_files(), 0U) << "no spare and no temporary left after stop";
}

// A finished file given back becomes an empty spare and takes a later write, which then holds
// only its own bytes; with the spares full, or after stop, the caller keeps its file.
TEST_F(GroupSyncTest, AFileGivenBackIsEmptiedAndTakesALaterWrite) {
  GroupSync group(GroupSyncLimits{
      .max_files = 64, .spare_files = 1, .spare_dir = dir_ / "tmp", .make_spares = false});
  const fs::path old_message = dir_ / "a" / "delivered";
  std::ofstream(old_message) << "another message's bytes, longer than the next one's";
  ASSERT_TRUE(group.give_back(old_message));
  EXPECT_FALSE(fs::exists(old_message));
  ASSERT_EQ(tmp_files(), 1U);
  EXPECT_EQ(fs::file_size(fs::directory_iterator(dir_ / "tmp")->path()), 0U);
  const fs::path second = dir_ / "b" / "delivered-too";
  std::ofstream(second) << "x";
  EXPECT_FALSE(group.give_back(second)) << "one spare at most";
  EXPECT_TRUE(fs::exists(second));

  asio::io_context io;
  bool stored = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const std::vector<std::string_view> parts = {"new ", "message"};
        DurableFile file = unwritten("n1", dir_ / "b");
        stored = static_cast<bool>(
            co_await group.async_write(std::move(file), parts, {}, asio::use_awaitable));
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(stored);
  EXPECT_EQ(read(dir_ / "b" / "n1"), "new message");
  EXPECT_EQ(group.stats().spares_used, 1U);
  EXPECT_EQ(group.stats().given_back, 1U);
  EXPECT_EQ(tmp_files(), 0U);
  group.stop();
  EXPECT_FALSE(group.give_back(second)) << "nothing is taken back once stopped";
}

}  // namespace
}  // namespace pw::util
