// The BERT WordPiece tokenizer shared by the ALBERT teacher, the BiLSTM student and the runtime.
//
// It reproduces Hugging Face's (slow) BertTokenizer on the same vocab.txt: basic tokenization
// (cleaning, one word per CJK ideograph, NFC, optional lower-casing and accent stripping,
// punctuation splitting) followed by greedy longest-match-first WordPiece. Text is treated as plain
// text: a "[SEP]" typed by a user is tokenized as characters, never as the special token.
//
// What the toolkit needs beyond HF is alignment: slot labels live on the code points of the
// original text, so every token records the original characters it covers, through lower-casing,
// normalisation and [UNK] alike.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jointnlu {

struct TokenizerOptions {
  bool lower_case = true;
  // Unset means "same as lower_case", as in HF (Chinese BERT/ALBERT vocabularies are uncased).
  std::optional<bool> strip_accents;
  // Longer words (counted in code points after normalisation) become a single [UNK].
  std::size_t max_chars_per_word = 100;
};

// The result of Tokenizer::encode. Tokens are in text order; [CLS]/[SEP] are not added.
struct Encoding {
  std::vector<int> ids;
  std::vector<std::string> tokens;
  // Code-point range [begin, end) of the original text that each token covers. Ranges are never
  // empty and are sorted by begin; the pieces of one word tile it (up to dropped characters
  // between them). Ranges overlap only in rare Unicode cases: one character expanding to several
  // that WordPiece separates (a Hangul syllable under accent stripping), or combining marks that
  // normalisation reorders or composes past one another. A control character dropped from inside
  // a piece lies within its range but keeps char_token -1.
  std::vector<std::pair<std::size_t, std::size_t>> token_chars;
  // For each original code point, the first token covering it, or -1 when the character produced
  // no token (whitespace, control characters, a combining mark with nothing to attach to).
  // Combining marks removed by accent stripping count as part of the letter they follow.
  std::vector<int> char_token;

  std::size_t size() const { return ids.size(); }

  // Tokens [first, last) overlapping the characters [begin, end), or nullopt when no token does
  // (the range holds only whitespace). Use it to carry a slot span from characters to tokens.
  std::optional<std::pair<std::size_t, std::size_t>> token_span(std::size_t begin,
                                                                std::size_t end) const;
  // Characters covered by tokens [first, last): a predicted token span back to the text.
  std::pair<std::size_t, std::size_t> char_span(std::size_t first, std::size_t last) const;

  // Per-character values (e.g. label ids) to per-token values: each token takes the value of the
  // first character it covers, provided it is that character's first token; other tokens (the
  // second half of a split character) get `fill`, like HF's -100 "ignore" label.
  template <typename T>
  std::vector<T> char_values_to_tokens(const std::vector<T>& per_char, const T& fill) const;
  // Per-token values (predictions) to per-character values: each character takes the value of the
  // first token covering it; characters with no token get `fill`. For BIO tags go through spans
  // (token_span / char_span) instead: a token covering three characters would repeat its B- tag.
  template <typename T>
  std::vector<T> token_values_to_chars(const std::vector<T>& per_token, const T& fill) const;
};

class Tokenizer {
 public:
  // Reads a vocab.txt (one token per line, id = line index, "\n", "\r\n" or "\r" line ends, a
  // leading UTF-8 BOM ignored).
  // Throws IoError when unreadable and DataError naming the file and line for an empty line, a
  // duplicate token, invalid UTF-8, or a missing [PAD] [UNK] [CLS] [SEP] [MASK].
  static Tokenizer from_vocab_file(const std::string& path, TokenizerOptions options = {});

  // Same checks as from_vocab_file; errors name "<vocabulary>" and line = index + 1.
  explicit Tokenizer(std::vector<std::string> vocab, TokenizerOptions options = {});

  // Throws std::invalid_argument for invalid UTF-8 (naming the byte offset). Safe to call from
  // several threads at once: it keeps no state between calls.
  Encoding encode(std::string_view text) const;

  int token_id(std::string_view token) const;  // -1 if absent
  const std::string& token(int id) const;      // throws std::out_of_range
  int pad_id() const { return pad_id_; }
  int unk_id() const { return unk_id_; }
  int cls_id() const { return cls_id_; }
  int sep_id() const { return sep_id_; }
  int mask_id() const { return mask_id_; }
  std::size_t vocab_size() const { return vocab_.size(); }
  const std::vector<std::string>& vocab() const { return vocab_; }
  const TokenizerOptions& options() const { return options_; }

  // Writes vocab.txt atomically (one token per line), readable by from_vocab_file and by HF.
  void save_vocab(const std::string& path) const;
  // The same contents as a string (for a checkpoint written as one set of files).
  std::string vocab_text() const;

 private:
  // Hashes std::string and std::string_view alike, so lookups of pieces need no std::string.
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  Tokenizer(std::vector<std::string> vocab, TokenizerOptions options, const std::string& source);
  struct EncodeState;  // encode()'s result under construction and its scratch buffers
  void wordpiece(EncodeState& state, std::size_t begin, std::size_t end) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> ids_;
  TokenizerOptions options_;
  bool strip_accents_ = true;
  std::size_t max_token_bytes_ = 0;  // no longer piece can match, so WordPiece never tries one
  int pad_id_ = -1;
  int unk_id_ = -1;
  int cls_id_ = -1;
  int sep_id_ = -1;
  int mask_id_ = -1;
};

template <typename T>
std::vector<T> Encoding::char_values_to_tokens(const std::vector<T>& per_char,
                                               const T& fill) const {
  std::vector<T> out(token_chars.size(), fill);
  for (std::size_t t = 0; t < token_chars.size(); ++t) {
    const std::size_t c = token_chars[t].first;
    if (c < per_char.size() && char_token[c] == static_cast<int>(t)) out[t] = per_char[c];
  }
  return out;
}

template <typename T>
std::vector<T> Encoding::token_values_to_chars(const std::vector<T>& per_token,
                                               const T& fill) const {
  std::vector<T> out(char_token.size(), fill);
  for (std::size_t c = 0; c < char_token.size(); ++c) {
    const int t = char_token[c];
    if (t >= 0 && static_cast<std::size_t>(t) < per_token.size()) out[c] = per_token[t];
  }
  return out;
}

}  // namespace jointnlu
