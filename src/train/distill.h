// The transfer set of distillation: examples (gold where there is gold) with the frozen teacher's
// logits attached once as soft targets, so every student epoch reuses them.
#pragma once

#include <string>
#include <vector>

#include "core/augment.h"
#include "train/batching.h"
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

}  // namespace jointnlu::train
