#include "train/pretrain.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/file_io.h"
#include "core/label_space.h"
#include "core/model_directory.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "train/electra.h"
#include "train/encoder_release.h"
#include "train/joint_albert.h"
#include "train/lamb.h"
#include "train/mlm_metrics.h"
#include "train/recipes/recipe_fields.h"
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

PretrainRecipe tiny_run(const TempDir& dir, const std::string& out) {
  PretrainRecipe c;
  c.corpus = {{write_corpus(dir), 1.0}};
  c.out = out;
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
  const auto config = ModelDirectory(out).config();
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
  // A negative learning rate is refused naming the field (0 alone means the optimizer's own).
  PretrainRecipe negative = tiny_run(dir, dir.path() + "/negative");
  negative.lr = -1e-3;
  try {
    run_pretraining(negative);
    FAIL() << "lr -1e-3 accepted";
  } catch (const RecipeError& e) {
    EXPECT_EQ(e.field(), "lr");
  }
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
  EXPECT_EQ(ModelDirectory(release).config().at("architectures")[0], "AlbertModel");
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
  PretrainRecipe first = tiny_run(dir, split);
  first.stop_after = 3;
  EXPECT_EQ(run_pretraining(first).step, 3);
  PretrainRecipe second = tiny_run(dir, split);
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
  PretrainRecipe c = tiny_run(dir, dir.path() + "/run");
  c.steps = 40;
  c.lr = 2e-3;
  c.sop = false;
  const auto summary = run_pretraining(c);
  // Ten two-character words: clearly below the uniform log(95) = 4.55 after 40 small steps (the run
  // is deterministic: one thread, fixed seed; it reaches about 2.9).
  EXPECT_LT(summary.eval_mlm_loss, 3.6);
}

// ---- replaced-token detection ----

PretrainRecipe tiny_rtd_run(const TempDir& dir, const std::string& out) {
  PretrainRecipe c = tiny_run(dir, out);
  c.objective = "rtd";
  return c;
}

TEST(Electra, GeneratorIsAScaledDownEncoder) {
  const auto d = AlbertConfig::tiny(100);
  const auto g = generator_config(d, 0.25);
  EXPECT_EQ(g.hidden_size, 78);
  EXPECT_EQ(g.num_attention_heads, 3);
  EXPECT_EQ(g.intermediate_size, 312);
  EXPECT_EQ(g.num_hidden_layers, d.num_hidden_layers);
  EXPECT_EQ(g.embedding_size, d.embedding_size);
  EXPECT_EQ(generator_config(d, 0.01).num_attention_heads, 1);
  EXPECT_THROW(generator_config(d, 0), std::invalid_argument);
  EXPECT_THROW(generator_config(d, 1.5), std::invalid_argument);
}

TEST(Electra, LabelsSampledReplacementsAndJudgesOnlyRealTokens) {
  torch::manual_seed(1);
  auto d = AlbertConfig::tiny(20);
  ElectraForPreTraining model(d, generator_config(d, 0.25));
  // Two rows of 6 tokens, the second padded after 4: [CLS] a b c [SEP] / [CLS] a [SEP] pad...
  RtdBatch b;
  b.ids = torch::tensor({{2, 4, 7, 4, 9, 3}, {2, 8, 3, 0, 0, 0}}, torch::kInt64);
  b.mask = torch::tensor({{1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0}}, torch::kInt64);
  b.types = torch::zeros_like(b.ids);
  b.positions = torch::tensor({1, 3}, torch::kInt64);
  b.targets = torch::tensor({10, 11}, torch::kInt64);
  b.at_mask = torch::tensor({true, true});
  b.cls_id = 2;
  b.sep_id = 3;
  const auto out = model->forward(b, 50.0, at::detail::createCPUGenerator(7));
  EXPECT_EQ(out.rtd.tokens, 4 + 1);  // real tokens less [CLS] and [SEP]
  EXPECT_LE(out.rtd.replaced, 2);    // only the two predicted positions can differ
  EXPECT_EQ(out.mlm.targets, 2);
  EXPECT_TRUE(std::isfinite(out.loss.item<double>()));
  EXPECT_NEAR(out.loss.item<double>(),
              out.mlm_loss.item<double>() + 50 * out.rtd_loss.item<double>(), 1e-4);
  // Only the discriminator's encoder has embeddings: one encoder prefix in the checkpoint.
  std::size_t embeddings = 0;
  for (const auto& [name, t] : state_dict(*model))
    embeddings += name.find("word_embeddings") != std::string::npos;
  EXPECT_EQ(embeddings, 1u);
}

