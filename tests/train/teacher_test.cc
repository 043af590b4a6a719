// The ALBERT teacher on toy data: batching, losses, class weights, overfitting a handful of
// examples to 100%, checkpoints that load back to the same predictions, exact resumption, and
// --init from a pretraining checkpoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "core/file_io.h"
#include "core/model_directory.h"
#include "core/utf8.h"
#include "data/dataset.h"
#include "data/metrics.h"
#include "test_util.h"
#include "toy_data.h"
#include "toy_teacher.h"
#include "train/batching.h"
#include "train/joint_albert.h"
#include "train/joint_loss.h"
#include "train/predictor.h"
#include "train/trainer.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;
using jointnlu::testing::align_all;
using jointnlu::testing::TempDir;
using jointnlu::testing::toy_records;
using jointnlu::testing::toy_tokenizer;

// Everything one training run needs, built deterministically from a seed.
struct Toy : jointnlu::testing::ToyTeacherData {
  JointAlbert model{nullptr};

  // Classifier dropout keeps the RNG in play for the resumption test.
  explicit Toy(uint64_t seed = 1) : ToyTeacherData(0.1) {
    torch::manual_seed(seed);
    model = JointAlbert(spec.albert, labels);
  }

  TrainerOptions options(const std::string& dir) const {
    TrainerOptions o;
    o.out_dir = dir;
    o.epochs = 80;
    o.batch_size = 4;
    o.lr = 1e-2;  // a 32-wide model from scratch on 8 examples: large steps (3e-3 needs ~3x the
                  // epochs)
    o.warmup = 0.05;
    o.patience = 0;
    o.progress_interval = 1e9;
    return o;
  }

  TrainerHooks hooks(const JointPredictor* predictor) {
    TrainerHooks h;
    if (predictor) h.evaluate = [this, predictor] { return score(*predictor); };
    h.checkpoint = [this](StateDict t) {
      return teacher_checkpoint(spec, tokenizer, std::move(t));
    };
    return h;
  }

  std::vector<std::string> texts() const {
    std::vector<std::string> t;
    for (const auto& r : records) t.push_back(r.text);
    return t;
  }

  Scores score(const JointPredictor& predictor) const {
    return score_records(records, prediction_records(texts(), predictor.predict(texts(), 3)));
  }
};

TEST(Batching, PadsAndMarksIgnoredPositions) {
  Toy s;
  Record unknown = s.records[0];
  unknown.domain = "video";  // not in training: ignored by the loss
  const auto e = s.batcher.encode(align(unknown));
  EXPECT_EQ(e.domain, kIgnoreClass);
  EXPECT_EQ(e.intent, s.labels.intents().id("PLAY"));
  const Batch b = s.batcher.collate({&s.encoded[5], &e});  // 打开微信 (4 chars) and 8 chars
  ASSERT_EQ(b.input_ids.sizes(), (std::vector<int64_t>{2, 10}));
  EXPECT_EQ(b.attention_mask[0].sum().item<int64_t>(), 6);
  EXPECT_EQ(b.input_ids[0][9].item<int64_t>(), s.tokenizer.pad_id());
  EXPECT_EQ(b.slot_tags[0][0].item<int64_t>(), kIgnoreTag);             // [CLS]
  EXPECT_EQ(b.slot_tags[0][5].item<int64_t>(), kIgnoreTag);             // [SEP]
  EXPECT_EQ(b.slot_tags[0][8].item<int64_t>(), kIgnoreTag);             // padding
  EXPECT_EQ(b.slot_tags[0][3].item<int64_t>(), s.labels.begin_tag(4));  // 微: B-name (keys sorted)
  EXPECT_EQ(s.labels.slot_keys()[4], "name");
  EXPECT_EQ(b.domain[1].item<int64_t>(), kIgnoreClass);
}

