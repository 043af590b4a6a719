// Helpers shared by the test suites.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace jointnlu::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "jointnlu_test_";
    if (info) name += std::string(info->test_suite_name()) + "_" + info->name();
    static int counter = 0;  // several TempDirs may live in one test
    path_ = std::filesystem::temp_directory_path() /
            (name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  // Never throws (a throwing destructor terminates the whole suite): a leftover file only costs
  // disk space under the temp dir.
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  // A path inside the directory (nothing is created).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes content to a file in the directory and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

inline std::string shared_path(const std::string& relative) {
  return std::string(JOINTNLU_SHARED_DIR) + "/" + relative;
}

inline std::string source_path(const std::string& relative) {
  return std::string(JOINTNLU_SOURCE_DIR) + "/" + relative;
}

}  // namespace jointnlu::testing

// Skips the test with a message when a file beside the checkout is absent.
#define JOINTNLU_REQUIRE_FILE(path)                                                        \
  do {                                                                                     \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "not found, skipping: " << (path); \
  } while (0)
