#include "data/corpus.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <span>
#include <sstream>
#include <stdexcept>

#include "core/file_io.h"
#include "core/utf8.h"

namespace jointnlu {
namespace {

constexpr std::size_t kWarningsPerFile = 5;
constexpr int kHeldoutModulus = 100;  // 1 line in 100 is held out

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform integer in [0, n); n > 0. (The modulo bias is below 2^-40 for our sizes.)
std::uint64_t below(std::mt19937_64& rng, std::uint64_t n) { return rng() % n; }

std::string strip_line(std::string_view line, bool first) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (first && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  return std::string(line);
}

std::string invalid_message(const std::string& path, std::size_t line, const std::string& error) {
  return path + ": line " + std::to_string(line) + ": invalid UTF-8 (" + error + "); line skipped";
}

std::uintmax_t file_size_or_throw(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IoError(path, "no such file (or not a regular file)");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError(path, ec.message());
  return size;
}

}  // namespace

CorpusFile parse_corpus_spec(const std::string& spec) {
  CorpusFile f{spec, 1.0};
  const auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon + 1 == spec.size()) return f;
  const std::string tail = spec.substr(colon + 1);
  if (tail.find_first_not_of("0123456789.eE+-") != std::string::npos)
    return f;  // a ':' in the path
  std::size_t used = 0;
  double w = 0;
  try {
    w = std::stod(tail, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != tail.size() || !(w > 0) || !std::isfinite(w))
    throw std::invalid_argument("corpus file " + spec +
                                ": the weight after ':' must be a positive number");
  f.path = spec.substr(0, colon);
  f.weight = w;
  return f;
}

bool is_heldout_line(std::string_view line) { return fnv1a(line) % kHeldoutModulus == 0; }

std::size_t for_each_line(const std::string& path,
                          const std::function<bool(std::string_view, std::size_t)>& fn,
                          const WarningSink& warn) {
  file_size_or_throw(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, std::strerror(errno));
  std::string raw;
  std::size_t line_no = 0;
  std::size_t invalid = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = strip_line(raw, line_no == 1);
    std::string error;
    if (!decode_utf8(line, &error)) {
      if (warn && invalid < kWarningsPerFile) warn(invalid_message(path, line_no, error));
      ++invalid;
      continue;
    }
    if (!fn(line, line_no)) break;
  }
  if (in.bad()) throw IoError(path, "read error");
  if (warn && invalid > kWarningsPerFile)
    warn(path + ": " + std::to_string(invalid) + " invalid UTF-8 lines skipped in all");
  return invalid;
}

// ---- one file, read block by block in a seeded order per epoch ----

