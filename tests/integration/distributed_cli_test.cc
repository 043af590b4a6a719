// Data-parallel jointnlu as users run it: ranks as processes, through scripts/train-distributed.sh
// and through --world-size/--rank/--master. Two ranks with global batch B end at the parameters of
// one process with batch B (pretraining and the teacher); a killed rank makes the other exit
// non-zero with a message within the timeout; a rank started with other settings is refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "core/safetensors.h"

namespace jointnlu {
namespace {

#ifdef JOINTNLU_WITH_TRAINING

using testing::run_cli;
using testing::TempDir;

const std::string kLauncher = std::string(JOINTNLU_SOURCE_DIR) + "/scripts/train-distributed.sh";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command line; returns its exit status, its stderr in `err`.
int run_shell(const std::string& cmd, std::string& err, const TempDir& dir) {
  const std::string err_path = dir.file("shell.err");
  const int status = std::system((cmd + " > /dev/null 2> " + err_path).c_str());
  err = slurp(err_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The largest |a - b| over every float tensor of two safetensors files with the same names.
double max_difference(const std::string& a_path, const std::string& b_path) {
  const auto a = SafetensorsFile::open(a_path);
  const auto b = SafetensorsFile::open(b_path);
  double worst = 0;
  for (const auto& name : a.names()) {
    if (a.get(name).dtype != DType::kF32) continue;
    const auto x = a.to_floats(name);
    const auto y = b.to_floats(name);
    EXPECT_EQ(x.size(), y.size()) << name;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::fabs(x[i] - y[i])));
  }
  return worst;
}

// Distinct short lines over a few words.
std::string corpus_text(int lines) {
  const char* words[] = {"今天", "天气", "很好", "我们", "出去",
                         "玩吧", "明天", "下雨", "在家", "看书"};
  std::string text;
  std::uint32_t x = 11;
  for (int i = 1; i <= lines; ++i) {
    for (int j = 0; j < 3 + i % 5; ++j) {
      x = x * 1664525u + 1013904223u;
      text += words[(x >> 16) % 10];
    }
    text += "\n";
  }
  return text;
}

// A model small enough for CI, with no dropout anywhere: the ranks' random streams differ from a
// single process's, so equality holds only where no randomness enters the step.
const char* kMicroAlbert =
    R"({"model_type": "albert", "hidden_size": 32, "num_hidden_layers": 2,
        "num_attention_heads": 2, "intermediate_size": 64, "embedding_size": 16,
        "max_position_embeddings": 64, "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0, "classifier_dropout_prob": 0.0, "vocab_size": 100})";

struct Fixture {
  TempDir dir;
  std::string corpus = dir.write("corpus.txt", corpus_text(400));
  std::string size = dir.write("micro.json", kMicroAlbert);
  std::string pretrain(const std::string& out, int steps) const {
    return "pretrain --corpus " + corpus + " --build-vocab --size " + size + " --out " + out +
           " --batch-size 8 --max-length 24 --steps " + std::to_string(steps) +
           " --eval-sequences 16 --warmup 2 --checkpoint-minutes 60";
  }
  // `jointnlu ARGS` as 2 local ranks through the launcher; its exit status, its stderr in `err`.
  int on_two_ranks(const std::string& args, std::string& err) const {
    return run_shell(kLauncher + " 2 " + JOINTNLU_BINARY + " " + args, err, dir);
  }
};

TEST(DistributedCli, TwoRanksPretrainLikeOneProcessWithTheWholeBatch) {
  Fixture f;
  const std::string single = f.dir.file("single"), two = f.dir.file("two");
  auto r = run_cli(f.pretrain(single, 8) + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string err;
  ASSERT_EQ(f.on_two_ranks(f.pretrain(two, 8), err), 0) << err;
  const double delta = max_difference(single + "/model.safetensors", two + "/model.safetensors");
  std::cout << "pretraining, max |1 process - 2 ranks| after 8 steps: " << delta << "\n";
  EXPECT_LT(delta, 1e-5);
  // The steps did move the weights: another seed's run is far away.
  const std::string other = f.dir.file("other");
  r = run_cli(f.pretrain(other, 8) + " --threads 1 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(max_difference(single + "/model.safetensors", other + "/model.safetensors"), 1e-2);
}

TEST(DistributedCli, TwoRanksResumePretrainingFromRankZerosCheckpoint) {
  Fixture f;
  const std::string single = f.dir.file("single"), two = f.dir.file("two");
  auto r = run_cli(f.pretrain(single, 8) + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 4 of the 8 steps, then the rest from the checkpoint, both with 2 ranks.
  std::string err;
  ASSERT_EQ(f.on_two_ranks(f.pretrain(two, 8) + " --stop-after 4", err), 0) << err;
  EXPECT_NE(slurp(two + "/trainer_state.json").find("\"step\":4"), std::string::npos);
  ASSERT_EQ(f.on_two_ranks(f.pretrain(two, 8) + " --resume", err), 0) << err;
  EXPECT_NE(err.find("resumed"), std::string::npos) << err;
  const double delta = max_difference(single + "/model.safetensors", two + "/model.safetensors");
  std::cout << "pretraining, max |1 process - 2 ranks resumed at step 4| after 8 steps: " << delta
            << "\n";
  EXPECT_LT(delta, 1e-5);
}

TEST(DistributedCli, TwoRanksFineTuneTheTeacherLikeOneProcess) {
  Fixture f;
  const std::string data = std::string(JOINTNLU_SOURCE_DIR) + "/data/demo/train.json";
  const std::string args = "train-teacher --train " + data + " --init none --size " + f.size +
                           " --encoder-dropout 0 --batch-size 8 --epochs 2 --steps 9 --lr 1e-2 "
                           "--warmup 1 --out ";
  const std::string single = f.dir.file("single"), two = f.dir.file("two");
  auto r = run_cli(args + single + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string err;
  ASSERT_EQ(f.on_two_ranks(args + two, err), 0) << err;
  // The latest weights (the resumable state) after 9 steps.
  const double delta = max_difference(single + "/resume.safetensors", two + "/resume.safetensors");
  std::cout << "teacher, max |1 process - 2 ranks| after 9 steps: " << delta << "\n";
  // The shards sum in another order, and AdamW turns a gradient's last bits into a step of up to
  // lr where it is near zero: the tolerance is 1% of one step (lr 1e-2), while the weights move
  // by more than 1e-2 (below).
  EXPECT_LT(delta, 1e-4);
  const std::string other = f.dir.file("other");
  r = run_cli(args + other + " --threads 1 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(max_difference(single + "/resume.safetensors", other + "/resume.safetensors"), 1e-2);
}

TEST(DistributedCli, ARankWithOtherSettingsIsRefusedNamingTheField) {
  Fixture f;
  const std::string out = f.dir.file("run");
  const std::string rank =
      std::string(JOINTNLU_BINARY) + " " + f.pretrain(out, 4) +
      " --threads 1 --world-size 2 --master 127.0.0.1:" + std::to_string(29000 + ::getpid() % 900) +
      " --dist-timeout 30";
  std::string err;
  // Rank 1 was given another seed.
  const int rc = run_shell(
      "(" + rank + " --rank 1 --seed 3 2> " + f.dir.file("r1.err") + " &) ; " + rank + " --rank 0",
      err, f.dir);
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find("rank 1 was started with a different seed: '3' where rank 0 has '42'"),
            std::string::npos)
      << err;
}

TEST(DistributedCli, AKilledRankMakesTheOtherExitWithAnErrorWithinTheTimeout) {
  Fixture f;
  const std::string out = f.dir.file("run");
  const std::string port = std::to_string(29000 + (::getpid() + 450) % 900);
  const auto start = [&](int rank, const std::string& err_path) {
    const std::string cmd = std::string("exec ") + JOINTNLU_BINARY + " " + f.pretrain(out, 100000) +
                            " --threads 1 --world-size 2 --master 127.0.0.1:" + port +
                            " --dist-timeout 20 --rank " + std::to_string(rank) +
                            " > /dev/null 2> " + err_path;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  };
  const std::string err0 = f.dir.file("rank0.err");
  const pid_t rank0 = start(0, err0);
  const pid_t rank1 = start(1, f.dir.file("rank1.err"));
  ASSERT_GT(rank0, 0);
  ASSERT_GT(rank1, 0);
  // Once the job trains (rank 0's progress line), rank 1 dies without a word.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (slurp(err0).find("steps |") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(rank1, SIGKILL);
  int status = 0;
  ::waitpid(rank1, &status, 0);
  const auto killed = std::chrono::steady_clock::now();
  // Rank 0 must not hang: poll for its exit for up to twice the timeout, then fail the test.
  pid_t done = 0;
  while ((done = ::waitpid(rank0, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - killed < std::chrono::seconds(40))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (done == 0) {
    ::kill(rank0, SIGKILL);
    ::waitpid(rank0, &status, 0);
    FAIL() << "rank 0 still running 40 s after rank 1 died:\n" << slurp(err0);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  std::cout << "rank 0 exited " << seconds << " s after rank 1 was killed\n";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_LE(seconds, 25.0);
  EXPECT_NE(slurp(err0).find("rank 0 of 2:"), std::string::npos) << slurp(err0);
}

#endif

}  // namespace
}  // namespace jointnlu
