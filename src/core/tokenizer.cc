#include "core/tokenizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>

#include "core/error.h"
#include "core/file_io.h"
#include "core/utf8.h"

namespace jointnlu {
namespace {

constexpr std::string_view kPad = "[PAD]";
constexpr std::string_view kUnk = "[UNK]";
constexpr std::string_view kCls = "[CLS]";
constexpr std::string_view kSep = "[SEP]";
constexpr std::string_view kMask = "[MASK]";
constexpr std::string_view kContinuation = "##";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Canonical decompositions are at most 4 code points long; the slack costs nothing.
constexpr utf8proc_ssize_t kMaxDecomposition = 8;
// Separates words in the normalised text, as the spaces HF inserts do.
constexpr char32_t kSeparator = U' ';
// char_token marker for characters removed by cleaning, so that a normalised character whose
// origin range spans one of them (a composition across a zero-width space) leaves it uncovered.
constexpr int kDropped = -2;

// One character of the text while it is normalised, with the original code points [begin, end)
// it stands for. Composition and accent stripping merge ranges; decomposition copies them.
struct Unit {
  char32_t cp;
  std::uint32_t begin;
  std::uint32_t end;
};

void absorb(Unit& into, const Unit& from) {
  into.begin = std::min(into.begin, from.begin);
  into.end = std::max(into.end, from.end);
}

utf8proc_int32_t as_utf8proc(char32_t cp) { return static_cast<utf8proc_int32_t>(cp); }

utf8proc_category_t category(char32_t cp) { return utf8proc_category(as_utf8proc(cp)); }

int combining_class(char32_t cp) { return utf8proc_get_property(as_utf8proc(cp))->combining_class; }

// HF's _is_control: every C* category, not only Cc (so zero-width spaces and other format
// characters vanish), except tab and line breaks, which are whitespace.
bool is_bert_control(char32_t cp) {
  if (cp == U'\t' || cp == U'\n' || cp == U'\r') return false;
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
      return true;
    default:
      return false;
  }
}

// HF splits words with Python's str.split(), which also breaks at line/paragraph separators.
bool is_bert_whitespace(char32_t cp) { return is_whitespace(cp) || cp == 0x2028 || cp == 0x2029; }

// CJK blocks (ideographs, CJK punctuation, fullwidth forms) that every normalisation form leaves
// alone: no canonical decomposition, combining class 0, never part of a composition. Checked
// against Python's unicodedata; they make Chinese text skip the Unicode tables.
bool is_cjk_inert(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x3000 && cp <= 0x3029) || (cp >= 0xFF00 && cp <= 0xFFEF);
}

// Below U+0300 nothing is a combining mark or the second half of a composition.
bool nfc_inert(char32_t cp) { return cp < 0x300 || is_cjk_inert(cp); }

// Latin-1 letters from U+00C0 on decompose, so NFD's fast range is shorter.
bool nfd_inert(char32_t cp) { return cp < 0xC0 || is_cjk_inert(cp); }

bool is_nonspacing_mark(char32_t cp) {
  return cp >= 0x300 && !is_cjk_inert(cp) && category(cp) == UTF8PROC_CATEGORY_MN;
}

// Canonical ordering for the unit just appended: a combining mark moves (stably) before the marks
// of higher combining class in front of it. Marks that trade places both take the union of their
// origins, so origins stay sorted by begin (and token ranges with them).
void reorder_last(std::vector<Unit>& units) {
  std::size_t i = units.size() - 1;
  const int ccc = combining_class(units[i].cp);
  if (ccc == 0) return;
  while (i > 0 && combining_class(units[i - 1].cp) > ccc) {
    std::swap(units[i - 1], units[i]);
    absorb(units[i - 1], units[i]);
    absorb(units[i], units[i - 1]);
    --i;
  }
}