TEST(JointLoss, ParsesWeightsAndComputesClassWeights) {
  const auto w = LossWeights::parse("1, 0.5,2");
  EXPECT_DOUBLE_EQ(w.intent, 0.5);
  EXPECT_THROW(LossWeights::parse("1,1"), std::invalid_argument);
  EXPECT_THROW(LossWeights::parse("1,x,2"), std::invalid_argument);
  EXPECT_THROW(LossWeights::parse("1,-1,2"), std::invalid_argument);
  EXPECT_THROW(LossWeights::parse("0,0,0"), std::invalid_argument);
  EXPECT_FALSE(class_weights({3, 1}, ClassWeighting::kNone).defined());
  // n = 8 over k = 2 seen classes: 8 / (2 * 6), 8 / (2 * 2); an unseen class keeps 1.
  const auto inv = class_weights({6, 2, 0}, ClassWeighting::kInverse);
  EXPECT_NEAR(inv[0].item<double>(), 8.0 / 12, 1e-6);
  EXPECT_NEAR(inv[1].item<double>(), 2.0, 1e-6);
  EXPECT_NEAR(inv[2].item<double>(), 1.0, 1e-6);
  const auto sq = class_weights({6, 2, 0}, ClassWeighting::kSqrt);
  EXPECT_NEAR(sq[1].item<double>(), std::sqrt(2.0), 1e-6);
  EXPECT_THROW(parse_class_weighting("balanced"), std::invalid_argument);
}

TEST(JointLoss, IgnoresUnknownTargetsAndWeighsTasks) {
  Toy s;
  const Batch b = s.batcher.collate({&s.encoded[0], &s.encoded[1]});
  const JointLogits logits = s.model->forward(b.input_ids, b.attention_mask);
  const JointLoss plain = JointCriterion(LossWeights{1, 1, 2})(logits, b);
  EXPECT_NEAR(
      plain.total.item<double>(),
      plain.domain.item<double>() + plain.intent.item<double>() + 2 * plain.slots.item<double>(),
      1e-5);
  Batch none = b;
  none.domain = torch::full_like(b.domain, kIgnoreClass);
  none.slot_tags = torch::full_like(b.slot_tags, kIgnoreTag);
  const JointLoss empty = JointCriterion(LossWeights{})(logits, none);
  EXPECT_EQ(empty.domain.item<double>(), 0.0);  // not NaN
  EXPECT_EQ(empty.slots.item<double>(), 0.0);
  EXPECT_GT(empty.intent.item<double>(), 0.0);
  // Inverse weighting changes the slot loss (O dominates the counts).
  const auto counts = count_labels(s.encoded, s.labels);
  const JointLoss weighted = JointCriterion(
      LossWeights{}, {}, {}, class_weights(counts.tags, ClassWeighting::kInverse))(logits, b);
  EXPECT_NE(weighted.slots.item<double>(), plain.slots.item<double>());
}