class BlockFile {
 public:
  BlockFile(std::string path, std::size_t index, std::size_t block_bytes, std::uint64_t seed,
            const Tokenizer& tokenizer, const WarningSink& warn, PipelineStats& stats)
      : path_(std::move(path)),
        index_(index),
        seed_(seed),
        tokenizer_(tokenizer),
        warn_(warn),
        stats_(stats) {
    size_ = file_size_or_throw(path_);
    in_.open(path_, std::ios::binary);
    if (!in_) throw IoError(path_, std::strerror(errno));
    build_index(block_bytes);
    if (blocks_.empty()) throw std::invalid_argument(path_ + ": the corpus file is empty");
    start_epoch(0);
  }

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }

  // The not yet consumed tokens of the current line (never empty); reads on as needed. Throws
  // std::invalid_argument when a whole pass over the file finds no usable line.
  std::span<const std::int32_t> current() {
    // More skips in a row than a whole pass has lines and blocks: nothing usable in the file.
    std::uint64_t skipped_in_a_row = 0;
    while (!cached_) {
      if (++skipped_in_a_row > lines_hint_ + blocks_.size() + 2)
        throw std::invalid_argument(path_ + ": no usable line (all empty, invalid or held out)");
      load_line();
    }
    return std::span<const std::int32_t>(tokens_).subspan(cursor_.token_pos);
  }

  // Consumes n tokens of the current line, moving to the next line when it is used up.
  void consume(std::size_t n) {
    cursor_.token_pos += n;
    if (cursor_.token_pos >= tokens_.size()) advance_line();
  }

  nlohmann::json state() const {
    return {{"path", path_},
            {"size", size_},
            {"epoch", cursor_.epoch},
            {"block_pos", cursor_.block_pos},
            {"offset", cursor_.offset},
            {"line", cursor_.line},
            {"token_pos", cursor_.token_pos}};
  }

  void restore(const nlohmann::json& s) {
    if (s.at("size").get<std::uint64_t>() != size_)
      throw std::invalid_argument(path_ + ": the file changed since the state was saved (size " +
                                  std::to_string(size_) + ", was " + s.at("size").dump() + ")");
    start_epoch(s.at("epoch").get<std::uint64_t>());
    cursor_.block_pos = s.at("block_pos").get<std::uint64_t>();
    cursor_.offset = s.at("offset").get<std::uint64_t>();
    cursor_.line = s.at("line").get<std::uint64_t>();
    cursor_.token_pos = s.at("token_pos").get<std::uint64_t>();
    if (cursor_.block_pos >= blocks_.size())
      throw std::invalid_argument(path_ + ": saved block out of range");
    cached_ = false;
    loaded_block_ = kNone;
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  struct Block {
    std::uint64_t start = 0;  // offset of the first line starting in the block
    std::uint64_t line = 0;   // its 1-based line number
  };
  struct Cursor {
    std::uint64_t epoch = 0;
    std::uint64_t block_pos = 0;  // index into perm_
    std::uint64_t offset = 0;     // start of the current line
    std::uint64_t line = 0;       // its line number
    std::uint64_t token_pos = 0;  // tokens of it already consumed
  };

  void build_index(std::size_t block_bytes) {
    std::vector<char> buf(1 << 20);
    std::uint64_t pos = 0;
    std::uint64_t line = 1;
    std::uint64_t last_block = kNone;
    bool at_line_start = true;
    in_.seekg(0);
    while (in_) {
      in_.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = static_cast<std::size_t>(in_.gcount());
      if (n == 0) break;
      for (std::size_t i = 0; i < n; ++i, ++pos) {
        if (at_line_start) {
          const std::uint64_t b = pos / block_bytes;
          if (b != last_block) {
            blocks_.push_back({pos, line});
            last_block = b;
          }
          at_line_start = false;
        }
        if (buf[i] == '\n') {
          at_line_start = true;
          ++line;
        }
      }
    }
    lines_hint_ = line;
    in_.clear();
  }

  std::uint64_t block_end(std::size_t block) const {
    return block + 1 < blocks_.size() ? blocks_[block + 1].start : size_;
  }

  void start_epoch(std::uint64_t epoch) {
    cursor_.epoch = epoch;
    cursor_.block_pos = 0;
    perm_.resize(blocks_.size());
    for (std::size_t i = 0; i < perm_.size(); ++i) perm_[i] = i;
    std::mt19937_64 rng(seed_ ^ (0x9E3779B97F4A7C15ull * (index_ + 1)) ^
                        (0xC2B2AE3D27D4EB4Full * (epoch + 1)));
    for (std::size_t i = perm_.size(); i > 1; --i) std::swap(perm_[i - 1], perm_[below(rng, i)]);
    enter_block();
  }

  void enter_block() {
    const Block& b = blocks_[perm_[cursor_.block_pos]];
    cursor_.offset = b.start;
    cursor_.line = b.line;
    cursor_.token_pos = 0;
    cached_ = false;
  }

  void ensure_loaded(std::size_t block) {
    if (loaded_block_ == block) return;
    const std::uint64_t begin = blocks_[block].start;
    const std::uint64_t end = block_end(block);
    data_.resize(end - begin);
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(begin));
    in_.read(data_.data(), static_cast<std::streamsize>(data_.size()));
    if (static_cast<std::uint64_t>(in_.gcount()) != data_.size())
      throw IoError(path_, "read error (did the file change during the run?)");
    loaded_block_ = block;
  }

  void advance_line() {
    cursor_.offset = next_offset_;
    cursor_.line += 1;
    cursor_.token_pos = 0;
    cached_ = false;
  }

  // Reads the line at the cursor: caches its tokens, or skips it (moving the cursor on).
  void load_line() {
    const std::size_t block = perm_[cursor_.block_pos];
    if (cursor_.offset >= block_end(block)) {
      if (++cursor_.block_pos == blocks_.size())
        start_epoch(cursor_.epoch + 1);
      else
        enter_block();
      return;
    }
    ensure_loaded(block);
    const std::uint64_t begin = blocks_[block].start;
    const std::string_view data(data_);
    const std::size_t from = cursor_.offset - begin;
    std::size_t to = data.find('\n', from);
    next_offset_ = to == std::string_view::npos ? block_end(block) : begin + to + 1;
    if (to == std::string_view::npos) to = data.size();
    const std::string line = strip_line(data.substr(from, to - from), cursor_.offset == 0);
    const bool first_pass = cursor_.epoch == 0;
    if (line.empty()) return advance_line();
    std::string error;
    if (!decode_utf8(line, &error)) {
      if (first_pass) {
        if (warn_ && invalid_warned_ < kWarningsPerFile)
          warn_(invalid_message(path_, cursor_.line, error));
        if (++invalid_warned_ == kWarningsPerFile + 1 && warn_)
          warn_(path_ + ": further invalid UTF-8 lines are skipped without a warning each");
        ++stats_.invalid_lines;
      }
      return advance_line();
    }
    if (is_heldout_line(line)) {
      if (first_pass) ++stats_.heldout_lines;
      return advance_line();
    }
    auto enc = tokenizer_.encode(line);
    if (enc.ids.empty()) return advance_line();
    tokens_.assign(enc.ids.begin(), enc.ids.end());
    if (cursor_.token_pos >= tokens_.size()) return advance_line();
    cached_ = true;
  }

  std::string path_;
  std::size_t index_;
  std::uint64_t seed_;
  const Tokenizer& tokenizer_;
  WarningSink warn_;
  PipelineStats& stats_;
  std::ifstream in_;
  std::uint64_t size_ = 0;
  std::uint64_t lines_hint_ = 0;
  std::vector<Block> blocks_;
  std::vector<std::size_t> perm_;
  Cursor cursor_;
  std::size_t loaded_block_ = kNone;
  std::string data_;
  std::uint64_t next_offset_ = 0;
  bool cached_ = false;
  std::vector<std::int32_t> tokens_;
  std::size_t invalid_warned_ = 0;
};