// Appends the canonical decomposition (NFD) of u; every part keeps u's origin.
void append_nfd(std::vector<Unit>& out, const Unit& u) {
  if (nfd_inert(u.cp)) {
    out.push_back(u);
    return;
  }
  utf8proc_int32_t parts[kMaxDecomposition];
  const utf8proc_ssize_t n = utf8proc_decompose_char(as_utf8proc(u.cp), parts, kMaxDecomposition,
                                                     UTF8PROC_DECOMPOSE, nullptr);
  if (n <= 0 || n > kMaxDecomposition) {  // not reachable for valid code points
    out.push_back(u);
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    out.push_back(Unit{static_cast<char32_t>(parts[i]), u.begin, u.end});
    reorder_last(out);
  }
}

// Python's unicodedata.normalize("NFC"), which HF applies before splitting words, with origins:
// a composed character covers the original characters of all its parts. The composition loop
// follows utf8proc's (a mark composes unless blocked by one of equal or higher class); utf8proc
// answers whether a pair composes. `scratch` is reused storage.
void normalize_nfc(std::vector<Unit>& units, std::vector<Unit>& scratch) {
  if (std::all_of(units.begin(), units.end(), [](const Unit& u) { return nfc_inert(u.cp); }))
    return;
  scratch.clear();
  for (const Unit& u : units) append_nfd(scratch, u);
  std::size_t written = 0;
  std::size_t starter = 0;
  bool have_starter = false;
  int max_class = -1;  // highest combining class since the starter, of marks left uncomposed
  for (std::size_t read = 0; read < scratch.size(); ++read) {
    const Unit u = scratch[read];
    const int ccc = combining_class(u.cp);
    if (have_starter && ccc > max_class && !nfc_inert(u.cp)) {
      utf8proc_int32_t pair[2] = {as_utf8proc(scratch[starter].cp), as_utf8proc(u.cp)};
      // STABLE keeps the composition exclusions out, as NFC requires.
      if (utf8proc_normalize_utf32(
              pair, 2, static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE)) == 1) {
        scratch[starter].cp = static_cast<char32_t>(pair[0]);
        absorb(scratch[starter], u);
        continue;
      }
    }
    scratch[written] = u;
    if (ccc == 0) {
      starter = written;
      have_starter = true;
      max_class = -1;
    } else {
      max_class = std::max(max_class, ccc);
    }
    ++written;
  }
  scratch.resize(written);
  units.swap(scratch);
}

// Python's str.lower() of a single character, passed to `sink`: the simple case mapping, except
// that İ becomes two characters (i and a combining dot above).
template <typename Sink>
void lower_char(Unit u, Sink&& sink) {
  if (u.cp < 0x80) {
    if (u.cp >= U'A' && u.cp <= U'Z') u.cp += U'a' - U'A';
  } else if (u.cp == 0x130) {
    sink(Unit{U'i', u.begin, u.end});
    u.cp = 0x307;
  } else if (!is_cjk_inert(u.cp) || u.cp >= 0xFF00) {  // fullwidth Latin has case
    u.cp = static_cast<char32_t>(utf8proc_tolower(as_utf8proc(u.cp)));
  }
  sink(u);
}

// Scratch storage for one encode call, reused across its words.
struct Workspace {
  std::vector<Unit> units;
  std::vector<Unit> scratch;
  std::vector<Unit> word;
  std::string piece_text;          // the word in UTF-8
  std::vector<std::size_t> bytes;  // byte offset of each unit in piece_text, plus the end
  std::string continuation;        // "##" + a suffix of piece_text
  struct Piece {
    std::size_t begin;
    std::size_t end;
    int id;
  };
  std::vector<Piece> pieces;
};

}  // namespace

// ---- Encoding ----

std::optional<std::pair<std::size_t, std::size_t>> Encoding::token_span(std::size_t begin,
                                                                        std::size_t end) const {
  end = std::min(end, char_token.size());
  std::size_t c = begin;
  while (c < end && char_token[c] < 0) ++c;
  if (c >= end) return std::nullopt;
  std::size_t last = static_cast<std::size_t>(char_token[c]);
  while (last + 1 < token_chars.size() && token_chars[last + 1].first < end) ++last;
  return std::make_pair(static_cast<std::size_t>(char_token[c]), last + 1);
}