TEST(Teacher, OverfitsAHandfulOfExamplesAndReloadsIdentically) {
  TempDir tmp;
  Toy s;
  const JointPredictor predictor(as_joint_model(s.model), s.batcher);
  const Scores before = s.score(predictor);
  Trainer trainer(as_joint_model(s.model), JointCriterion(LossWeights{}), s.batcher,
                  s.options(tmp.path()), s.hooks(&predictor));
  const TrainResult result = trainer.fit(s.encoded);
  EXPECT_EQ(result.epochs_completed, 80);
  EXPECT_LT(before.sentence_accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(result.best_dev.domain_accuracy(), 1.0);
  EXPECT_DOUBLE_EQ(result.best_dev.intent_accuracy(), 1.0);
  EXPECT_DOUBLE_EQ(result.best_dev.slot_f1(), 1.0);
  EXPECT_DOUBLE_EQ(result.best_dev.sentence_accuracy(), 1.0);

  // The loss curve went down: last epoch's loss is a small fraction of the first's.
  const std::string csv = read_file(tmp.path() + "/training.csv");
  std::vector<double> losses;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream cells(line);
    std::string cell;
    for (int i = 0; i < 4; ++i) std::getline(cells, cell, ',');
    losses.push_back(std::stod(cell));
  }
  ASSERT_EQ(losses.size(), 80u);
  EXPECT_LT(losses.back(), 0.1 * losses.front());

  for (const char* f :
       {"config.json", "vocab.txt", "model.safetensors", "trainer_state.json", "optimizer.pt"})
    EXPECT_TRUE(fs::exists(tmp.path() + "/" + f)) << f;
  const auto config = ModelDirectory(tmp.path()).config();
  EXPECT_EQ(config["model_type"], "albert");
  EXPECT_EQ(config["hidden_size"], 32);
  EXPECT_EQ(config["jointnlu"]["labels"]["domains"].size(), 5u);

  const JointPredictor loaded = load_predictor(tmp.path());
  const auto a = predictor.predict(s.texts());
  const auto b = loaded.predict(s.texts());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].frame.domain, b[i].frame.domain);
    EXPECT_EQ(a[i].frame.slots, b[i].frame.slots);
    EXPECT_NEAR(a[i].intent_score, b[i].intent_score, 1e-6);
  }
}

