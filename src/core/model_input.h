// A text as a joint model sees it: [CLS] tokens [SEP], truncated, with the positions that carry
// slot labels. Shared by training (gold tags per position), the teacher, the student and the
// runtime, so every model labels and decodes exactly the same positions.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/example.h"
#include "core/label_space.h"
#include "core/lexicon.h"
#include "core/tokenizer.h"

namespace jointnlu {

struct ModelInput {
  Encoding encoding;     // the full tokenization of the text (not truncated)
  std::vector<int> ids;  // [CLS] + the first max_length - 2 tokens + [SEP]
  // Positions in `ids` whose token carries a slot label: the first token of the character it starts
  // at. Other tokens (the rest of a character split into several pieces) continue the label before.
  std::vector<std::size_t> labelled;
  // How many tokens of `encoding` made it into `ids`.
  std::size_t kept_tokens = 0;
  // Lexicon features of each position of `ids` (empty rows for [CLS] and [SEP]); no rows at all
  // when the model reads no lexicon.
  PositionFeatures lexicon;
};

// Throws std::invalid_argument for max_length < 3 or invalid UTF-8. With a lexicon, also matches
// it against the text and fills `lexicon`.
ModelInput make_model_input(const Tokenizer& tokenizer, std::string_view text,
                            std::size_t max_length, const Lexicon* lexicon = nullptr);

// Gold BIO tag ids per labelled position (same order as input.labelled), from character spans:
// a span's first labelled token gets B-key, the rest I-key, all others "O". A span whose key the
// label space does not know (seen only in dev/test) gets LabelVocab::kUnknown on its positions,
// which the loss ignores; a span with no kept token is dropped (it was truncated away).
std::vector<int> gold_tags(const ModelInput& input, const std::vector<Span>& spans,
                           const LabelSpace& labels);

}  // namespace jointnlu
