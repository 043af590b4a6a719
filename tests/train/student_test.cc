// The BiLSTM student and distillation: padding-independent forward, checkpoints, the KD loss
// against hand-computed values, alpha = 0 being plain training exactly, a student distilled from
// a teacher reproducing the teacher's predictions, and [MASK] placement of augmented variants.
#include <gtest/gtest.h>

#include <cmath>

#include "data/augment.h"
#include "test_util.h"
#include "toy_data.h"
#include "train/batching.h"
#include "train/bilstm.h"
#include "train/checkpoint.h"
#include "train/distill.h"
#include "train/joint_loss.h"
#include "train/predictor.h"
#include "train/trainer.h"

namespace jointnlu::train {
namespace {

using jointnlu::testing::align_all;
using jointnlu::testing::TempDir;
using jointnlu::testing::toy_records;
using jointnlu::testing::toy_tokenizer;

struct Toy {
  std::vector<Example> examples = align_all(toy_records());
  Tokenizer tokenizer = toy_tokenizer(toy_records());
  LabelSpace labels = LabelSpace::from_examples(examples);
  Batcher batcher{tokenizer, labels, 32};
  StudentSpec config;

  explicit Toy(Pooling pooling = Pooling::kMax, std::size_t layers = 1) {
    config.labels = labels;
    config.max_length = 32;
    config.vocab_size = tokenizer.vocab_size();
    config.embedding_size = 16;
    config.hidden_size = 12;
    config.num_layers = layers;
    config.pooling = pooling;
    config.attention_size = 10;
    config.dropout = 0.0;
  }
  JointBiLSTM model(uint64_t seed = 1) const {
    torch::manual_seed(seed);
    return JointBiLSTM(config);
  }
};

TEST(Student, PaddedBatchEqualsOneAtATime) {
  for (Pooling pooling : {Pooling::kMax, Pooling::kAttention}) {
    Toy s(pooling, 2);
    auto model = s.model();
    model->eval();
    torch::NoGradGuard no_grad;
    const auto encoded = s.batcher.encode_all(s.examples);
    std::vector<const EncodedExample*> all;
    for (const auto& e : encoded) all.push_back(&e);
    const auto batch = s.batcher.collate(all);
    const auto together = model->forward(batch.input_ids, batch.attention_mask);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      const auto one = s.batcher.collate({&encoded[i]});
      const auto alone = model->forward(one.input_ids, one.attention_mask);
      const auto k = static_cast<int64_t>(i);
      const auto len = one.input_ids.size(1);
      EXPECT_TRUE(torch::allclose(together.domain[k], alone.domain[0], 1e-5, 1e-6));
      EXPECT_TRUE(torch::allclose(together.intent[k], alone.intent[0], 1e-5, 1e-6));
      EXPECT_TRUE(torch::allclose(together.slots[k].narrow(0, 0, len), alone.slots[0], 1e-5, 1e-6))
          << "example " << i << " pooling " << pooling_name(pooling);
    }
  }
}

TEST(Student, CheckpointRoundTripGivesSamePredictions) {
  Toy s(Pooling::kAttention);
  auto model = s.model();
  TempDir dir;
  StudentSpec spec = s.config;
  spec.max_length = 32;
  write_checkpoint_dir(dir.file("student"),
                       student_checkpoint(spec, s.tokenizer, state_dict(*model)));
  const auto reloaded = load_predictor(dir.file("student"));
  const JointPredictor original(as_joint_model(model), s.batcher);
  std::vector<std::string> texts;
  for (const auto& e : s.examples) texts.push_back(e.text);
  const auto a = original.predict(texts);
  const auto b = reloaded.predict(texts);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].frame.domain, b[i].frame.domain);
    EXPECT_EQ(a[i].frame.intent, b[i].frame.intent);
    EXPECT_EQ(a[i].frame.slots, b[i].frame.slots);
    EXPECT_FLOAT_EQ(a[i].domain_score, b[i].domain_score);
  }
}

TEST(Student, LoaderNamesAMissingTensor) {
  Toy s;
  auto model = s.model();
  TempDir dir;
  StudentSpec spec = s.config;
  auto tensors = state_dict(*model);
  tensors.erase("lstm.weight_hh_l0_reverse");
  write_checkpoint_dir(dir.file("student"), student_checkpoint(spec, s.tokenizer, tensors));
  try {
    load_student(dir.file("student"));
    FAIL() << "loaded a checkpoint without lstm.weight_hh_l0_reverse";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("lstm.weight_hh_l0_reverse"), std::string::npos)
        << e.what();
  }
}