// ---- masking and batching ----

TokenIds TokenIds::of(const Tokenizer& tokenizer) {
  TokenIds t;
  t.pad = tokenizer.pad_id();
  t.cls = tokenizer.cls_id();
  t.sep = tokenizer.sep_id();
  t.mask = tokenizer.mask_id();
  t.first_normal = 1 + std::max({tokenizer.pad_id(), tokenizer.unk_id(), t.cls, t.sep, t.mask});
  t.vocab_size = static_cast<std::int32_t>(tokenizer.vocab_size());
  return t;
}

void isolate_lines(Sequence& seq, std::int32_t sep_id) {
  const std::size_t n = seq.ids.size();
  seq.blocks.assign(n, 0);
  seq.positions.assign(n, 0);
  std::int32_t block = 0;
  std::int32_t position = 0;
  for (std::size_t i = 0; i < n; ++i) {
    seq.blocks[i] = block;
    seq.positions[i] = position++;
    if (seq.ids[i] == sep_id) {
      ++block;
      position = 1;  // where a lone utterance's first token sits, after [CLS]
    }
  }
}

namespace {

// Span length n in [1, max_ngram] with probability proportional to 1/n.
int draw_span_length(const MaskConfig& config, std::mt19937_64& rng) {
  const int max_ngram = std::max(1, config.max_ngram);
  double norm = 0;
  for (int k = 1; k <= max_ngram; ++k) norm += 1.0 / k;
  int len = 1;
  double u = uniform01(rng) * norm;
  for (int k = 1; k <= max_ngram; ++k) {
    len = k;
    u -= 1.0 / k;
    if (u < 0) break;
  }
  return len;
}

// Token spans: shuffled start tokens, each opening a span of up to max_ngram tokens.
void select_token_spans(std::vector<std::size_t> starts, std::size_t budget,
                        const MaskConfig& config, const std::function<bool(std::size_t)>& maskable,
                        std::vector<bool>& selected, std::mt19937_64& rng) {
  const std::size_t n = selected.size();
  for (std::size_t i = starts.size(); i > 1; --i) std::swap(starts[i - 1], starts[below(rng, i)]);
  std::size_t count = 0;
  for (const std::size_t start : starts) {
    if (count >= budget) break;
    if (selected[start]) continue;
    const auto len = std::min<std::size_t>(static_cast<std::size_t>(draw_span_length(config, rng)),
                                           budget - count);
    for (std::size_t i = start; i < start + len && i < n; ++i) {
      if (!maskable(i) || selected[i]) break;  // a span stops at a special token or a chosen one
      selected[i] = true;
      ++count;
    }
  }
}

// Word spans: shuffled start words, each opening a span of up to max_ngram whole words.
void select_word_spans(const Sequence& seq, std::size_t budget, const MaskConfig& config,
                       const std::function<bool(std::size_t)>& maskable,
                       std::vector<bool>& selected, std::mt19937_64& rng) {
  std::vector<std::pair<std::size_t, std::size_t>> words;  // [begin, end) of maskable tokens
  for (std::size_t i = 0; i < seq.ids.size(); ++i) {
    if (!maskable(i)) continue;
    if (!words.empty() && words.back().second == i && seq.words[i] == seq.words[i - 1])
      ++words.back().second;
    else
      words.emplace_back(i, i + 1);
  }
  std::vector<std::size_t> order(words.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[below(rng, i)]);
  std::size_t count = 0;
  for (const std::size_t first : order) {
    if (count >= budget) break;
    if (selected[words[first].first]) continue;
    const auto len = static_cast<std::size_t>(draw_span_length(config, rng));
    for (std::size_t w = first; w < first + len && w < words.size(); ++w) {
      const auto [begin, end] = words[w];
      // A span stops at a special token, at a chosen word, and before a word that would overrun
      // the budget (never a part of one; the first word of a sequence is always allowed).
      if (w > first && begin != words[w - 1].second) break;
      if (selected[begin] || (count > 0 && count + (end - begin) > budget)) break;
      for (std::size_t i = begin; i < end; ++i) selected[i] = true;
      count += end - begin;
    }
  }
}

}  // namespace

