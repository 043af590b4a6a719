// The BiLSTM student: character embeddings over the teacher's vocabulary (so its positions are the
// teacher's positions and token-level soft targets line up) → a bidirectional LSTM → max or
// attention pooling → domain and intent heads; a slot head on every position. Same label space,
// same ModelInput and same decoder as the teacher.
//
// Module tree (registered names are the checkpoint keys, listed once in core/student_spec.h's
// student_tensors(), which the runtime checks files against):
//   embeddings.word_embeddings [V,E]
//   lstm: torch::nn::LSTM (weight_ih_l{k}[_reverse] [4H,in], weight_hh_l{k}[_reverse] [4H,H],
//         in = E + F for layer 0 (F lexicon features, 0 without a lexicon), 2H above,
//         bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] [4H]; gates i,f,g,o)
//   attention.proj [A,2H] + bias, attention.context [1,A] (attention pooling only)
//   domain_classifier [D,2H], intent_classifier [I,2H], slot_classifier [T,2H]
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/label_space.h"
#include "core/student_spec.h"
#include "core/tokenizer.h"
#include "train/checkpoint.h"
#include "train/joint_model.h"
#include "train/model_section.h"
#include "train/state_dict.h"

namespace jointnlu::train {

struct AttentionPoolingImpl : torch::nn::Module {
  AttentionPoolingImpl(int64_t input, int64_t hidden);
  // h [B,L,F], mask [B,L] (1 = real) → [B,F]
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& mask);
  torch::nn::Linear proj{nullptr};
  torch::nn::Linear context{nullptr};
};
TORCH_MODULE(AttentionPooling);

struct StudentEmbeddingsImpl : torch::nn::Module {
  StudentEmbeddingsImpl(int64_t vocab, int64_t dim, int64_t pad);
  torch::nn::Embedding word_embeddings{nullptr};
};
TORCH_MODULE(StudentEmbeddings);

class JointBiLSTMImpl : public torch::nn::Module {
 public:
  // The architecture and the label space (heads) of `spec`; its other fields are not read.
  explicit JointBiLSTMImpl(const StudentSpec& spec);
  // lexicon: [B,L,F] float (Batch::lexicon), required when the spec names lexicon categories.
  JointLogits forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                      const torch::Tensor& lexicon = {});

  const StudentSpec& spec() const { return spec_; }

  StudentEmbeddings embeddings{nullptr};
  torch::nn::LSTM lstm{nullptr};
  AttentionPooling attention{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear domain_classifier{nullptr};
  torch::nn::Linear intent_classifier{nullptr};
  torch::nn::Linear slot_classifier{nullptr};

 private:
  StudentSpec spec_;
};
TORCH_MODULE(JointBiLSTM);

JointModel as_joint_model(JointBiLSTM model);

CheckpointContents student_checkpoint(const StudentSpec& spec, const Tokenizer& tokenizer,
                                      StateDict tensors, const Lexicon* lexicon = nullptr);

using LoadedStudent = LoadedModel<StudentSpec, JointBiLSTM>;
// Every tensor must be present with its shape and dtype (CheckpointError naming it otherwise).
LoadedStudent load_student(const std::string& dir);

// Embedding initialisation: copies rows of `source` [V,E] (from the teacher's factorized
// embedding matrix or a word2vec file) into the student's embedding table; shapes must agree.
void set_embeddings(JointBiLSTM& model, const torch::Tensor& source);

}  // namespace jointnlu::train