TEST(Distill, KlTermMatchesHandComputedValue) {
  // student logits (1, 0), teacher (0, 1), T = 2: p_t = softmax(0, .5), p_s = softmax(.5, 0)
  const auto student = torch::tensor({{1.0f, 0.0f}});
  const auto teacher = torch::tensor({{0.0f, 1.0f}});
  const auto rows = torch::ones({1});
  DistillOptions o;
  o.temperature = 2.0;
  const double a = 1.0 / (1.0 + std::exp(0.5));  // p_t[0] = p_s[1]
  const double b = 1.0 - a;
  const double kl = a * std::log(a / b) + b * std::log(b / a);
  EXPECT_NEAR(distill_term(student, teacher, rows, o).item<double>(), 4.0 * kl, 1e-6);
  o.loss = DistillLoss::kMse;
  EXPECT_NEAR(distill_term(student, teacher, rows, o).item<double>(), 1.0, 1e-6);
  // Rows with weight 0 do not count; identical distributions give 0.
  const auto two = torch::tensor({{1.0f, 0.0f}, {5.0f, -5.0f}});
  const auto two_teacher = torch::tensor({{1.0f, 0.0f}, {-5.0f, 5.0f}});
  o.loss = DistillLoss::kKl;
  EXPECT_NEAR(distill_term(two, two_teacher, torch::tensor({1.0f, 0.0f}), o).item<double>(), 0.0,
              1e-6);
}

TEST(Distill, MixesGoldAndSoftLossesWithAlpha) {
  Toy s;
  auto model = s.model();
  auto encoded = s.batcher.encode_all(s.examples);
  auto teacher = s.model(7);
  attach_teacher_logits(as_joint_model(teacher), s.batcher, encoded);
  std::vector<const EncodedExample*> all;
  for (const auto& e : encoded) all.push_back(&e);
  const auto batch = s.batcher.collate(all);
  const auto logits = model->forward(batch.input_ids, batch.attention_mask);
  const JointLoss plain = JointCriterion(LossWeights{1, 1, 2})(logits, batch);
  DistillOptions d;
  d.alpha = 0.3;
  d.temperature = 3;
  const JointLoss mixed = JointCriterion(LossWeights{1, 1, 2}).distill(d)(logits, batch);
  const double kd_domain =
      distill_term(logits.domain, batch.soft_domain, batch.soft_rows, d).item<double>();
  EXPECT_NEAR(mixed.domain.item<double>(), 0.7 * plain.domain.item<double>() + 0.3 * kd_domain,
              1e-5);
  const int64_t tags = logits.slots.size(-1);
  const double kd_slots =
      distill_term(logits.slots.reshape({-1, tags}), batch.soft_slots.reshape({-1, tags}),
                   batch.soft_positions.reshape({-1}), d)
          .item<double>();
  EXPECT_NEAR(mixed.slots.item<double>(), 0.7 * plain.slots.item<double>() + 0.3 * kd_slots, 1e-5);
  EXPECT_GT(std::abs(kd_slots), 0.0);
}

StateDict train_briefly(Toy& s, const std::vector<EncodedExample>& data,
                        const JointCriterion& criterion, const std::string& out) {
  auto model = s.model(3);
  TrainerOptions o;
  o.out_dir = out;
  o.epochs = 3;
  o.batch_size = 4;
  o.lr = 1e-2;
  o.seed = 5;
  TrainerHooks hooks;
  StudentSpec spec = s.config;
  hooks.checkpoint = [&](StateDict t) { return student_checkpoint(spec, s.tokenizer, t); };
  Trainer(as_joint_model(model), criterion, s.batcher, o, hooks).fit(data);
  StateDict snapshot;
  for (auto& [k, v] : state_dict(*model)) snapshot[k] = v.clone();
  return snapshot;
}

TEST(Distill, AlphaZeroIsPlainTrainingExactly) {
  Toy s;
  const auto plain_data = s.batcher.encode_all(s.examples);
  auto soft_data = plain_data;
  auto teacher = s.model(9);
  attach_teacher_logits(as_joint_model(teacher), s.batcher, soft_data);
  TempDir dir;
  DistillOptions d;
  d.alpha = 0.0;
  d.temperature = 4.0;
  const auto a = train_briefly(s, plain_data, JointCriterion(LossWeights{}), dir.file("a"));
  const auto b =
      train_briefly(s, soft_data, JointCriterion(LossWeights{}).distill(d), dir.file("b"));
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a)
    EXPECT_TRUE(torch::equal(tensor, b.at(name))) << name << " differs";
}

