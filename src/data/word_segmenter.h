// Word boundaries for whole-word masking: forward maximum matching of a corpus line's tokens
// against a word list (by default the jieba dictionary). Chinese text tokenizes one character per
// token, so masking characters lets the model fill in "天气" from "天[MASK]" by word completion
// alone; masking whole words makes it use the context instead (Cui et al., 2019, "whole word
// masking"). WordPiece continuations ("##ing") always stay with the token before them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace jointnlu {

class WordSegmenter {
 public:
  // Longest word matched, in tokens (characters for Chinese).
  static constexpr std::size_t kMaxWordTokens = 8;

  // words: the word list (entries of one token, or longer than kMaxWordTokens code points, are
  // dropped; ASCII is lower-cased as the tokenizer does); vocab: the token strings by id.
  WordSegmenter(const std::vector<std::string>& words, const std::vector<std::string>& vocab);

  // One word per line; whatever follows the first tab or space is ignored (jieba's dict.txt is
  // "word freq pos"). Throws IoError naming the file when it cannot be read (for the default,
  // the jieba dictionary, saying which Debian package provides it).
  static std::vector<std::string> read_word_list(const std::string& path);

  // Appends a word id per token of `ids` to `out`, numbering the words from `next_word` on; returns
  // the next unused id. Tokens that start no listed word are words of their own.
  std::int32_t segment(std::span<const std::int32_t> ids, std::int32_t next_word,
                       std::vector<std::int32_t>& out) const;

  std::size_t size() const { return words_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The end of the unit starting at token i: the token and the "##" pieces that continue it.
  std::size_t unit_end(std::span<const std::int32_t> ids, std::size_t i) const;
  std::string_view piece(std::int32_t id) const;

  std::unordered_set<std::string, Hash, std::equal_to<>> words_;
  std::vector<std::string> pieces_;  // per token id: its text, "##" removed
  std::vector<char> continuation_;   // per token id: a "##" piece
};

}  // namespace jointnlu
