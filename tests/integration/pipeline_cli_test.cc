// `jointnlu pipeline` and `jointnlu distill` / `train-student` end to end on a slice of the demo
// data with a tiny configuration: every stage's output exists, a re-run skips finished stages, and
// bad configurations are refused with the file and key named.
#include <gtest/gtest.h>

#include <algorithm>
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
                           " --test " + demo("test") + " --out " + run + " --config " + config +
                           " --init none";
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
  const auto alone =
      run_cli("train-student --train " + train + " --dev " + demo("dev") + " --out " + tmp.path() +
              "/alone --epochs 1 --hidden-size 16 " + "--threads 1 --json");
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
  // Training again into a directory that holds a model is refused unless asked for.
  const std::string again = "train-student --train " + train + " --out " + tmp.path() +
                            "/alone --epochs 1 --hidden-size 16 --threads 1";
  const auto refused = run_cli(again);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--out: " + tmp.path() + "/alone already holds a model"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("overwrite"), std::string::npos) << refused.err;
  EXPECT_EQ(run_cli(again + " --overwrite").exit_code, 0);
}

// `jointnlu bench` on a tiny student: every engine timed in the asked number of rounds, the
// runtime's floor and the ratios present, and the numbers consistent with one another.
TEST(StudentCli, BenchTimesEveryEngineInRounds) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/s";
  const auto trained = run_cli("train-student --train " + small_train(tmp) + " --out " + dir +
                               " --epochs 1 --hidden-size 16 --threads 1");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const auto r = run_cli("bench --student " + dir + " --data " + demo("test") +
                         " --threads 1 --rounds 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& m : j["models"]) {
    names.push_back(m["name"]);
    SCOPED_TRACE(names.back());
    const std::vector<double> rounds = m["p50_rounds_us"];
    ASSERT_EQ(rounds.size(), 3u);
    const double p50 = m["p50_us"];
    EXPECT_GT(p50, 0.0);
    // The pooled p50 lies within the rounds' p50s; p99 is above it.
    EXPECT_LE(*std::min_element(rounds.begin(), rounds.end()), p50);
    EXPECT_GE(*std::max_element(rounds.begin(), rounds.end()), p50);
    EXPECT_GE(m["p99_us"].get<double>(), p50);
    EXPECT_GT(m["throughput_per_s"].get<double>(), 0.0);
    // Scaling is the median of the rounds' ratios (3 rounds: the middle one).
    std::vector<double> scaling = m["throughput_over_single_thread_rounds"];
    ASSERT_EQ(scaling.size(), 3u);
    std::sort(scaling.begin(), scaling.end());
    EXPECT_GT(scaling[0], 0.0);
    EXPECT_DOUBLE_EQ(j["throughput_over_single_thread"][names.back()].get<double>(), scaling[1]);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"student (libtorch)", "runtime fp32", "runtime int8"}));
  for (const char* name : {"runtime fp32", "runtime int8"}) {
    const auto& f = j["floors"][name];
    EXPECT_GT(f["floor_us"].get<double>(), 0.0) << name;
    EXPECT_GE(f["floor_us"].get<double>(), f["compute_us"].get<double>()) << name;
    EXPECT_GE(f["floor_us"].get<double>(), f["memory_us"].get<double>()) << name;
    EXPECT_LE(f["best_round_p50_over_floor"].get<double>(), f["p50_over_floor"].get<double>())
        << name;
  }
  // Engines are interleaved within each round, and every ratio is the median of the rounds' own
  // ratios of p50s.
  const std::string key = "student (libtorch) / runtime int8";
  ASSERT_TRUE(j["ratios"].contains(key));
  std::vector<double> ratio_rounds = j["ratios_rounds"][key];
  ASSERT_EQ(ratio_rounds.size(), 3u);
  const std::vector<double> slow = j["models"][0]["p50_rounds_us"],
                            fast = j["models"][2]["p50_rounds_us"];
  for (std::size_t r = 0; r < 3; ++r) EXPECT_DOUBLE_EQ(ratio_rounds[r], slow[r] / fast[r]);
  std::sort(ratio_rounds.begin(), ratio_rounds.end());
  EXPECT_DOUBLE_EQ(j["ratios"][key].get<double>(), ratio_rounds[1]);
  const auto bad = run_cli("bench --student " + dir + " --data " + demo("test") + " --rounds 0");
  EXPECT_NE(bad.exit_code, 0);
}

#endif

}  // namespace
}  // namespace jointnlu::testing
