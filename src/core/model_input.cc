#include "core/model_input.h"

#include <algorithm>
#include <stdexcept>

namespace jointnlu {

ModelInput make_model_input(const Tokenizer& tokenizer, std::string_view text,
                            std::size_t max_length, const Lexicon* lexicon) {
  if (max_length < 3) throw std::invalid_argument("max_length must be at least 3 ([CLS] x [SEP])");
  ModelInput in;
  in.encoding = tokenizer.encode(text);
  const Encoding& enc = in.encoding;
  in.kept_tokens = std::min(enc.size(), max_length - 2);
  in.ids.reserve(in.kept_tokens + 2);
  in.ids.push_back(tokenizer.cls_id());
  for (std::size_t t = 0; t < in.kept_tokens; ++t) {
    in.ids.push_back(enc.ids[t]);
    const std::size_t c = enc.token_chars[t].first;
    if (c < enc.char_token.size() && enc.char_token[c] == static_cast<int>(t))
      in.labelled.push_back(t + 1);
  }
  in.ids.push_back(tokenizer.sep_id());
  if (lexicon) in.lexicon = position_features(lexicon->features(text), enc, in.kept_tokens);
  return in;
}

std::vector<int> gold_tags(const ModelInput& input, const std::vector<Span>& spans,
                           const LabelSpace& labels) {
  std::vector<int> tags(input.labelled.size(), LabelSpace::kOutside);
  for (const auto& span : spans) {
    const auto tokens = input.encoding.token_span(span.begin, span.end);
    if (!tokens) continue;  // only whitespace: nothing to label
    const int key = labels.key_of_tag(labels.tags().id("B-" + span.key));
    const bool known = key >= 0;
    bool first = true;
    for (std::size_t i = 0; i < input.labelled.size(); ++i) {
      const std::size_t t = input.labelled[i] - 1;  // token index in the encoding
      if (t < tokens->first || t >= tokens->second) continue;
      tags[i] = !known  ? LabelVocab::kUnknown
                : first ? labels.begin_tag(key)
                        : labels.inside_tag(key);
      first = false;
    }
  }
  return tags;
}

}  // namespace jointnlu
