// libFuzzer target: a vocabulary and a text. The input up to the first "\n\n" is vocab.txt lines
// (the five special tokens are added when absent, so most inputs build a tokenizer); the rest is
// the text to encode. Checks the invariants the models rely on: ids in range, character spans
// inside the text and ordered.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tokenizer.h"
#include "core/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find("\n\n");
  const std::string vocab_part = input.substr(0, split);
  const std::string text = split == std::string::npos ? input : input.substr(split + 2);
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::size_t start = 0;
  while (start < vocab_part.size() && vocab.size() < 4096) {
    const auto end = vocab_part.find('\n', start);
    const std::string line = vocab_part.substr(start, end - start);
    if (!line.empty()) vocab.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  for (const bool lower : {true, false}) {
    try {
      jointnlu::TokenizerOptions options;
      options.lower_case = lower;
      const jointnlu::Tokenizer tokenizer(vocab, options);
      const auto encoding = tokenizer.encode(text);
      for (std::size_t i = 0; i < encoding.size(); ++i) {
        const int id = encoding.ids[i];
        if (id < 0 || static_cast<std::size_t>(id) >= tokenizer.vocab_size()) __builtin_trap();
      }
      const auto chars = jointnlu::decode_utf8(text);
      for (const auto& [begin, end] : encoding.token_chars)
        if (begin >= end || !chars || end > chars->chars.size()) __builtin_trap();
    } catch (const std::exception&) {
    }
  }
  return 0;
}
