// Atomic writes: what killed writers leave behind is cleaned up, and only theirs.
#include "core/file_io.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "test_util.h"

namespace jointnlu {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// The PID of a process that has exited (and been reaped).
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST(FileIo, StaleTemporariesOfDeadWritersAreRemovedOnTheNextWrite) {
  TempDir dir;
  const std::string path = dir.path() + "/out.json";
  const std::string dead = std::to_string(dead_pid());
  const std::string alive = std::to_string(::getppid());  // alive, and not this writer
  dir.write("out.json.tmp." + dead, "half");
  fs::create_directories(dir.path() + "/out.json.tmp-" + dead);  // a checkpoint's temp directory
  dir.write("out.json.tmp." + alive, "a live writer's");
  dir.write("other.json.tmp." + dead, "not this file's");
  dir.write("out.json.tmp.notapid", "not a temporary");

  write_file_atomic(path, "done");
  EXPECT_EQ(read_file(path), "done");
  EXPECT_FALSE(fs::exists(path + ".tmp." + dead));
  EXPECT_FALSE(fs::exists(path + ".tmp-" + dead));
  EXPECT_TRUE(fs::exists(path + ".tmp." + alive));
  EXPECT_TRUE(fs::exists(dir.path() + "/other.json.tmp." + dead));
  EXPECT_TRUE(fs::exists(path + ".tmp.notapid"));
  EXPECT_EQ(remove_stale_temporaries(path), 0u);
}

}  // namespace
}  // namespace jointnlu
