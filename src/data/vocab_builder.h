// Builds a BERT-style vocab.txt for Chinese pretraining from unlabelled text.
//
// Layout: [PAD] [UNK] [CLS] [SEP] [MASK] (so [PAD] = 0 as in BERT vocabularies), then every CJK
// ideograph, punctuation mark and other symbol seen at least min_count times (most frequent first),
// then WordPiece pieces for Latin letters and digits: every single letter/digit as a word start and
// as a "##" continuation, plus the most frequent whole alphanumeric words. Characters of "forced"
// texts (the labelled training set) are always included, and ensure_coverage() checks with the real
// Tokenizer that no forced text produces [UNK].
//
// Characters are counted as the uncased Tokenizer sees them: lower-cased, accents stripped (NFD
// minus non-spacing marks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace jointnlu {

struct VocabBuildOptions {
  // Least number of occurrences for a character (CJK, punctuation, symbol) to get a token.
  std::size_t min_count = 2;
  // Least number of occurrences for a whole alphanumeric word (e.g. "iphone", "2019") to get a
  // token.
  std::size_t min_word_count = 50;
  // At most this many whole-word tokens (the most frequent ones).
  std::size_t max_words = 2000;
  // Whole words longer than this (in characters) are never tokens; WordPiece splits them.
  std::size_t max_word_chars = 12;
  // Distinct words tracked while counting; beyond it, words seen once are pruned (bounded memory on
  // corpora of gigabytes).
  std::size_t max_tracked_words = 2'000'000;
};

class VocabBuilder {
 public:
  explicit VocabBuilder(VocabBuildOptions options = {});

  // Counts the characters and alphanumeric words of one line. Throws std::invalid_argument for
  // invalid UTF-8.
  void add_text(std::string_view text);
  // Like add_text, and every character of the text gets a token whatever its count.
  void force_text(std::string_view text);

  // The vocabulary, one token per entry (id = index).
  std::vector<std::string> build() const;

  std::size_t distinct_chars() const { return char_counts_.size(); }
  std::uint64_t total_chars() const { return total_chars_; }

 private:
  void count(std::string_view text, bool force);
  void prune_words();

  VocabBuildOptions options_;
  std::unordered_map<char32_t, std::uint64_t> char_counts_;
  std::unordered_map<std::string, std::uint64_t> word_counts_;
  std::unordered_set<char32_t> forced_;
  std::uint64_t total_chars_ = 0;
};

// The characters of `text` as the uncased tokenizer sees them (lower-cased, accents stripped);
// whitespace and control characters are dropped. Throws std::invalid_argument for invalid UTF-8.
std::u32string normalize_for_vocab(std::string_view text);

// Encodes every text with a Tokenizer over `vocab`; for each [UNK] produced, adds the characters it
// covers (as word starts and "##" continuations) to `vocab`, and repeats. Returns the number of
// tokens added. Throws std::runtime_error naming the text if [UNK] remains.
std::size_t ensure_coverage(std::vector<std::string>& vocab, const std::vector<std::string>& texts);

// The vocabulary of a corpus, as `pretrain --build-vocab` and `jointnlu vocab` make it: every line
// of every file counted, every character of the `forced` texts kept, then ensure_coverage(forced).
// Streams the files; lines that are not valid UTF-8 are skipped and reported through `warn`.
struct CorpusVocabulary {
  std::vector<std::string> tokens;  // id = index
  std::size_t distinct_chars = 0;   // distinct characters counted
  std::uint64_t total_chars = 0;    // characters counted
  std::size_t added = 0;            // tokens ensure_coverage added for the forced texts
};
CorpusVocabulary build_corpus_vocabulary(const std::vector<std::string>& corpus_files,
                                         const std::vector<std::string>& forced,
                                         const VocabBuildOptions& options = {},
                                         const std::function<void(const std::string&)>& warn = {});

}  // namespace jointnlu