void mask_sequence(Sequence& seq, const TokenIds& ids, const MaskConfig& config,
                   std::mt19937_64& rng) {
  const std::size_t n = seq.ids.size();
  if (config.whole_words && seq.words.size() != n)
    throw std::invalid_argument("whole-word masking needs a word id per token");
  seq.mlm_labels.assign(n, static_cast<std::int32_t>(kIgnoreLabel));
  const std::function<bool(std::size_t)> maskable = [&](std::size_t i) {
    const auto id = seq.ids[i];
    return id != ids.cls && id != ids.sep && id != ids.pad;
  };
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < n; ++i)
    if (maskable(i)) starts.push_back(i);
  if (starts.empty()) return;
  const auto budget = std::max<std::size_t>(
      1,
      static_cast<std::size_t>(std::lround(config.mask_prob * static_cast<double>(starts.size()))));
  std::vector<bool> selected(n, false);
  if (config.whole_words)
    select_word_spans(seq, budget, config, maskable, selected, rng);
  else
    select_token_spans(std::move(starts), budget, config, maskable, selected, rng);
  const std::int32_t random_range = std::max(1, ids.vocab_size - ids.first_normal);
  for (std::size_t i = 0; i < n; ++i) {
    if (!selected[i]) continue;
    seq.mlm_labels[i] = seq.ids[i];
    const double r = uniform01(rng);
    if (r < config.replace_mask) {
      seq.ids[i] = ids.mask;
    } else if (r < config.replace_mask + config.replace_random) {
      seq.ids[i] = ids.first_normal +
                   static_cast<std::int32_t>(below(rng, static_cast<std::uint64_t>(random_range)));
    }
  }
}

