// The one durable writer (issue 16): the bytes land under the final name, mode 0600, the
// temporary name is gone afterwards whether the write worked or not, link placement never
// replaces a file, and a symlink planted at the temporary name is not followed.
#include "util/durable_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pw::util {
namespace {

namespace fs = std::filesystem;

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pw-durable-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(DurableFileTest, ThePartsLandInOrderUnderTheFinalName) {
  const std::string_view parts[] = {"header\n", "", "body ", "end"};
  ASSERT_TRUE(write_durably({dir_ / "x.tmp", dir_ / "x"}, parts));
  EXPECT_EQ(read(dir_ / "x"), "header\nbody end");
  EXPECT_FALSE(fs::exists(dir_ / "x.tmp"));
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "x").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DurableFileTest, ReplaceReplacesAndNoReplaceRefuses) {
  ASSERT_TRUE(write_durably({dir_ / "a.tmp", dir_ / "a"}, "one"));
  ASSERT_TRUE(write_durably({dir_ / "a.tmp", dir_ / "a"}, "two"));
  EXPECT_EQ(read(dir_ / "a"), "two");
  auto again = write_durably({dir_ / "a.tmp", dir_ / "a", Placement::kNoReplace}, "three");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(read(dir_ / "a"), "two");
  EXPECT_FALSE(fs::exists(dir_ / "a.tmp"));
  ASSERT_TRUE(write_durably({dir_ / "b.tmp", dir_ / "b", Placement::kNoReplace}, "new"));
  EXPECT_EQ(read(dir_ / "b"), "new");
}

TEST_F(DurableFileTest, ALeftoverOrAPlantedSymlinkAtTheTemporaryNameIsNotWrittenThrough) {
  {
    std::ofstream victim(dir_ / "victim");
    victim << "keep";
  }
  fs::create_symlink(dir_ / "victim", dir_ / "c.tmp");
  ASSERT_TRUE(write_durably({dir_ / "c.tmp", dir_ / "c"}, "data"));
  EXPECT_EQ(read(dir_ / "victim"), "keep");
  EXPECT_EQ(read(dir_ / "c"), "data");
}

TEST_F(DurableFileTest, AnOpenDirectoryIsSyncedAndFailuresLeaveNoTemporaryFile) {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(write_durably({dir_ / "d.tmp", dir_ / "d", Placement::kReplace, fd}, "x"));
  ::close(fd);
  // The final directory does not exist: the rename fails and the temporary file is removed.
  auto failed = write_durably({dir_ / "e.tmp", dir_ / "missing" / "e"}, "x");
  ASSERT_FALSE(failed);
  EXPECT_FALSE(fs::exists(dir_ / "e.tmp"));
  EXPECT_FALSE(sync_directory(dir_ / "missing"));
  EXPECT_TRUE(sync_directory(dir_));
}

}  // namespace
}  // namespace pw::util
