#include "data/vocab_builder.h"

#include <utf8proc.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "core/tokenizer.h"
#include "core/utf8.h"
#include "data/corpus.h"

namespace jointnlu {
namespace {

constexpr const char* kSpecialTokens[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
constexpr utf8proc_ssize_t kMaxDecomposition = 8;

// A character that stands alone in BERT's basic tokenization (never part of a WordPiece word).
bool stands_alone(char32_t cp) { return is_cjk(cp) || is_punctuation(cp); }

bool is_ascii_alnum(char32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'); }

std::string utf8_of(char32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

// Appends the lower-cased, accent-stripped form of one code point.
void append_normalized(std::u32string& out, char32_t cp) {
  const auto lower = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
  if (lower < 0xC0) {
    out.push_back(lower);
    return;
  }
  utf8proc_int32_t parts[kMaxDecomposition];
  int last_boundclass = 0;
  const utf8proc_ssize_t n =
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(lower), parts, kMaxDecomposition,
                              UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n <= 0 || n > kMaxDecomposition) {
    out.push_back(lower);
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i)
    if (utf8proc_category(parts[i]) != UTF8PROC_CATEGORY_MN)
      out.push_back(static_cast<char32_t>(parts[i]));
}

}  // namespace

std::u32string normalize_for_vocab(std::string_view text) {
  std::string error;
  const auto decoded = decode_utf8(text, &error);
  if (!decoded) throw std::invalid_argument("invalid UTF-8: " + error);
  std::u32string out;
  out.reserve(decoded->chars.size());
  for (const char32_t cp : decoded->chars) {
    if (is_control(cp)) continue;
    append_normalized(out, cp);
  }
  return out;
}

VocabBuilder::VocabBuilder(VocabBuildOptions options) : options_(options) {}

void VocabBuilder::add_text(std::string_view text) { count(text, false); }
void VocabBuilder::force_text(std::string_view text) { count(text, true); }

void VocabBuilder::count(std::string_view text, bool force) {
  const std::u32string chars = normalize_for_vocab(text);
  std::u32string word;
  const auto end_word = [&] {
    if (word.size() >= 2 && word.size() <= options_.max_word_chars)
      ++word_counts_[encode_utf8(word)];
    word.clear();
  };
  for (const char32_t cp : chars) {
    if (is_whitespace(cp) || cp == 0x2028 || cp == 0x2029) {
      end_word();
      continue;
    }
    ++char_counts_[cp];
    ++total_chars_;
    if (force) forced_.insert(cp);
    if (stands_alone(cp))
      end_word();
    else
      word.push_back(cp);
  }
  end_word();
  if (word_counts_.size() > options_.max_tracked_words) prune_words();
}

void VocabBuilder::prune_words() {
  for (auto it = word_counts_.begin(); it != word_counts_.end();) {
    if (it->second <= 1)
      it = word_counts_.erase(it);
    else
      ++it;
  }
}

std::vector<std::string> VocabBuilder::build() const {
  std::vector<std::string> vocab(std::begin(kSpecialTokens), std::end(kSpecialTokens));
  std::unordered_set<std::string> seen(vocab.begin(), vocab.end());
  const auto add = [&](std::string token) {
    if (seen.insert(token).second) vocab.push_back(std::move(token));
  };

  // Characters: most frequent first (ties by code point, so the order is deterministic).
  std::vector<std::pair<char32_t, std::uint64_t>> chars;
  for (const auto& [cp, n] : char_counts_)
    if (n >= options_.min_count || forced_.count(cp) || is_ascii_alnum(cp))
      chars.emplace_back(cp, n);
  for (char32_t cp = 'a'; cp <= 'z'; ++cp) chars.emplace_back(cp, 0);
  for (char32_t cp = '0'; cp <= '9'; ++cp) chars.emplace_back(cp, 0);
  std::sort(chars.begin(), chars.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<char32_t> word_chars;
  for (const auto& [cp, n] : chars) {
    add(utf8_of(cp));
    if (!stands_alone(cp)) word_chars.push_back(cp);
  }

  // Whole words, most frequent first; only words WordPiece could produce from the characters above.
  std::unordered_set<char32_t> have(word_chars.begin(), word_chars.end());
  std::vector<std::pair<std::string, std::uint64_t>> words;
  for (const auto& [w, n] : word_counts_) {
    if (n < options_.min_word_count) continue;
    const auto decoded = decode_utf8(w);
    if (!decoded) continue;
    if (std::all_of(decoded->chars.begin(), decoded->chars.end(),
                    [&](char32_t c) { return have.count(c) > 0; }))
      words.emplace_back(w, n);
  }
  std::sort(words.begin(), words.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (words.size() > options_.max_words) words.resize(options_.max_words);
  for (auto& [w, n] : words) add(w);

  // Continuations: every word character can follow another one inside a word.
  for (const char32_t cp : word_chars) add("##" + utf8_of(cp));
  return vocab;
}

std::size_t ensure_coverage(std::vector<std::string>& vocab,
                            const std::vector<std::string>& texts) {
  std::size_t added = 0;
  for (int round = 0; round < 3; ++round) {
    const Tokenizer tokenizer(vocab);
    std::unordered_set<std::string> present(vocab.begin(), vocab.end());
    std::size_t added_now = 0;
    const std::string* first_bad = nullptr;
    for (const auto& text : texts) {
      const Encoding enc = tokenizer.encode(text);
      for (std::size_t t = 0; t < enc.size(); ++t) {
        if (enc.ids[t] != tokenizer.unk_id()) continue;
        if (!first_bad) first_bad = &text;
        const auto decoded = decode_utf8(text);
        const auto [begin, end] = enc.token_chars[t];
        std::u32string covered;
        for (std::size_t c = begin; c < end && c < decoded->chars.size(); ++c)
          append_normalized(covered, decoded->chars[c]);
        for (const char32_t cp : covered) {
          if (is_whitespace(cp) || is_control(cp)) continue;
          for (std::string token : {utf8_of(cp), "##" + utf8_of(cp)}) {
            if (stands_alone(cp) && token.rfind("##", 0) == 0) continue;
            if (present.insert(token).second) {
              vocab.push_back(token);
              ++added_now;
            }
          }
        }
      }
    }
    if (!first_bad) return added;
    if (added_now == 0)
      throw std::runtime_error("vocabulary cannot cover the text \"" + abbreviate(*first_bad) +
                               "\": the tokenizer still produces [UNK]");
    added += added_now;
  }
  throw std::runtime_error("vocabulary coverage did not converge");
}

CorpusVocabulary build_corpus_vocabulary(const std::vector<std::string>& corpus_files,
                                         const std::vector<std::string>& forced,
                                         const VocabBuildOptions& options,
                                         const std::function<void(const std::string&)>& warn) {
  VocabBuilder builder(options);
  for (const auto& path : corpus_files) {
    for_each_line(
        path,
        [&](std::string_view line, std::size_t) {
          builder.add_text(line);
          return true;
        },
        warn);
  }
  for (const auto& t : forced) builder.force_text(t);
  CorpusVocabulary v;
  v.tokens = builder.build();
  v.added = ensure_coverage(v.tokens, forced);
  v.distinct_chars = builder.distinct_chars();
  v.total_chars = builder.total_chars();
  return v;
}

}  // namespace jointnlu
