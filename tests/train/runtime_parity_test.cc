// The libtorch-free runtime against the libtorch student it was trained as: the same checkpoint
// must give the same logits (max |Δ| < 1e-4) for every pooling and depth.
#include <gtest/gtest.h>

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
      spec.model.vocab_size = static_cast<int64_t>(tokenizer.vocab_size());
      spec.model.embedding_size = 24;
      spec.model.hidden_size = 20;
      spec.model.num_layers = layers;
      spec.model.pooling = pooling;
      spec.model.attention_size = 16;
      torch::manual_seed(static_cast<uint64_t>(layers) * 10 + (pooling == Pooling::kMax));
      JointBiLSTM model(spec.model, spec.labels);
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

}  // namespace
}  // namespace jointnlu::train
