// The libtorch-free runtime against the libtorch student it was trained as: the same checkpoint
// must give the same logits (max |Δ| < 1e-4) for every pooling and depth.
#include <gtest/gtest.h>

#include "runtime/export.h"
#include "runtime/student_model.h"
#include "test_util.h"
#include "toy_data.h"
#include "train/batching.h"
#include "train/bilstm.h"
#include "train/checkpoint.h"

namespace jointnlu::train {
namespace {

using jointnlu::testing::align_all;
using jointnlu::testing::TempDir;
using jointnlu::testing::toy_records;
using jointnlu::testing::toy_tokenizer;

double max_abs_diff(const torch::Tensor& expected, std::span<const float> got) {
  const auto e = expected.contiguous().to(torch::kFloat32);
  EXPECT_EQ(static_cast<std::size_t>(e.numel()), got.size());
  const float* p = e.data_ptr<float>();
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(p[i]) - got[i]));
  return worst;
}

TEST(RuntimeParity, RuntimeLogitsEqualLibtorchStudent) {
  const auto examples = align_all(toy_records());
  const Tokenizer tokenizer = toy_tokenizer(toy_records());
  const LabelSpace labels = LabelSpace::from_examples(examples);
  const Batcher batcher(tokenizer, labels, 32);
  for (Pooling pooling : {Pooling::kMax, Pooling::kAttention}) {
    for (int64_t layers : {1, 2}) {
      StudentSpec spec;
      spec.labels = labels;
      spec.max_length = 32;
      spec.vocab_size = tokenizer.vocab_size();
      spec.embedding_size = 24;
      spec.hidden_size = 20;
      spec.num_layers = static_cast<std::size_t>(layers);
      spec.pooling = pooling;
      spec.attention_size = 16;
      torch::manual_seed(static_cast<uint64_t>(layers) * 10 + (pooling == Pooling::kMax));
      JointBiLSTM model(spec);
      {
        // Larger weights than the initialisation, so that gates saturate and errors would show.
        torch::NoGradGuard no_grad;
        for (auto& p : model->parameters()) p.mul_(3.0);
      }
      model->eval();
      TempDir dir;
      write_checkpoint_dir(dir.file("s"), student_checkpoint(spec, tokenizer, state_dict(*model)));
      const auto loaded = runtime::StudentModel::load(dir.file("s"));
      runtime::Workspace ws;
      torch::NoGradGuard no_grad;
      double worst = 0;
      for (const auto& e : examples) {
        const auto input = batcher.input(e.text);
        const auto batch = batcher.collate_inputs({&input});
        const auto want = model->forward(batch.input_ids, batch.attention_mask);
        const auto got = loaded->forward(input.ids, ws);
        worst = std::max(worst, max_abs_diff(want.domain[0], got.domain));
        worst = std::max(worst, max_abs_diff(want.intent[0], got.intent));
        worst = std::max(worst, max_abs_diff(want.slots[0], got.slots));
      }
      EXPECT_LT(worst, 1e-4) << pooling_name(pooling) << " pooling, " << layers << " layers";
    }
  }
}

// A student reading lexicon features: the runtime adds W_ih's lexicon columns per active feature
// instead of multiplying a 0/1 vector, in the single and the batched path, from a directory (fp32)
// and from an int8 export (whose lexicon travels in the metadata).
TEST(RuntimeParity, LexiconStudentMatchesLibtorch) {
  const auto examples = align_all(toy_records());
  const Tokenizer tokenizer = toy_tokenizer(toy_records());
  const LabelSpace labels = LabelSpace::from_examples(examples);
  auto lexicon = std::make_shared<Lexicon>(std::vector<std::string>{"singer", "song", "city"});
  lexicon->add(0, std::vector<std::string>{"周杰伦", "王菲", "周杰"});
  lexicon->add(1, std::vector<std::string>{"稻香", "红豆", "香"});
  lexicon->add(2, std::vector<std::string>{"北京", "上海", "京"});
  lexicon->compact();
  const Batcher batcher(tokenizer, labels, 32, lexicon);
  StudentSpec spec;
  spec.labels = labels;
  spec.max_length = 32;
  spec.lexicon_categories = lexicon->categories();
  spec.vocab_size = tokenizer.vocab_size();
  spec.embedding_size = 24;
  spec.hidden_size = 20;
  spec.num_layers = 1;
  torch::manual_seed(3);
  JointBiLSTM model(spec);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.mul_(3.0);
  }
  model->eval();
  TempDir dir;
  write_checkpoint_dir(dir.file("s"),
                       student_checkpoint(spec, tokenizer, state_dict(*model), lexicon.get()));
  runtime::export_student(dir.file("s"), dir.file("s8.safetensors"), /*int8=*/true);
  const auto fp32 = runtime::StudentModel::load(dir.file("s"));
  const auto int8 = runtime::StudentModel::load(dir.file("s8.safetensors"));
  ASSERT_NE(fp32->lexicon(), nullptr);
  ASSERT_NE(int8->lexicon(), nullptr);
  EXPECT_EQ(int8->lexicon()->to_tsv(), lexicon->to_tsv());

  runtime::Workspace ws;
  runtime::BatchWorkspace bws;
  torch::NoGradGuard no_grad;
  std::vector<ModelInput> inputs;
  for (const auto& e : examples) inputs.push_back(batcher.input(e.text));
  std::size_t with_features = 0;
  for (const auto& in : inputs) with_features += !in.lexicon.ids.empty();
  ASSERT_GE(with_features, 4u) << "the toy lexicon must match in several utterances";
  std::vector<std::span<const int>> ids;
  std::vector<const PositionFeatures*> features;
  for (const auto& in : inputs) {
    ids.emplace_back(in.ids);
    features.push_back(&in.lexicon);
  }
  std::vector<runtime::StudentLogits> batch_fp32, batch_int8;
  fp32->forward_batch(ids, bws, batch_fp32, runtime::kernels(), features);
  double worst = 0, worst_int8 = 0, worst_without = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto batch = batcher.collate_inputs({&inputs[i]});
    const auto want = model->forward(batch.input_ids, batch.attention_mask, batch.lexicon);
    const auto got = fp32->forward(inputs[i].ids, ws, runtime::kernels(), &inputs[i].lexicon);
    worst = std::max(
        {worst, max_abs_diff(want.domain[0], got.domain), max_abs_diff(want.slots[0], got.slots)});
    worst = std::max({worst, max_abs_diff(want.domain[0], batch_fp32[i].domain),
                      max_abs_diff(want.slots[0], batch_fp32[i].slots)});
    const auto q = int8->forward(inputs[i].ids, ws, runtime::kernels(), &inputs[i].lexicon);
    worst_int8 = std::max(worst_int8, max_abs_diff(want.slots[0], q.slots));
    if (!inputs[i].lexicon.ids.empty()) {
      // The features must matter: without them the logits differ.
      const auto none = fp32->forward(inputs[i].ids, ws);
      worst_without = std::max(worst_without, max_abs_diff(want.slots[0], none.slots));
    }
  }
  EXPECT_LT(worst, 1e-4);
  EXPECT_LT(worst_int8, 0.25);  // 8-bit weights and activations, weights scaled up 3x
  EXPECT_GT(worst_without, 1e-2);
}

}  // namespace
}  // namespace jointnlu::train