std::pair<std::size_t, std::size_t> Encoding::char_span(std::size_t first, std::size_t last) const {
  if (first >= last || last > token_chars.size())
    throw std::out_of_range("token span [" + std::to_string(first) + ", " + std::to_string(last) +
                            ") is empty or beyond the " + std::to_string(token_chars.size()) +
                            " tokens");
  std::size_t end = token_chars[first].second;
  for (std::size_t t = first + 1; t < last; ++t) end = std::max(end, token_chars[t].second);
  return {token_chars[first].first, end};
}

// ---- Tokenizer ----

Tokenizer Tokenizer::from_vocab_file(const std::string& path, TokenizerOptions options) {
  const std::string content = read_file(path);
  std::string_view rest = content;
  // A BOM would otherwise glue itself to the first token ("[PAD]" then looks missing).
  if (rest.starts_with(kUtf8Bom)) rest.remove_prefix(kUtf8Bom.size());
  std::vector<std::string> vocab;
  // Python's universal newlines, which HF's load_vocab reads with: "\n", "\r\n" and "\r" all end
  // a line, and a final line end adds no empty token.
  while (!rest.empty()) {
    const std::size_t eol = rest.find_first_of("\r\n");
    vocab.emplace_back(rest.substr(0, eol));
    if (eol == std::string_view::npos) break;
    const bool crlf = rest[eol] == '\r' && eol + 1 < rest.size() && rest[eol + 1] == '\n';
    rest.remove_prefix(eol + (crlf ? 2 : 1));
  }
  return Tokenizer(std::move(vocab), options, path);
}

Tokenizer::Tokenizer(std::vector<std::string> vocab, TokenizerOptions options)
    : Tokenizer(std::move(vocab), options, "<vocabulary>") {}

