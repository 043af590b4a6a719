// `jointnlu pipeline` and `jointnlu distill` / `train-student` end to end on a slice of the demo
// data with a tiny configuration: every stage's output exists, a re-run skips finished stages, and
// bad configurations are refused with the file and key named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "demo_inputs.h"
#include "test_util.h"

namespace jointnlu::testing {
namespace {

namespace fs = std::filesystem;

#ifdef JOINTNLU_WITH_TRAINING

TEST(PipelineCli, AllStagesThenResumeSkipsThem) {
  TempDir tmp;
  const auto config = tmp.write(
      "config.json",
      R"({"teacher": {"epochs": 1}, "student": {"epochs": 2, "hidden_size": 16, "augment": 1},
          "bench": false, "threads": 1, "examples": ["播放周杰伦的稻香"]})");
  const std::string run = tmp.path() + "/run";
  const std::string args = "pipeline --train " + small_train(tmp) + " --dev " + demo("dev") +
                           " --test " + demo("test") + " --out " + run + " --config " + config;
  const auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"config.json", "teacher/model.safetensors", "student/model.safetensors",
                        "student/training.csv", "student.fp32.safetensors",
                        "student.int8.safetensors", "eval/teacher.json", "eval/student.json",
                        "eval/student-fp32.json", "eval/student-int8.json", "stages.json"})
    EXPECT_TRUE(fs::exists(run + "/" + f)) << f;
  EXPECT_NE(r.out.find("student-int8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"text\":\"播放周杰伦的稻香\""), std::string::npos) << r.out;
  // The fp32 export scores exactly as the libtorch student it came from.
  const auto a = nlohmann::json::parse(std::ifstream(run + "/eval/student.json"));
  const auto b = nlohmann::json::parse(std::ifstream(run + "/eval/student-fp32.json"));
  EXPECT_EQ(a["sentence_acc"], b["sentence_acc"]);
  EXPECT_EQ(a["slot_f1"], b["slot_f1"]);

  const auto again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("teacher: done already"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("student: done already"), std::string::npos) << again.err;
}

TEST(PipelineCli, RejectsUnknownConfigKeys) {
  TempDir tmp;
  const auto config = tmp.write("bad.json", R"({"student": {"hiden_size": 16}})");
  const auto r = run_cli("pipeline --train " + demo("train") + " --test " + demo("test") +
                         " --out " + tmp.path() + "/run --config " + config);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hiden_size"), std::string::npos) << r.err;
}

TEST(StudentCli, TrainStudentAndDistillWithAugmentation) {
  TempDir tmp;
  const auto train = small_train(tmp);
  const auto alone = run_cli("train-student --train " + train + " --dev " + demo("dev") +
                             " --out " + tmp.path() + "/alone --epochs 1 --hidden-size 16 " +
                             "--threads 1 --json");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const auto j = nlohmann::json::parse(alone.out);
  EXPECT_EQ(j["epochs"], 1);
  EXPECT_TRUE(j.contains("dev"));
  // A bad word2vec file is refused with its name and line.
  const auto vec = tmp.write("bad.vec", "3 2\n北 1\n");
  const auto bad = run_cli("train-student --train " + train + " --out " + tmp.path() +
                           "/x --epochs 1 --embed-init " + vec);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("bad.vec"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
}

#endif

}  // namespace
}  // namespace jointnlu::testing