Batch make_batch(const std::vector<Sequence>& sequences, std::int32_t pad_id) {
  Batch b;
  b.batch = static_cast<std::int64_t>(sequences.size());
  for (const auto& s : sequences)
    b.length = std::max<std::int64_t>(b.length, static_cast<std::int64_t>(s.ids.size()));
  const auto cells = static_cast<std::size_t>(b.batch * b.length);
  b.input_ids.assign(cells, pad_id);
  b.attention_mask.assign(cells, 0);
  b.token_type_ids.assign(cells, 0);
  b.mlm_labels.assign(cells, kIgnoreLabel);
  b.sop_labels.assign(sequences.size(), kIgnoreLabel);
  b.position_ids.assign(cells, 0);
  b.attention_blocks.assign(cells, -1);
  for (std::size_t r = 0; r < sequences.size(); ++r) {
    const Sequence& s = sequences[r];
    const std::size_t row = r * static_cast<std::size_t>(b.length);
    const bool isolated = s.blocks.size() == s.ids.size() && s.positions.size() == s.ids.size();
    if (isolated && !s.blocks.empty() && s.blocks.back() > 0) b.isolated = true;
    for (std::size_t i = 0; i < s.ids.size(); ++i) {
      b.position_ids[row + i] = isolated ? s.positions[i] : static_cast<std::int64_t>(i);
      b.attention_blocks[row + i] = isolated ? s.blocks[i] : 0;
      b.input_ids[row + i] = s.ids[i];
      b.attention_mask[row + i] = 1;
      b.token_type_ids[row + i] = i < s.token_types.size() ? s.token_types[i] : 0;
      if (i < s.mlm_labels.size() && s.mlm_labels[i] != kIgnoreLabel) {
        b.mlm_labels[row + i] = s.mlm_labels[i];
        ++b.masked_tokens;
      }
    }
    b.real_tokens += static_cast<std::int64_t>(s.ids.size());
    b.sop_labels[r] = s.sop_label;
  }
  return b;
}

// ---- the training stream ----

PretrainPipeline::PretrainPipeline(const std::vector<CorpusFile>& files, const Tokenizer& tokenizer,
                                   PipelineConfig config, WarningSink warn)
    : tokenizer_(tokenizer), config_(config), ids_(TokenIds::of(tokenizer)), rng_(config.seed) {
  if (files.empty()) throw std::invalid_argument("no corpus files given");
  if (config_.max_length < 4) throw std::invalid_argument("max_length must be at least 4");
  double total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    files_.push_back(std::make_unique<BlockFile>(files[i].path, i, config_.block_bytes,
                                                 config_.seed, tokenizer_, warn, stats_));
    shares_.push_back(files[i].weight * static_cast<double>(files_.back()->size()));
    total += shares_.back();
  }
  double acc = 0;
  for (auto& s : shares_) {
    s /= total;
    acc += s;
    cumulative_.push_back(acc);
  }
}

PretrainPipeline::~PretrainPipeline() = default;

std::size_t PretrainPipeline::pick_file() {
  const double u = uniform01(rng_);
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()),
                               files_.size() - 1);
}

