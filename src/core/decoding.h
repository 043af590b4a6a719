// From a joint model's raw scores to a frame: the (domain, intent) pair and the slot dict. Plain
// float arrays in, no torch, so the teacher, the student and the libtorch-free runtime decode
// identically.
//
// Guarantees, whatever the scores: the (domain, intent) pair was seen in training; the slot tag
// path is a valid BIO sequence (constrained Viterbi); every slot value is a substring of the text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/example.h"
#include "core/label_space.h"
#include "core/model_input.h"
#include "core/tagging.h"

namespace jointnlu {

// Numerically stable log-softmax / softmax of one row of logits.
std::vector<float> log_softmax(std::span<const float> logits);
// log(sum_i exp(logits[i])), stable (the max is subtracted first), in float with a polynomial exp
// that vectorises (relative error of each term ~1e-7): the decoder's confidences need one per
// head and per slot position, and glibc's scalar exp was ~7% of a student's parse. -inf for an
// empty row.
float log_sum_exp(std::span<const float> logits);
std::vector<float> softmax(std::span<const float> logits);

// Viterbi decoding restricted to tag paths a scheme allows (tag_transition_allowed, with "O" before
// the first and after the last tag). The transition matrix is computed once, here.
class TagDecoder {
 public:
  explicit TagDecoder(const std::vector<std::string>& tags, TagScheme scheme = TagScheme::kBio);

  // scores: row-major [length x num_tags], additive (use log-probabilities so that the path is the
  // most probable valid one under per-token independent distributions). Returns tag ids; ties go to
  // the lower id. Throws std::invalid_argument when scores.size() != length * num_tags, or when no
  // valid path exists (impossible for a tag set containing "O").
  std::vector<int> decode(std::span<const float> scores, std::size_t length) const;

  bool allowed(int prev, int next) const { return allowed_[prev * num_tags_ + next] != 0; }
  bool allowed_first(int tag) const { return first_[tag] != 0; }
  bool allowed_last(int tag) const { return last_[tag] != 0; }
  int num_tags() const { return num_tags_; }

 private:
  int num_tags_ = 0;
  std::vector<std::uint8_t> allowed_;  // [prev * num_tags + next]
  std::vector<std::uint8_t> first_;
  std::vector<std::uint8_t> last_;
  // Predecessor structure for Viterbi. Every tag may follow any tag, except: the tags in pairs_,
  // which have one or two allowed predecessors (first <= second in id order; I- tags under BIO),
  // and those in restricted_ (in id order), whose allowed predecessors are
  // prev_list_[prev_offsets_[b] .. prev_offsets_[b + 1]).
  struct RestrictedPair {
    int tag, first, second;
  };
  std::vector<RestrictedPair> pairs_;
  std::vector<int> restricted_;
  std::vector<std::size_t> prev_offsets_;
  std::vector<int> prev_list_;
};

// The chosen (domain, intent) and their softmax probabilities under each head.
struct JointChoice {
  int domain = -1;
  int intent = -1;
  double domain_prob = 0.0;
  double intent_prob = 0.0;
};

// argmax over the seen pairs of log p(domain) + log p(intent). Throws std::invalid_argument for
// logits of the wrong sizes or an empty pair set.
JointChoice decode_joint(std::span<const float> domain_logits, std::span<const float> intent_logits,
                         const LabelSpace& labels);

// A decoded slot: a character span of the text, its value and its confidence (the lowest
// probability the tagger gave any of the span's chosen tags).
struct SlotPrediction {
  Span span;
  std::string value;
  double score = 0.0;
};

// Tag ids per labelled position (as TagDecoder returns them for input.labelled) to character spans
// and values; tag_probs[i] (the probability of tags[i]) is read only where tags[i] is a slot tag. A
// span runs from its B- token to the last token before the next labelled token that is not its I-;
// so pieces of a split character stay inside it. Tags must form a valid BIO path.
std::vector<SlotPrediction> tags_to_slots(std::string_view text, const ModelInput& input,
                                          const std::vector<int>& tags,
                                          const std::vector<float>& tag_probs,
                                          const LabelSpace& labels);

struct Prediction {
  Frame frame;  // domain, intent and the slot pairs in text order
  double domain_score = 0.0;
  double intent_score = 0.0;
  std::vector<SlotPrediction> slots;  // aligned with frame.slots
  bool truncated = false;  // the text had more tokens than the model reads; its end was not seen
};

// The whole decoding for one utterance.
class JointDecoder {
 public:
  explicit JointDecoder(LabelSpace labels);

  // slot_logits: row-major [input.ids.size() x num_tags], one row per position of input.ids (rows
  // of unlabelled positions are not read).
  Prediction decode(std::string_view text, const ModelInput& input,
                    std::span<const float> domain_logits, std::span<const float> intent_logits,
                    std::span<const float> slot_logits) const;

  const LabelSpace& labels() const { return labels_; }

 private:
  LabelSpace labels_;
  TagDecoder tagger_;
};

// What `predict` writes: the SMP shape of to_json_line plus
//   "scores": {"domain": p, "intent": p, "slots": [{"key", "value", "score"}, ...]} (slots in text
//   order), and "truncated": true when the text had more tokens than the model reads.
std::string prediction_json_line(const std::string& text, const Prediction& prediction);

}  // namespace jointnlu