TEST(Teacher, MeanPoolingReadsTheRealTokensOnly) {
  Toy s;
  torch::manual_seed(3);
  JointAlbert mean(s.spec.albert, s.labels, ClassifierPooling::kMean);
  mean->eval();
  torch::NoGradGuard no_grad;
  // 打开微信 (4 characters) padded to the 8-character utterance's length, then alone.
  const Batch both = s.batcher.collate({&s.encoded[5], &s.encoded[0]});
  const Batch alone = s.batcher.collate({&s.encoded[5]});
  ASSERT_GT(both.input_ids.size(1), alone.input_ids.size(1));
  const auto padded = mean->forward(both.input_ids, both.attention_mask);
  const auto single = mean->forward(alone.input_ids, alone.attention_mask);
  EXPECT_TRUE(torch::allclose(padded.domain[0], single.domain[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(padded.intent[0], single.intent[0], 1e-5, 1e-6));
  // Without a mask (as AlbertModel allows) every position is real.
  const auto unmasked = mean->forward(alone.input_ids, torch::Tensor());
  EXPECT_TRUE(torch::allclose(unmasked.domain, single.domain, 1e-5, 1e-6));

  // Same parameters read through the [CLS] pooler instead: different sentence logits, same slots.
  JointAlbert cls(s.spec.albert, s.labels, ClassifierPooling::kCls);
  cls->eval();
  load_state_dict(*cls, state_dict(*mean));
  const auto via_cls = cls->forward(alone.input_ids, alone.attention_mask);
  EXPECT_FALSE(torch::allclose(via_cls.domain, single.domain, 1e-3, 1e-4));
  EXPECT_TRUE(torch::equal(via_cls.slots, single.slots));
}

TEST(Teacher, ClassifierPoolingIsSavedAndCheckedInConfig) {
  Toy s;
  TeacherSpec spec = s.spec;
  spec.pooling = ClassifierPooling::kMean;
  nlohmann::json config = teacher_config_json(spec);
  EXPECT_EQ(config["classifier_pooling"], "mean");
  EXPECT_EQ(parse_teacher_config(config, "x/config.json").pooling, ClassifierPooling::kMean);
  config.erase("classifier_pooling");  // a checkpoint from before the option: the pooler
  EXPECT_EQ(parse_teacher_config(config, "x/config.json").pooling, ClassifierPooling::kCls);
  config["classifier_pooling"] = "max";
  try {
    parse_teacher_config(config, "x/config.json");
    FAIL() << "an unknown pooling was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x/config.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("expected cls or mean"), std::string::npos) << e.what();
  }
}

bool same_weights(const torch::nn::Module& x, const torch::nn::Module& y) {
  const auto a = state_dict(x), b = state_dict(y);
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a)
    if (!torch::equal(t, b.at(name))) return false;
  return true;
}

TEST(Teacher, StoppedAndResumedRunEqualsAStraightRun) {
  TempDir straight_dir, resumed_dir;
  Toy straight(5);
  auto o = straight.options(straight_dir.path());
  o.epochs = 3;
  Trainer(as_joint_model(straight.model), JointCriterion(LossWeights{}), straight.batcher, o,
          straight.hooks(nullptr))
      .fit(straight.encoded);

  Toy first(5);
  auto stop = first.options(resumed_dir.path());
  stop.epochs = 3;
  stop.max_steps = 3;  // mid-epoch 2 (2 steps per epoch)
  const auto partial = Trainer(as_joint_model(first.model), JointCriterion(LossWeights{}),
                               first.batcher, stop, first.hooks(nullptr))
                           .fit(first.encoded);
  EXPECT_TRUE(partial.stopped_at_max_steps);
  EXPECT_EQ(partial.epochs_completed, 1);
  EXPECT_FALSE(same_weights(*first.model, *straight.model));

  torch::manual_seed(999);  // the resumed run must not depend on the RNG state it starts with
  Toy second(77);           // different initial weights: all of them must come from the checkpoint
  auto resume = second.options(resumed_dir.path());
  resume.epochs = 3;
  resume.resume = true;
  const auto finished = Trainer(as_joint_model(second.model), JointCriterion(LossWeights{}),
                                second.batcher, resume, second.hooks(nullptr))
                            .fit(second.encoded);
  EXPECT_EQ(finished.epochs_completed, 3);
  EXPECT_TRUE(same_weights(*second.model, *straight.model));
  // The curve continues where it stopped: a header and one row per epoch, none repeated.
  const auto csv = read_file(resumed_dir.path() + "/training.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_EQ(csv.rfind("\n3,6,"), csv.rfind('\n', csv.size() - 2)) << csv;

  TempDir empty;
  resume.out_dir = empty.path();
  EXPECT_THROW(Trainer(as_joint_model(second.model), JointCriterion(LossWeights{}), second.batcher,
                       resume, second.hooks(nullptr))
                   .fit(second.encoded),
               std::runtime_error);
}

TEST(Teacher, InitLoadsAPretrainingCheckpointsEncoder) {
  TempDir tmp;
  Toy s;
  torch::manual_seed(3);
  AlbertForPreTraining pretrained(s.spec.albert);
  CheckpointContents c;
  c.files["config.json"] = s.spec.albert.to_json().dump();
  std::string vocab;
  for (const auto& t : s.tokenizer.vocab()) vocab += t + "\n";
  c.files["vocab.txt"] = vocab;
  c.tensors = state_dict(*pretrained);
  write_checkpoint_dir(tmp.path(), c);

  const PretrainedEncoder encoder = read_pretrained(tmp.path());
  EXPECT_EQ(encoder.tokenizer.vocab_size(), s.tokenizer.vocab_size());
  const LoadReport report = load_pretrained(s.model, encoder);
  EXPECT_TRUE(same_weights(*s.model->albert, *pretrained->albert));
  EXPECT_EQ(report.missing.size(), 6u);  // weight + bias of the three heads
  bool mlm = false, sop = false;
  for (const auto& name : report.unexpected) {
    mlm |= name.rfind("predictions.", 0) == 0;
    sop |= name.rfind("sop_classifier.", 0) == 0;
  }
  EXPECT_TRUE(mlm);
  EXPECT_TRUE(sop);

  // A pretraining checkpoint is not a joint model: predict refuses it with the reason.
  try {
    load_predictor(tmp.path());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("jointnlu"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jointnlu::train

namespace jointnlu::train {
namespace {

// A teacher reading lexicon features: the projection starts at zero (the encoder starts exactly as
// pretrained), learns from the features, and the checkpoint carries the lexicon (lexicon.tsv) so
// that a loaded teacher predicts as the trained one did.
TEST(TeacherLexicon, StartsNeutralLearnsAndRoundTrips) {
  const auto records = jointnlu::testing::toy_records();
  const auto examples = jointnlu::testing::align_all(records);
  const LabelSpace labels = LabelSpace::from_examples(examples);
  const Tokenizer tokenizer = jointnlu::testing::toy_tokenizer(records);
  auto lexicon = std::make_shared<Lexicon>(std::vector<std::string>{"singer", "city"});
  lexicon->add(0, std::vector<std::string>{"周杰伦", "王菲"});
  lexicon->add(1, std::vector<std::string>{"北京", "上海"});
  lexicon->compact();
  const Batcher batcher(tokenizer, labels, 24, lexicon);
  TeacherSpec spec;
  spec.albert =
      jointnlu::testing::toy_albert_config(static_cast<int64_t>(tokenizer.vocab_size()), 0.1);
  spec.labels = labels;
  spec.max_length = 24;
  spec.lexicon_categories = lexicon->categories();
  torch::manual_seed(5);
  JointAlbert with(spec.albert, labels, ClassifierPooling::kCls, 8);
  torch::manual_seed(5);
  JointAlbert without(spec.albert, labels);
  with->eval();
  without->eval();
  const auto input = batcher.input("播放周杰伦的稻香");
  ASSERT_FALSE(input.lexicon.ids.empty());
  const Batch b = batcher.collate_inputs({&input});
  {
    torch::NoGradGuard no_grad;
    // Same seed, same draws for the shared parameters: identical outputs while the projection is 0.
    EXPECT_TRUE(torch::allclose(with->forward(b.input_ids, b.attention_mask, b.lexicon).slots,
                                without->forward(b.input_ids, b.attention_mask).slots));
    EXPECT_THROW(with->forward(b.input_ids, b.attention_mask), std::invalid_argument);
  }
  // One step of training moves the projection off zero.
  with->train();
  auto encoded = batcher.encode_all(examples);
  std::vector<const EncodedExample*> members;
  for (const auto& e : encoded) members.push_back(&e);
  const Batch train_batch = batcher.collate(members);
  torch::optim::Adam adam(with->parameters(), 1e-2);
  const auto out =
      with->forward(train_batch.input_ids, train_batch.attention_mask, train_batch.lexicon);
  const auto loss = torch::nn::functional::cross_entropy(
      out.slots.reshape({-1, out.slots.size(-1)}), train_batch.slot_tags.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreTag));
  loss.backward();
  adam.step();
  EXPECT_GT(with->lexicon_projection->weight.abs().sum().item<double>(), 0.0);

  with->eval();
  TempDir dir;
  write_checkpoint_dir(dir.file("t"),
                       teacher_checkpoint(spec, tokenizer, state_dict(*with), lexicon.get()));
  ASSERT_TRUE(fs::exists(dir.file("t/lexicon.tsv")));
  const LoadedTeacher loaded = load_teacher(dir.file("t"));
  ASSERT_NE(loaded.lexicon, nullptr);
  EXPECT_EQ(loaded.lexicon->to_tsv(), lexicon->to_tsv());
  const JointPredictor a(as_joint_model(with), batcher);
  const JointPredictor c = load_predictor(dir.file("t"));
  const std::vector<std::string> texts = {"播放周杰伦的稻香", "上海今天下雨吗", "打开微信"};
  const auto pa = a.predict(texts), pc = c.predict(texts);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(pa[i].frame.slots, pc[i].frame.slots) << texts[i];
    EXPECT_NEAR(pa[i].domain_score, pc[i].domain_score, 1e-5) << texts[i];
  }
}

}  // namespace
}  // namespace jointnlu::train
