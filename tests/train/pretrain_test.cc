#include "train/pretrain.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/file_io.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/encoder_release.h"
#include "train/joint_albert.h"
#include "train/lamb.h"
#include "train/mlm_metrics.h"
#include "train/torch_env.h"

namespace jointnlu::train {
namespace {

using jointnlu::testing::TempDir;

TEST(AdamLamb, AdamWStepMatchesTheFormula) {
  auto w = torch::tensor({1.0f, -2.0f}).requires_grad_(true);
  OptimizerConfig config;
  config.weight_decay = 0.1;
  AdamLamb opt({{"w", w}}, config);
  (w * w).sum().backward();  // grad = 2w = (2, -4)
  opt.step(0.01);
  // First step: m^ = g, v^ = g^2, so the Adam direction is g / (|g| + eps) = sign(g) (up to eps).
  const float expected0 = 1.0f - 0.01f * (1.0f + 0.1f * 1.0f);
  const float expected1 = -2.0f - 0.01f * (-1.0f + 0.1f * -2.0f);
  EXPECT_NEAR(w[0].item<float>(), expected0, 1e-5);
  EXPECT_NEAR(w[1].item<float>(), expected1, 1e-5);
  EXPECT_EQ(opt.steps(), 1);
}

TEST(AdamLamb, LambScalesTheUpdateByTheTrustRatio) {
  auto w = torch::full({4}, 3.0f).requires_grad_(true);
  OptimizerConfig config;
  config.kind = OptimizerKind::kLamb;
  config.weight_decay = 0;
  AdamLamb opt({{"w", w}}, config);
  w.sum().backward();  // update = (1,1,1,1): ||u|| = 2, ||w|| = 6: trust ratio 3
  opt.step(0.1);
  EXPECT_NEAR(w[0].item<float>(), 3.0f - 0.1f * 3.0f, 1e-5);
}

TEST(AdamLamb, StateRoundTripContinuesIdentically) {
  auto make = [] { return torch::tensor({0.5f, 1.5f, -1.0f}).requires_grad_(true); };
  auto a = make(), b = make();
  AdamLamb oa({{"p", a}}, {}), ob({{"p", b}}, {});
  auto train = [](torch::Tensor& p, AdamLamb& o) {
    o.zero_grad();
    (p * p * p).sum().backward();
    o.step(0.05);
  };
  train(a, oa);
  train(b, ob);
  train(a, oa);
  AdamLamb oc({{"p", b}}, {});  // a fresh optimizer that takes over b's state
  oc.load_state(ob.state());
  train(b, oc);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_EQ(oc.steps(), 2);
  StateDict broken = ob.state();
  broken.erase("p.exp_avg");
  EXPECT_THROW(oc.load_state(broken), CheckpointError);
}

// A corpus of short distinct lines made of ten two-character words (so the held-out 1% is not
// empty, and the second character of a word is predictable from the first).
std::string write_corpus(const TempDir& dir) {
  std::string text;
  const char* words[] = {"今天", "天气", "很好", "我们", "出去",
                         "玩吧", "明天", "下雨", "在家", "看书"};
  std::uint32_t x = 12345;
  for (int i = 0; i < 800; ++i) {
    for (int j = 0; j < 3 + i % 5; ++j) {
      x = x * 1664525u + 1013904223u;
      text += words[(x >> 16) % 10];
    }
    text += "\n";
  }
  return dir.write("corpus.txt", text);
}

PretrainConfig tiny_run(const TempDir& dir, const std::string& out) {
  PretrainConfig c;
  c.corpus = {{write_corpus(dir), 1.0}};
  c.out_dir = out;
  c.build_vocab = true;
  c.batch_size = 4;
  c.max_length = 16;
  c.steps = 6;
  c.warmup = 2;
  c.eval_sequences = 8;
  c.log_every = 2;
  c.threads = 1;
  return c;
}

TEST(Pretrain, WritesAHuggingFaceStyleCheckpoint) {
  TempDir dir;
  const std::string out = dir.path() + "/run";
  const auto summary = run_pretraining(tiny_run(dir, out));
  EXPECT_EQ(summary.step, 6);
  EXPECT_GT(summary.tokens_seen, 6 * 4 * 10);
  for (const char* f : {"config.json", "vocab.txt", "model.safetensors", "optimizer.safetensors",
                        "trainer_state.json", "curve.csv"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  const auto config = read_config(out);
  EXPECT_EQ(config.at("model_type"), "albert");
  EXPECT_EQ(config.at("hidden_size"), 312);
  const auto tensors = read_safetensors(out + "/model.safetensors");
  EXPECT_TRUE(tensors.count("albert.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(tensors.count("predictions.dense.weight"));
  EXPECT_TRUE(tensors.count("sop_classifier.classifier.weight"));
  EXPECT_EQ(tensors.at("albert.embeddings.word_embeddings.weight").size(0),
            config.at("vocab_size").get<int64_t>());
  const auto state = nlohmann::json::parse(read_file(out + "/trainer_state.json"));
  EXPECT_EQ(state.at("step"), 6);
  const std::string curve = read_file(out + "/curve.csv");
  EXPECT_NE(curve.find("kind,step,tokens"), std::string::npos);
  EXPECT_NE(curve.find("\neval,"), std::string::npos);
  EXPECT_NE(curve.find("\ntrain,"), std::string::npos);
  // A second fresh run into the same directory is refused (it would overwrite the first).
  EXPECT_THROW(run_pretraining(tiny_run(dir, out)), std::invalid_argument);
}

// The release keeps the encoder only, stores it as F16, and reads back (widened to F32) within
// F16's rounding of the run's own weights.
TEST(EncoderRelease, KeepsTheEncoderAsF16AndLoadsBackWithinRounding) {
  TempDir dir;
  const std::string run = dir.path() + "/run";
  run_pretraining(tiny_run(dir, run));
  const std::string release = dir.path() + "/release";
  const auto summary = write_encoder_release(run, release, ReleaseDType::kF16);
  EXPECT_GT(summary.tensors, 0);
  EXPECT_LE(summary.max_abs_rounding, 1e-3);
  const auto original = read_safetensors(run + "/model.safetensors");
  std::map<std::string, std::string> metadata;
  const auto released = read_safetensors(release + "/model.safetensors", &metadata);
  EXPECT_EQ(metadata.at("source_step"), "6");
  EXPECT_EQ(released.size(), static_cast<std::size_t>(summary.tensors));
  for (const auto& [name, t] : released) {
    EXPECT_EQ(name.rfind("albert.", 0), 0u) << name;  // no MLM / SOP heads
    EXPECT_EQ(t.scalar_type(), torch::kFloat16) << name;
    EXPECT_TRUE(torch::allclose(t.to(torch::kFloat32), original.at(name), 0, 1e-3)) << name;
  }
  EXPECT_EQ(read_config(release).at("architectures")[0], "AlbertModel");
  // Fine-tuning's loader takes it: every encoder weight is the released one, widened.
  const auto pretrained = read_pretrained(release);
  const LabelSpace labels({"d"}, {"i"}, {"k"}, {{"d", "i"}});
  JointAlbert model(pretrained.config, labels);
  load_pretrained(model, pretrained);
  const auto loaded = state_dict(*model);
  const auto& w = loaded.at("albert.embeddings.word_embeddings.weight");
  EXPECT_EQ(w.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(
      torch::equal(w, released.at("albert.embeddings.word_embeddings.weight").to(torch::kFloat32)));
  EXPECT_THROW(parse_release_dtype("f8"), std::invalid_argument);
}

TEST(TorchEnv, ResolvesDevicesAndRejectsUnusableOnes) {
  EXPECT_TRUE(resolve_device("cpu").is_cpu());
  EXPECT_THROW(resolve_device("tpu"), std::invalid_argument);
  EXPECT_THROW(resolve_device("cudax"), std::invalid_argument);
  if (torch::cuda::is_available()) {
    EXPECT_TRUE(resolve_device("cuda").is_cuda());
    EXPECT_THROW(resolve_device("cuda:999"), std::invalid_argument);
  } else {
    EXPECT_THROW(resolve_device("cuda"), std::invalid_argument);
  }
}

TEST(Pretrain, ResumeContinuesExactly) {
  TempDir dir;
  const std::string straight = dir.path() + "/straight";
  const std::string split = dir.path() + "/split";
  run_pretraining(tiny_run(dir, straight));
  PretrainConfig first = tiny_run(dir, split);
  first.stop_after = 3;
  EXPECT_EQ(run_pretraining(first).step, 3);
  PretrainConfig second = tiny_run(dir, split);
  second.resume = true;
  second.build_vocab = false;
  second.steps = 0;  // the schedule (6 steps) comes from the saved state
  EXPECT_EQ(run_pretraining(second).step, 6);
  const auto a = read_safetensors(straight + "/model.safetensors");
  const auto b = read_safetensors(split + "/model.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
}

TEST(Pretrain, LearnsOnARepetitiveCorpus) {
  TempDir dir;
  PretrainConfig c = tiny_run(dir, dir.path() + "/run");
  c.steps = 40;
  c.lr = 2e-3;
  c.sop = false;
  const auto summary = run_pretraining(c);
  // Ten two-character words: clearly below the uniform log(95) = 4.55 after 40 small steps (the run
  // is deterministic: one thread, fixed seed; it reaches about 2.9).
  EXPECT_LT(summary.eval_mlm_loss, 3.6);
}

TEST(MlmMetrics, SplitsAccuracyAtMaskInputsFromTheRest) {
  // Four targets; the argmax of the rows is 2, 0, 1, 1.
  const auto logits =
      torch::tensor({{0.f, 1.f, 5.f}, {3.f, 1.f, 0.f}, {0.f, 2.f, 1.f}, {0.f, 4.f, 1.f}});
  const auto targets = torch::tensor({2, 1, 1, 1}, torch::kInt64);
  const auto at_mask = torch::tensor({true, true, false, false});
  MlmHits h = score_mlm(logits, targets, at_mask);
  EXPECT_EQ(h.targets, 4);
  EXPECT_EQ(h.correct, 3);
  EXPECT_EQ(h.at_mask, 2);
  EXPECT_EQ(h.at_mask_correct, 1);
  h += h;
  EXPECT_EQ(h.targets, 8);
  EXPECT_EQ(h.at_mask_correct, 2);
}

}  // namespace
}  // namespace jointnlu::train