TEST(PretrainRtd, WritesAnAlbertCheckpointTheTeacherLoads) {
  TempDir dir;
  const std::string out = dir.path() + "/run";
  const auto summary = run_pretraining(tiny_rtd_run(dir, out));
  EXPECT_EQ(summary.step, 6);
  EXPECT_EQ(summary.objective, "rtd");
  const auto config = ModelDirectory(out).config();
  EXPECT_EQ(config.at("model_type"), "albert");
  const auto tensors = read_safetensors(out + "/model.safetensors");
  for (const char* name : {"albert.embeddings.word_embeddings.weight",
                           "albert.encoder.embedding_hidden_mapping_in.weight",
                           "discriminator_predictions.dense.weight",
                           "discriminator_predictions.dense_prediction.weight",
                           "generator.encoder.embedding_hidden_mapping_in.weight",
                           "generator.predictions.dense.weight", "generator.predictions.bias"})
    EXPECT_TRUE(tensors.count(name)) << name;
  EXPECT_FALSE(tensors.count("predictions.dense.weight"));
  EXPECT_EQ(tensors.at("generator.encoder.embedding_hidden_mapping_in.weight").size(0), 78);
  const auto state = nlohmann::json::parse(read_file(out + "/trainer_state.json"));
  EXPECT_EQ(state.at("hyper").at("objective"), "rtd");
  EXPECT_EQ(state.at("hyper").at("generator_fraction"), 0.25);
  const std::string curve = read_file(out + "/curve.csv");
  EXPECT_NE(curve.find(",mask_acc,rtd_loss,rtd_acc,rtd_original_acc,rtd_replaced_acc,"
                       "rtd_replaced_share\n"),
            std::string::npos)
      << curve;

  // train-teacher --init: the encoder loads as is; the pretraining heads are left over.
  const PretrainedEncoder encoder = read_pretrained(out);
  LabelSpace labels({"d"}, {"i"}, {"k"}, {{"d", "i"}});
  JointAlbert teacher(encoder.config, labels);
  const LoadReport report = load_pretrained(teacher, encoder);
  EXPECT_TRUE(torch::equal(teacher->albert->embeddings->word_embeddings->weight,
                           tensors.at("albert.embeddings.word_embeddings.weight")));
  EXPECT_TRUE(torch::equal(teacher->albert->encoder->embedding_hidden_mapping_in->weight,
                           tensors.at("albert.encoder.embedding_hidden_mapping_in.weight")));
  bool generator = false, head = false;
  for (const auto& name : report.unexpected) {
    generator |= name.rfind("generator.", 0) == 0;
    head |= name.rfind("discriminator_predictions.", 0) == 0;
  }
  EXPECT_TRUE(generator);
  EXPECT_TRUE(head);
}