PretrainPipeline::Chunk PretrainPipeline::read_chunk() {
  BlockFile& file = *files_[pick_file()];
  Chunk chunk;
  auto room = static_cast<std::size_t>(config_.max_length - 1);  // after [CLS]
  while (room >= 2) {
    const auto rest = file.current();
    if (rest.size() + 1 <= room) {
      chunk.emplace_back(rest.begin(), rest.end());
      room -= rest.size() + 1;
      file.consume(rest.size());
      ++stats_.lines;
    } else {
      const std::size_t take = room - 1;
      chunk.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(take));
      file.consume(take);
      ++stats_.cut_lines;
      room = 0;
    }
  }
  return chunk;
}

Sequence PretrainPipeline::to_sequence(const Chunk& chunk, bool sop) {
  Sequence s;
  const WordSegmenter* words = config_.words.get();
  std::int32_t next_word = 0;
  s.ids.push_back(ids_.cls);
  s.token_types.push_back(0);
  if (words) s.words.push_back(next_word++);
  std::size_t split = chunk.size();
  bool swap = false;
  if (sop && chunk.size() >= 2) {
    split = 1 + below(rng_, chunk.size() - 1);
    swap = (rng_() & 1) != 0;
    s.sop_label = swap ? 1 : 0;
  }
  const auto append = [&](std::size_t begin, std::size_t end, std::int8_t type) {
    for (std::size_t i = begin; i < end; ++i) {
      for (const auto id : chunk[i]) {
        s.ids.push_back(id);
        s.token_types.push_back(type);
      }
      s.ids.push_back(ids_.sep);
      s.token_types.push_back(type);
      if (words) {
        next_word = words->segment(chunk[i], next_word, s.words);
        s.words.push_back(next_word++);  // the [SEP]
      }
    }
  };
  if (swap) {
    append(split, chunk.size(), 0);
    append(0, split, 1);
  } else {
    append(0, split, 0);
    append(split, chunk.size(), 1);
  }
  if (!sop && config_.isolate_lines) isolate_lines(s, ids_.sep);
  return s;
}

Sequence PretrainPipeline::next_sequence() {
  while (buffer_.size() < std::max<std::size_t>(1, config_.shuffle_buffer))
    buffer_.push_back(read_chunk());
  const std::size_t i = below(rng_, buffer_.size());
  Chunk chunk = std::move(buffer_[i]);
  buffer_[i] = read_chunk();
  return to_sequence(chunk, config_.sop);
}

Batch PretrainPipeline::next_batch() {
  std::vector<Sequence> seqs;
  seqs.reserve(static_cast<std::size_t>(config_.batch_size));
  for (int i = 0; i < config_.batch_size; ++i) {
    seqs.push_back(next_sequence());
    mask_sequence(seqs.back(), ids_, config_.mask, rng_);
  }
  return make_batch(seqs, ids_.pad);
}

nlohmann::json PretrainPipeline::state() const {
  std::ostringstream rng;
  rng << rng_;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : files_) files.push_back(f->state());
  nlohmann::json buffer = nlohmann::json::array();
  for (const auto& chunk : buffer_) buffer.push_back(chunk);
  return {{"version", 1},
          {"max_length", config_.max_length},
          {"block_bytes", config_.block_bytes},
          {"rng", rng.str()},
          {"files", files},
          {"buffer", buffer},
          {"stats",
           {{"lines", stats_.lines},
            {"heldout_lines", stats_.heldout_lines},
            {"invalid_lines", stats_.invalid_lines},
            {"cut_lines", stats_.cut_lines}}}};
}