Tokenizer::Tokenizer(std::vector<std::string> vocab, TokenizerOptions options,
                     const std::string& source)
    : vocab_(std::move(vocab)),
      options_(options),
      strip_accents_(options.strip_accents.value_or(options.lower_case)) {
  if (vocab_.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw DataError(SourceLocation{source}, "vocabulary too large for int ids");
  ids_.reserve(vocab_.size());
  for (std::size_t i = 0; i < vocab_.size(); ++i) {
    const std::string& token = vocab_[i];
    const SourceLocation where{source, 0, i + 1};
    if (token.empty()) throw DataError(where, "empty line (every line must hold one token)");
    if (token.find_first_of("\r\n") != std::string::npos)
      throw DataError(where, "token contains a line break");
    std::string utf8_error;
    if (!decode_utf8(token, &utf8_error))
      throw DataError(where, "token is not UTF-8: " + utf8_error);
    const auto [it, inserted] = ids_.emplace(token, static_cast<int>(i));
    if (!inserted)
      throw DataError(where, "duplicate token \"" + token + "\" (first on line " +
                                 std::to_string(it->second + 1) + ")");
    max_token_bytes_ = std::max(max_token_bytes_, token.size());
  }
  const auto special = [&](std::string_view name) {
    const int id = token_id(name);
    if (id < 0)
      throw DataError(SourceLocation{source}, "missing special token " + std::string(name));
    return id;
  };
  pad_id_ = special(kPad);
  unk_id_ = special(kUnk);
  cls_id_ = special(kCls);
  sep_id_ = special(kSep);
  mask_id_ = special(kMask);
}

int Tokenizer::token_id(std::string_view token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

const std::string& Tokenizer::token(int id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= vocab_.size())
    throw std::out_of_range("token id " + std::to_string(id) + " outside the vocabulary of " +
                            std::to_string(vocab_.size()));
  return vocab_[static_cast<std::size_t>(id)];
}

void Tokenizer::save_vocab(const std::string& path) const { write_file_atomic(path, vocab_text()); }

std::string Tokenizer::vocab_text() const {
  std::string text;
  for (const std::string& token : vocab_) text += token + '\n';
  return text;
}

namespace {

// Cleaning and CJK splitting (HF's _clean_text and _tokenize_chinese_chars) into `units`, words
// separated by kSeparator; dropped characters are marked in char_token. HF's tokenize() has
// lower-cased the text before, one character at a time (so Python's context-dependent final sigma
// never applies); it must precede NFC, which can order marks differently afterwards.
void split_units(const std::vector<char32_t>& chars, bool lower_case, std::vector<int>& char_token,
                 Workspace& ws) {
  ws.units.reserve(chars.size() + 2);
  const auto push_unit = [&ws](const Unit& u) { ws.units.push_back(u); };
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const char32_t cp = chars[i];
    const auto pos = static_cast<std::uint32_t>(i);
    if (is_cjk(cp)) {  // first: the common case, and neither control nor whitespace
      ws.units.push_back(Unit{kSeparator, pos, pos});
      ws.units.push_back(Unit{cp, pos, pos + 1});
      ws.units.push_back(Unit{kSeparator, pos + 1, pos + 1});
    } else if (cp == 0 || cp == 0xFFFD || is_bert_control(cp)) {
      char_token[i] = kDropped;
    } else if (is_bert_whitespace(cp)) {
      ws.units.push_back(Unit{kSeparator, pos, pos});
    } else if (lower_case) {
      lower_char(Unit{cp, pos, pos + 1}, push_unit);
    } else {
      ws.units.push_back(Unit{cp, pos, pos + 1});
    }
  }
  normalize_nfc(ws.units, ws.scratch);
}

// Drops the nonspacing marks of a decomposed word, but keeps the original characters they came
// from with the letter they belong to (the one before; a leading mark goes with the one after),
// so a slot over "Cafe\u0301" still covers its last character.
void drop_marks(std::vector<Unit>& word) {
  std::size_t kept = 0;
  bool have_leading = false;
  Unit leading{0, 0, 0};
  for (std::size_t r = 0; r < word.size(); ++r) {
    const Unit u = word[r];
    if (is_nonspacing_mark(u.cp)) {
      if (kept > 0) {
        absorb(word[kept - 1], u);
      } else if (have_leading) {
        absorb(leading, u);
      } else {
        leading = u;
        have_leading = true;
      }
      continue;
    }
    word[kept] = u;
    if (have_leading) {
      absorb(word[kept], leading);
      have_leading = false;
    }
    ++kept;
  }
  word.resize(kept);
}

// BasicTokenizer lower-cases each word again (after NFC) and strips accents: units [begin, end)
// become ws.word.
void basic_word(const Unit* begin, const Unit* end, bool lower_case, bool strip_accents,
                std::vector<Unit>& word) {
  word.clear();
  const auto push_word = [strip_accents, &word](const Unit& u) {
    if (strip_accents)
      append_nfd(word, u);
    else
      word.push_back(u);
  };
  for (const Unit* u = begin; u != end; ++u) {
    if (lower_case)
      lower_char(*u, push_word);
    else
      push_word(*u);
  }
  if (strip_accents) drop_marks(word);
}

// Appends token `id` (text `token`) for word units [begin, end): its character range, and the
// characters it is the first token of.
void emit(const std::vector<Unit>& word, std::size_t begin, std::size_t end, int id,
          const std::string& token, Encoding& enc) {
  const int t = static_cast<int>(enc.ids.size());
  std::uint32_t first = word[begin].begin;
  std::uint32_t last = word[begin].end;
  for (std::size_t k = begin; k < end; ++k) {
    const Unit& u = word[k];
    first = std::min(first, u.begin);
    last = std::max(last, u.end);
    for (std::uint32_t c = u.begin; c < u.end; ++c)
      if (enc.char_token[c] == -1) enc.char_token[c] = t;
  }
  enc.ids.push_back(id);
  enc.tokens.push_back(token);
  enc.token_chars.emplace_back(first, last);
}

}  // namespace