TEST(PretrainRtd, ResumeContinuesExactly) {
  TempDir dir;
  const std::string straight = dir.path() + "/straight";
  const std::string split = dir.path() + "/split";
  run_pretraining(tiny_rtd_run(dir, straight));
  PretrainRecipe first = tiny_rtd_run(dir, split);
  first.stop_after = 3;
  EXPECT_EQ(run_pretraining(first).step, 3);
  PretrainRecipe second = tiny_run(dir, split);  // objective "mlm" here: the saved rtd wins
  second.resume = true;
  second.build_vocab = false;
  second.steps = 0;
  const auto summary = run_pretraining(second);
  EXPECT_EQ(summary.step, 6);
  EXPECT_EQ(summary.objective, "rtd");
  const auto a = read_safetensors(straight + "/model.safetensors");
  const auto b = read_safetensors(split + "/model.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
}

// Lines of one repeated character ("今今今今今3"): a replaced token stands out from its line, and
// the small model below learns that within a few hundred steps (the tiny preset takes far longer
// to leave the unigram plateau).
TEST(PretrainRtd, DiscriminatorBeatsTheAllOriginalBaseline) {
  TempDir dir;
  PretrainRecipe c = tiny_rtd_run(dir, dir.path() + "/run");
  std::string text;
  const char* chars[] = {"今", "天", "气", "很", "好", "我"};
  for (int i = 0; i < 4000; ++i) {
    for (int j = 0; j < 5 + i % 4; ++j) text += chars[(i * 7 + i / 6) % 6];
    text += std::to_string(i % 10) + "\n";
  }
  c.corpus = {{dir.write("mono.txt", text), 1.0}};
  c.size = dir.write("small.json", R"({"embedding_size": 32, "hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
    "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})");
  c.steps = 400;
  c.batch_size = 16;
  c.lr = 5e-3;
  c.eval_sequences = 64;
  c.log_every = 50;
  const auto summary = run_pretraining(c);
  // Answering "original" everywhere scores 1 - replaced share; the discriminator must do better,
  // i.e. find replaced tokens without giving up the original ones. (Deterministic: one thread,
  // fixed seed; it reaches 96.4% against 93.0%, and 54% of the replaced tokens.)
  EXPECT_GT(summary.eval_rtd_replaced_share, 0.03);
  EXPECT_GT(summary.eval_rtd_accuracy, 1 - summary.eval_rtd_replaced_share + 0.01);
  EXPECT_GT(summary.eval_rtd_replaced_accuracy, 0.25);
  EXPECT_GT(summary.eval_mask_accuracy, 0.3);  // the generator learns the context too
}

TEST(PretrainRtd, RejectsBadSettings) {
  TempDir dir;
  PretrainRecipe c = tiny_rtd_run(dir, dir.path() + "/run");
  c.objective = "electra";
  EXPECT_THROW(run_pretraining(c), std::invalid_argument);
  c.objective = "rtd";
  c.sop = true;
  EXPECT_THROW(run_pretraining(c), std::invalid_argument);
  c.sop = false;
  c.generator_fraction = 0;
  EXPECT_THROW(run_pretraining(c), std::invalid_argument);
}

// ---- whole-word masking ----

TEST(PretrainWordMasking, RecordsTheSettingAndResumesExactly) {
  TempDir dir;
  const std::string words = dir.write("words.txt", "今天 3 t\n天气\t2\tn\n很好\n明天\n");
  const auto run = [&](const std::string& out) {
    PretrainRecipe c = tiny_run(dir, out);
    c.masking = "word";
    c.word_list = words;
    c.max_ngram = 1;
    return c;
  };
  const std::string straight = dir.path() + "/straight";
  const std::string split = dir.path() + "/split";
  run_pretraining(run(straight));
  const auto hyper = nlohmann::json::parse(read_file(straight + "/trainer_state.json")).at("hyper");
  EXPECT_EQ(hyper.at("masking"), "word");
  EXPECT_EQ(hyper.at("word_list"), words);
  PretrainRecipe first = run(split);
  first.stop_after = 3;
  run_pretraining(first);
  PretrainRecipe second = tiny_run(dir, split);  // masking "char" here: the saved setting wins
  second.resume = true;
  second.build_vocab = false;
  second.steps = 0;
  EXPECT_EQ(run_pretraining(second).step, 6);
  const auto a = read_safetensors(straight + "/model.safetensors");
  const auto b = read_safetensors(split + "/model.safetensors");
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
}

TEST(PretrainWordMasking, AMissingWordListIsAnErrorNamingTheFile) {
  TempDir dir;
  PretrainRecipe c = tiny_run(dir, dir.path() + "/run");
  c.masking = "word";
  c.word_list = dir.path() + "/no-such-words.txt";
  try {
    run_pretraining(c);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-words.txt"), std::string::npos) << e.what();
  }
  c.masking = "words";
  EXPECT_THROW(run_pretraining(c), std::invalid_argument);
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