TEST(Distill, StudentReproducesTheTeachersPredictions) {
  // The teacher: another network of the same family with sharpened heads, so its decisions are
  // confident and differ from the gold labels; the student sees only its soft targets (alpha 1).
  Toy s;
  s.config.hidden_size = 24;
  auto teacher = s.model(11);
  {
    torch::NoGradGuard no_grad;
    teacher->domain_classifier->weight.mul_(8);
    teacher->intent_classifier->weight.mul_(8);
    teacher->slot_classifier->weight.mul_(8);
  }
  auto data = s.batcher.encode_all(s.examples);
  for (auto& e : data) {
    e.domain = e.intent = kIgnoreClass;
    std::fill(e.slot_tags.begin(), e.slot_tags.end(), kIgnoreTag);
  }
  attach_teacher_logits(as_joint_model(teacher), s.batcher, data);
  auto student = s.model(12);
  TempDir dir;
  TrainerOptions o;
  o.out_dir = dir.file("student");
  o.epochs = 150;
  o.batch_size = 8;
  o.lr = 2e-2;
  o.warmup = 0;
  o.progress_interval = 1e9;
  TrainerHooks hooks;
  StudentSpec spec = s.config;
  hooks.checkpoint = [&](StateDict t) { return student_checkpoint(spec, s.tokenizer, t); };
  DistillOptions d;
  d.alpha = 1.0;
  d.temperature = 1.0;
  Trainer(as_joint_model(student), JointCriterion(LossWeights{}).distill(d), s.batcher, o, hooks)
      .fit(data);

  std::vector<std::string> texts;
  for (const auto& e : s.examples) texts.push_back(e.text);
  const auto want = JointPredictor(as_joint_model(teacher), s.batcher).predict(texts);
  const auto got = JointPredictor(as_joint_model(student), s.batcher).predict(texts);
  int same_frames = 0;
  for (std::size_t i = 0; i < texts.size(); ++i)
    same_frames += want[i].frame.domain == got[i].frame.domain &&
                   want[i].frame.intent == got[i].frame.intent &&
                   want[i].frame.slots == got[i].frame.slots;
  EXPECT_EQ(same_frames, static_cast<int>(texts.size()));
}

TEST(Distill, VariantMasksTheTokensOfMaskedCharacters) {
  Toy s;
  Variant v;
  v.example = s.examples[0];  // 播放周杰伦的稻香
  v.masked = {0, 3};
  const auto e = encode_variant(s.batcher, v);
  const auto plain = s.batcher.input(v.example.text);
  ASSERT_EQ(e.input.ids.size(), plain.ids.size());
  for (std::size_t t = 0; t < plain.ids.size(); ++t) {
    const bool masked = t == 1 || t == 4;  // [CLS] shifts characters by one
    EXPECT_EQ(e.input.ids[t], masked ? s.tokenizer.mask_id() : plain.ids[t]) << "position " << t;
  }
  EXPECT_EQ(e.domain, kIgnoreClass);
  for (auto tag : e.slot_tags) EXPECT_EQ(tag, kIgnoreTag);
}

}  // namespace
}  // namespace jointnlu::train

namespace jointnlu::train {
namespace {

// An ensemble's target is the teachers' average: of the probabilities at the temperature for KL
// (the stored logits give them back through the loss's softmax(z / T)), of the logits for MSE.
TEST(TeacherEnsemble, AveragesProbabilitiesForKlAndLogitsForMse) {
  torch::manual_seed(11);
  std::vector<std::vector<SoftTargets>> per_teacher(3);
  for (auto& t : per_teacher)
    t.push_back({torch::randn({4}) * 3, torch::randn({5}) * 3, torch::randn({6, 7}) * 3});
  DistillOptions kl;
  kl.temperature = 2.0;
  const auto a = average_soft_targets(per_teacher, kl);
  ASSERT_EQ(a.size(), 1u);
  auto want = torch::zeros({6, 7});
  for (const auto& t : per_teacher) want += torch::softmax(t[0].slots / 2.0, -1) / 3.0;
  EXPECT_TRUE(torch::allclose(torch::softmax(a[0].slots / 2.0, -1), want, 1e-5, 1e-6));
  auto want_domain = torch::zeros({4});
  for (const auto& t : per_teacher) want_domain += torch::softmax(t[0].domain / 2.0, -1) / 3.0;
  EXPECT_TRUE(torch::allclose(torch::softmax(a[0].domain / 2.0, -1), want_domain, 1e-5, 1e-6));
  DistillOptions mse;
  mse.loss = DistillLoss::kMse;
  const auto m = average_soft_targets(per_teacher, mse);
  EXPECT_TRUE(torch::allclose(
      m[0].intent,
      (per_teacher[0][0].intent + per_teacher[1][0].intent + per_teacher[2][0].intent) / 3.0));
  per_teacher[1].push_back(per_teacher[1][0]);
  EXPECT_THROW(average_soft_targets(per_teacher, kl), std::invalid_argument);
}

}  // namespace
}  // namespace jointnlu::train
