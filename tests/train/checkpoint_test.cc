// Checkpoint directories: a swap interrupted between its two renames is recovered, not lost.
#include "train/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/file_io.h"
#include "test_util.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;
using jointnlu::testing::TempDir;

CheckpointContents contents(const std::string& note) {
  CheckpointContents c;
  c.files["note.txt"] = note;
  c.tensors["w"] = torch::ones({2});
  return c;
}

TEST(Checkpoint, AnInterruptedSwapIsRecoveredBeforeTheNextReadOrWrite) {
  TempDir dir;
  const std::string out = dir.path() + "/run";
  write_checkpoint_dir(out, contents("first"));
  // What a kill between the swap's renames leaves: the last complete checkpoint moved aside.
  fs::rename(out, out + ".old-4242");
  EXPECT_TRUE(recover_checkpoint_dir(out));
  EXPECT_EQ(read_file(out + "/note.txt"), "first");
  EXPECT_FALSE(fs::exists(out + ".old-4242"));
  EXPECT_FALSE(recover_checkpoint_dir(out));  // nothing to do now

  fs::rename(out, out + ".old-4243");
  write_checkpoint_dir(out, contents("second"));  // recovers, then replaces
  EXPECT_EQ(read_file(out + "/note.txt"), "second");
  EXPECT_FALSE(fs::exists(out + ".old-4243"));
  for (const auto& entry : fs::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename(), "run") << "left behind: " << entry.path();
}

}  // namespace
}  // namespace jointnlu::train