struct Tokenizer::EncodeState {
  Encoding enc;
  Workspace ws;
};

// WordPiece on ws.word [begin, end): greedy longest match first, [UNK] for the whole word when it
// is too long or some remainder matches nothing.
void Tokenizer::wordpiece(EncodeState& state, std::size_t begin, std::size_t end) const {
  Workspace& ws = state.ws;
  const auto emit_id = [&](std::size_t b, std::size_t e, int id) {
    emit(ws.word, b, e, id, vocab_[static_cast<std::size_t>(id)], state.enc);
  };
  const std::size_t n = end - begin;
  if (n > options_.max_chars_per_word) return emit_id(begin, end, unk_id_);
  ws.piece_text.clear();
  ws.bytes.clear();
  for (std::size_t k = begin; k < end; ++k) {
    ws.bytes.push_back(ws.piece_text.size());
    append_utf8(ws.piece_text, ws.word[k].cp);
  }
  ws.bytes.push_back(ws.piece_text.size());
  ws.pieces.clear();
  for (std::size_t start = 0; start < n;) {
    const std::size_t prefix = start == 0 ? 0 : kContinuation.size();
    if (start > 0) {
      ws.continuation.assign(kContinuation);
      ws.continuation.append(ws.piece_text, ws.bytes[start]);
    }
    std::size_t stop = n;
    while (stop > start && prefix + ws.bytes[stop] - ws.bytes[start] > max_token_bytes_) --stop;
    int id = -1;
    for (; stop > start; --stop) {
      const std::size_t length = prefix + ws.bytes[stop] - ws.bytes[start];
      const std::string_view candidate = start == 0
                                             ? std::string_view(ws.piece_text.data(), length)
                                             : std::string_view(ws.continuation.data(), length);
      const auto it = ids_.find(candidate);
      if (it != ids_.end()) {
        id = it->second;
        break;
      }
    }
    if (id < 0) return emit_id(begin, end, unk_id_);
    ws.pieces.push_back({start, stop, id});
    start = stop;
  }
  for (const auto& piece : ws.pieces) emit_id(begin + piece.begin, begin + piece.end, piece.id);
}

Encoding Tokenizer::encode(std::string_view text) const {
  std::string utf8_error;
  const std::optional<DecodedText> decoded = decode_utf8(text, &utf8_error);
  if (!decoded) throw std::invalid_argument("tokenizer: " + utf8_error);
  const std::vector<char32_t>& chars = decoded->chars;
  if (chars.size() >= std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("tokenizer: text too long");

  EncodeState state;
  Encoding& enc = state.enc;
  Workspace& ws = state.ws;
  enc.char_token.assign(chars.size(), -1);
  enc.ids.reserve(chars.size());
  enc.tokens.reserve(chars.size());
  enc.token_chars.reserve(chars.size());
  split_units(chars, options_.lower_case, enc.char_token, ws);

  const std::vector<Unit>& units = ws.units;
  for (std::size_t w = 0; w < units.size();) {
    if (units[w].cp == kSeparator) {
      ++w;
      continue;
    }
    std::size_t w_end = w;
    while (w_end < units.size() && units[w_end].cp != kSeparator) ++w_end;
    basic_word(units.data() + w, units.data() + w_end, options_.lower_case, strip_accents_,
               ws.word);
    // Punctuation splitting, then WordPiece.
    for (std::size_t i = 0; i < ws.word.size();) {
      std::size_t j = i + 1;
      if (!is_punctuation(ws.word[i].cp))
        while (j < ws.word.size() && !is_punctuation(ws.word[j].cp)) ++j;
      wordpiece(state, i, j);
      i = j;
    }
    w = w_end;
  }

  for (int& t : enc.char_token)
    if (t == kDropped) t = -1;
  return std::move(state.enc);
}

}  // namespace jointnlu
