// files/durable_file.h: atomic replacement (committed or abandoned), rolled-back appends, locks,
// private directories. The auth key store's and the record log's tests drive them further.
#include "files/durable_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "files/file_header.h"
#include "tests/support/temp_files.h"

namespace mtedge::files {
namespace {

using test::read_file;
using test::TempDir;

std::string text_of(const std::string& path) {
  std::vector<char> bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(DurableFile, ReplaceFileIsAtomicAndPrivate) {
  TempDir dir;
  const std::string path = dir.file("f");
  ASSERT_TRUE(replace_file(path, as_bytes("one")).is_ok());
  ASSERT_TRUE(replace_file(path, as_bytes("two")).is_ok());
  EXPECT_EQ(text_of(path), "two");
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// An abandoned replacement leaves the target as it was and removes its temp file; a stale temp
// file (here a symlink) is removed, never followed.
TEST(DurableFile, AbandonedReplacementChangesNothing) {
  TempDir dir;
  const std::string path = dir.file("f");
  ASSERT_TRUE(replace_file(path, as_bytes("kept")).is_ok());
  const std::string victim = dir.file("victim");
  ASSERT_TRUE(replace_file(victim, as_bytes("victim")).is_ok());
  ASSERT_EQ(::symlink(victim.c_str(), (path + ".tmp").c_str()), 0);
  {
    auto replacement = FileReplacement::begin(path);
    ASSERT_TRUE(replacement.is_ok()) << replacement.message();
    ASSERT_TRUE(replacement->write(as_bytes("new")).is_ok());
    EXPECT_EQ(replacement->size(), 3u);
  }
  EXPECT_EQ(text_of(path), "kept");
  EXPECT_EQ(text_of(victim), "victim");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// After commit() the descriptor is the target's, open for appends.
TEST(DurableFile, CommittedReplacementHandsOverItsDescriptor) {
  TempDir dir;
  const std::string path = dir.file("f");
  auto replacement = FileReplacement::begin(path);
  ASSERT_TRUE(replacement.is_ok());
  ASSERT_TRUE(replacement->write(file_header("ABCDEFGH", 7)).is_ok());
  EXPECT_EQ(replacement->release(), -1);  // not before commit
  ASSERT_TRUE(replacement->commit().is_ok());
  const int fd = replacement->release();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(write_all(fd, as_bytes("+")).is_ok());
  ASSERT_TRUE(sync_data(fd).is_ok());
  ::close(fd);
  EXPECT_EQ(text_of(path), std::string("ABCDEFGH\x07\0\0\0\0\0\0\0+", 17));
}

TEST(DurableFile, FailedAppendIsRolledBack) {
  TempDir dir;
  const std::string path = dir.file("f");
  ignore_file_size_signal();
  ASSERT_TRUE(replace_file(path, as_bytes("0123456789")).is_ok());
  auto fd = open_for_append(path);
  ASSERT_TRUE(fd.is_ok());
  {
    test::FileSizeLimit limit(15);
    ASSERT_TRUE(limit.ok());
    bool rolled_back = false;
    Status st = append_whole(fd.value(), as_bytes("abcdefghij"), 10, rolled_back);
    ASSERT_FALSE(st.is_ok());
    EXPECT_TRUE(rolled_back);
    EXPECT_NE(st.message().find("rolled back"), std::string::npos) << st.message();
  }
  EXPECT_EQ(text_of(path), "0123456789");
  bool rolled_back = false;
  ASSERT_TRUE(append_whole(fd.value(), as_bytes("ab"), 10, rolled_back).is_ok());
  EXPECT_EQ(text_of(path), "0123456789ab");
  ::close(fd.value());
}

TEST(DurableFile, LockIsExclusiveAcrossOpenings) {
  TempDir dir;
  const std::string path = dir.file("f");
  ASSERT_TRUE(replace_file(path, as_bytes("x")).is_ok());
  auto a = open_for_append(path);
  auto b = open_for_append(path);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_TRUE(lock_exclusive(a.value(), path).is_ok());
  Status second = lock_exclusive(b.value(), path);
  ASSERT_FALSE(second.is_ok());
  EXPECT_NE(second.message().find("in use"), std::string::npos) << second.message();
  EXPECT_NE(second.message().find(path), std::string::npos) << second.message();
  ::close(a.value());
  EXPECT_TRUE(lock_exclusive(b.value(), path).is_ok());
  ::close(b.value());
}

TEST(DurableFile, OpenForAppendRefusesSymlinks) {
  TempDir dir;
  const std::string target = dir.file("target");
  ASSERT_TRUE(replace_file(target, as_bytes("x")).is_ok());
  ASSERT_EQ(::symlink(target.c_str(), dir.file("link").c_str()), 0);
  auto fd = open_for_append(dir.file("link"));
  ASSERT_FALSE(fd.is_ok());
  EXPECT_NE(fd.message().find(dir.file("link")), std::string::npos) << fd.message();
}

TEST(DurableFile, PrivateDirectories) {
  TempDir dir;
  ASSERT_TRUE(create_private_directories(dir.file("a/b/c")).is_ok());
  EXPECT_EQ(mode_of(dir.file("a")), 0700u);
  EXPECT_EQ(mode_of(dir.file("a/b/c")), 0700u);
  ASSERT_TRUE(create_private_directories(dir.file("a/b/c")).is_ok());  // existing: fine
  ASSERT_TRUE(replace_file(dir.file("file"), as_bytes("x")).is_ok());
  EXPECT_FALSE(create_private_directories(dir.file("file/sub")).is_ok());
}

}  // namespace
}  // namespace mtedge::files
