// The transfer set of distillation: examples (gold where there is gold) with the frozen teacher's
// logits attached once as soft targets, so every student epoch reuses them.
#pragma once

#include <string>
#include <vector>

#include "data/augment.h"
#include "train/batching.h"
#include "train/joint_loss.h"
#include "train/joint_model.h"

namespace jointnlu::train {

// An augmented utterance as a training example without gold labels; its masked characters get
// the tokenizer's [MASK] id (every kept token of the character). `lexicon`: as Batcher::input.
EncodedExample encode_variant(const Batcher& batcher, const Variant& variant,
                              const Lexicon* lexicon = nullptr);
// An unlabelled utterance (e.g. a corpus line).
EncodedExample encode_unlabelled(const Batcher& batcher, const std::string& text,
                                 const Lexicon* lexicon = nullptr);

// Runs the teacher (eval mode, no gradients) over the examples in batches and stores its logits
// in each example's `soft`. The teacher must read the same ids as the student (same tokenizer,
// same max_length): the batcher is the student's. Calls progress(done, total) after each batch.
void attach_teacher_logits(const JointModel& teacher, const Batcher& batcher,
                           std::vector<EncodedExample>& examples, std::size_t batch_size = 64,
                           const std::function<void(std::size_t, std::size_t)>& progress = {});

// Several teachers as one (an ensemble): combines the soft targets `per_teacher[k][i]` of example i
// into one set whose distillation target is the teachers' average. KL: the probabilities at the
// distillation temperature T are averaged, and stored as T·log(p̄), which the loss's softmax(·/T)
// turns back into p̄ exactly. MSE: the logits are averaged. Every teacher must have scored every
// example (same shapes); throws std::invalid_argument otherwise.
std::vector<SoftTargets> average_soft_targets(
    const std::vector<std::vector<SoftTargets>>& per_teacher, const DistillOptions& options);

}  // namespace jointnlu::train
