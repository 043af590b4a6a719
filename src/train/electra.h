// ELECTRA-style replaced-token detection (RTD) over an ALBERT discriminator: a small masked-LM
// generator fills the masked positions with samples from its softmax, and the discriminator labels
// every real token as original or replaced. The discriminator learns from all tokens instead of the
// 15% a masked LM predicts, which is why it gets more out of the same compute (Clark et al., 2020).
//
// Module tree (registered names are the checkpoint keys):
//   ElectraForPreTraining
//     albert: AlbertModel                  the discriminator, HF ALBERT layout (train-teacher
//     --init
//                                          loads it as any pretrained ALBERT)
//     generator: AlbertGenerator
//       encoder: AlbertTransformer         its own projection E -> H_g and its own (smaller) layers
//       predictions: AlbertMLMHead         dense [E,H_g], LayerNorm [E], bias [V]; the decoder is
//                                          albert.embeddings.word_embeddings.weight
//     discriminator_predictions: dense [H,H], dense_prediction [1,H] (HF's
//                                ElectraDiscriminatorPredictions)
// The generator reads the discriminator's embedding module (word, position and type embeddings and
// their LayerNorm) and does not register it: one copy of the embeddings in the checkpoint, and one
// encoder prefix for load_state_dict to detect.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>

#include "train/albert.h"
#include "train/albert_config.h"
#include "train/mlm_metrics.h"

namespace jointnlu::train {

// The generator's shape: hidden, intermediate and heads of `discriminator` scaled by `fraction`
// (heads at least 1, hidden rounded to a multiple of the heads), same depth and embedding size.
// Throws std::invalid_argument unless 0 < fraction <= 1.
AlbertConfig generator_config(const AlbertConfig& discriminator, double fraction);

class AlbertGeneratorImpl : public torch::nn::Module {
 public:
  explicit AlbertGeneratorImpl(const AlbertConfig& config);
  // embedded [B,L,E] (the shared embeddings of the masked input), additive_mask as AlbertModel
  // builds it, positions [N] flat indices into B*L -> logits [N,V].
  torch::Tensor forward(const torch::Tensor& embedded, const torch::Tensor& additive_mask,
                        const torch::Tensor& positions, const torch::Tensor& decoder_weight);

  AlbertTransformer encoder{nullptr};
  AlbertMLMHead predictions{nullptr};
};
TORCH_MODULE(AlbertGenerator);

// HF's ElectraDiscriminatorPredictions: dense_prediction(act(dense(h))) -> one logit per token.
class ElectraDiscriminatorPredictionsImpl : public torch::nn::Module {
 public:
  explicit ElectraDiscriminatorPredictionsImpl(const AlbertConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden);  // [B,L,H] -> [B,L]

  torch::nn::Linear dense{nullptr};
  torch::nn::Linear dense_prediction{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(ElectraDiscriminatorPredictions);

// One RTD batch: the masked-LM input and where it was masked.
struct RtdBatch {
  torch::Tensor ids;        // [B,L] int64, masked as for the masked LM
  torch::Tensor mask;       // [B,L] 1 real, 0 padding
  torch::Tensor types;      // [B,L]
  torch::Tensor positions;  // [N] flat indices of the predicted positions
  torch::Tensor targets;    // [N] original ids there
  torch::Tensor at_mask;    // [N] the input there was [MASK]
  PackedLayout layout;
  std::int64_t cls_id = 2, sep_id = 3;  // never judged, like padding
};

// Discriminator hits over the judged tokens (real, not [CLS]/[SEP]).
struct RtdHits {
  std::int64_t tokens = 0, correct = 0;             // all judged tokens
  std::int64_t replaced = 0, replaced_correct = 0;  // those whose sample differed from the original
  RtdHits& operator+=(const RtdHits& o);
  std::int64_t original() const { return tokens - replaced; }
  std::int64_t original_correct() const { return correct - replaced_correct; }
};

// What one forward pass computed; the losses keep their graph.
struct RtdForward {
  torch::Tensor loss;      // generator_loss + weight * discriminator_loss
  torch::Tensor mlm_loss;  // the generator's mean cross-entropy at the predicted positions
  torch::Tensor rtd_loss;  // mean binary cross-entropy over the judged tokens
  MlmHits mlm;
  RtdHits rtd;
};

class ElectraForPreTrainingImpl : public torch::nn::Module {
 public:
  ElectraForPreTrainingImpl(AlbertConfig discriminator, const AlbertConfig& generator);
  // Samples the replacements with `sampler` when given (a CPU generator: evaluation, which must
  // not move the training stream), else with the default generator of the tensors' device, whose
  // CPU state the trainer saves, so a resumed run samples what an uninterrupted one would.
  RtdForward forward(const RtdBatch& batch, double rtd_weight,
                     std::optional<at::Generator> sampler = std::nullopt);

  const AlbertConfig& config() const { return config_; }

  AlbertModel albert{nullptr};
  AlbertGenerator generator{nullptr};
  ElectraDiscriminatorPredictions discriminator_predictions{nullptr};

 private:
  AlbertConfig config_;
};
TORCH_MODULE(ElectraForPreTraining);

}  // namespace jointnlu::train
