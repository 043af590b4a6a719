// The encoder the repository ships (models/zh-tiny): train-teacher's default --init. It must load
// into the teacher completely, and what it loads must be pretrained weights, not a fresh init.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "core/label_space.h"
#include "train/joint_albert.h"

namespace jointnlu::train {
namespace {

const std::string kShipped = std::string(JOINTNLU_SOURCE_DIR) + "/models/zh-tiny";

TEST(ShippedEncoder, LoadsIntoTheTeacherAndDiffersFromAFreshInit) {
  ASSERT_TRUE(std::filesystem::exists(kShipped + "/model.safetensors")) << kShipped;
  // The vocabulary is not committed: scripts/setup.sh makes it from ../shared's corpus.
  if (!std::filesystem::exists(kShipped + "/vocab.txt"))
    GTEST_SKIP() << kShipped << "/vocab.txt not made (no ../shared corpus when setup.sh ran)";
  const PretrainedEncoder encoder = read_pretrained(kShipped);
  EXPECT_EQ(encoder.config.hidden_size, 312);
  EXPECT_GT(encoder.tokenizer.vocab_size(), 5000u);  // a Chinese character vocabulary
  LabelSpace labels({"music"}, {"PLAY"}, {"song"}, {{"music", "PLAY"}});
  torch::manual_seed(1);
  JointAlbert teacher(encoder.config, labels);
  // A fresh initialisation of the same shape, to compare against.
  std::map<std::string, torch::Tensor> fresh;
  for (const auto& p : teacher->named_parameters()) fresh[p.key()] = p.value().detach().clone();

  const LoadReport report = load_pretrained(teacher, encoder);
  EXPECT_TRUE(report.unexpected.empty());
  std::size_t encoder_params = 0;
  for (const auto& p : teacher->named_parameters())
    encoder_params += p.key().rfind("albert.", 0) == 0 ? 1 : 0;
  EXPECT_EQ(report.loaded.size(), encoder_params);  // every encoder tensor came from the file

  for (const auto& p : teacher->named_parameters()) {
    if (p.key().rfind("albert.", 0) != 0) continue;
    SCOPED_TRACE(p.key());
    const auto& stored = encoder.tensors.at(p.key());
    EXPECT_TRUE(torch::equal(p.value(), stored.to(p.value().dtype())));
    // LayerNorm weights start at 1 and biases at 0 in both; every matrix must have moved.
    if (p.value().dim() == 2) {
      EXPECT_GT((p.value() - fresh.at(p.key())).abs().max().item<double>(), 0.05);
    }
  }
}

}  // namespace
}  // namespace jointnlu::train