void PretrainPipeline::restore(const nlohmann::json& state) {
  try {
    if (state.at("version").get<int>() != 1)
      throw std::invalid_argument("unknown pipeline state version");
    if (state.at("max_length").get<int>() != config_.max_length)
      throw std::invalid_argument("the state was saved with max_length " +
                                  state.at("max_length").dump() + ", this run uses " +
                                  std::to_string(config_.max_length));
    if (state.at("block_bytes").get<std::size_t>() != config_.block_bytes)
      throw std::invalid_argument("the state was saved with another block size");
    const auto& files = state.at("files");
    if (files.size() != files_.size())
      throw std::invalid_argument("the state was saved for " + std::to_string(files.size()) +
                                  " corpus files, this run has " + std::to_string(files_.size()));
    for (std::size_t i = 0; i < files_.size(); ++i) files_[i]->restore(files[i]);
    std::istringstream rng(state.at("rng").get<std::string>());
    rng >> rng_;
    if (!rng) throw std::invalid_argument("malformed generator state");
    buffer_.clear();
    for (const auto& chunk : state.at("buffer")) buffer_.push_back(chunk.get<Chunk>());
    const auto& st = state.at("stats");
    stats_.lines = st.at("lines").get<std::uint64_t>();
    stats_.heldout_lines = st.at("heldout_lines").get<std::uint64_t>();
    stats_.invalid_lines = st.at("invalid_lines").get<std::uint64_t>();
    stats_.cut_lines = st.at("cut_lines").get<std::uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("malformed pipeline state: ") + e.what());
  }
}

// ---- the held-out set ----

std::vector<Sequence> heldout_sequences(const std::vector<CorpusFile>& files,
                                        const Tokenizer& tokenizer, int max_length,
                                        std::size_t max_sequences, const MaskConfig& mask,
                                        std::uint64_t seed, const WarningSink& warn, bool isolate,
                                        const WordSegmenter* words) {
  std::vector<double> shares;
  double total = 0;
  for (const auto& f : files) {
    shares.push_back(f.weight * static_cast<double>(file_size_or_throw(f.path)));
    total += shares.back();
  }
  const double wanted_tokens = static_cast<double>(max_sequences) * (max_length - 1);
  std::vector<std::vector<std::int32_t>> lines;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const double quota = std::max<double>(max_length, wanted_tokens * shares[i] / total);
    double have = 0;
    for_each_line(
        files[i].path,
        [&](std::string_view line, std::size_t) {
          if (line.empty() || !is_heldout_line(line)) return true;
          auto enc = tokenizer.encode(line);
          if (enc.ids.empty()) return true;
          have += static_cast<double>(enc.ids.size() + 1);
          lines.emplace_back(enc.ids.begin(), enc.ids.end());
          return have < quota;
        },
        warn);
  }
  const TokenIds ids = TokenIds::of(tokenizer);
  std::vector<Sequence> out;
  Sequence cur;
  std::int32_t next_word = 0;  // word ids (whole-word masking) restart with every sequence
  const auto flush = [&] {
    if (cur.ids.size() > 1) out.push_back(std::move(cur));
    cur = Sequence{};
    next_word = 0;
  };
  const auto room = [&] { return static_cast<std::size_t>(max_length) - cur.ids.size(); };
  for (const auto& line : lines) {
    std::size_t pos = 0;
    while (pos < line.size()) {
      if (cur.ids.empty()) {
        cur.ids.push_back(ids.cls);
        if (words) cur.words.push_back(next_word++);
      }
      if (room() < 2) {
        flush();
        continue;
      }
      const std::size_t take = std::min(line.size() - pos, room() - 1);
      const auto piece = std::span<const std::int32_t>(line).subspan(pos, take);
      cur.ids.insert(cur.ids.end(), piece.begin(), piece.end());
      cur.ids.push_back(ids.sep);
      if (words) {
        next_word = words->segment(piece, next_word, cur.words);
        cur.words.push_back(next_word++);
      }
      pos += take;
    }
  }
  flush();
  if (out.size() > max_sequences) out.resize(max_sequences);
  std::mt19937_64 rng(seed ^ 0x5DEECE66DULL);
  for (auto& s : out) {
    s.token_types.assign(s.ids.size(), 0);
    if (isolate) isolate_lines(s, ids.sep);
    mask_sequence(s, ids, mask, rng);
  }
  return out;
}

}  // namespace jointnlu
