// The torch-free data pipeline of masked-LM pretraining: streams unlabelled text (one utterance per
// line), mixes files by weight, packs utterances into fixed-length sequences, builds sentence-order
// pairs and masks tokens. Everything is driven by one seeded std::mt19937_64 and by file cursors,
// so a run can save the pipeline's exact position (state()) and continue from it (restore()).
//
// Reading. Each file is cut into blocks of block_bytes; a block holds the lines that START inside
// it. Every epoch visits the blocks of a file in a fresh seeded permutation and reads each block's
// lines in order, so consecutive lines stay consecutive (sentence order means something), the order
// is shuffled at block level without reading a file into memory, and a cursor is just (epoch,
// block, offset). A shuffle buffer of packed chunks mixes further.
//
// Filtering. A line is held out for evaluation when its 64-bit FNV-1a hash is 0 mod 100 (1%,
// deterministic, independent of position and file). Empty lines are skipped. A line that is not
// valid UTF-8 is skipped and counted, and a warning names the file and line (the first few per
// file): a multi-gigabyte crawl with a few broken lines should not stop a pretraining run, and
// nothing is dropped silently. A missing or unreadable file is an IoError at start-up.
//
// Packing. [CLS] line [SEP] line [SEP] ... up to max_length tokens; a line that does not fit is cut
// and continues the next sequence of the same file (as BERT cuts documents), so nearly every
// sequence has exactly max_length tokens. With sentence-order prediction, a sequence of two or more
// lines is split at a random line boundary into segments A (token type 0) and B (1), and with
// probability 1/2 the segments are swapped (label 1; 0 = original order). A one-line sequence gets
// no SOP label (-100).
//
// Isolation (isolate_lines, the default without SOP). Packing alone lets every token attend to the
// unrelated utterances it was packed with, at positions no single utterance ever has; in our
// experiments that kept the masked LM on the unigram plateau far longer (docs/RESULTS.md, issue 4).
// An isolated sequence therefore gives each line (with its [SEP]) its own attention block and its
// own positions: the first block is [CLS] line [SEP] at 0, 1, ...; every later line starts again at
// 1, where a lone utterance's first character sits after [CLS]. Packing still saves the padding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer.h"
#include "data/word_segmenter.h"

namespace jointnlu {

// Label value of positions that carry no loss (as Hugging Face's -100).
inline constexpr std::int64_t kIgnoreLabel = -100;

// One corpus file and its sampling weight.
struct CorpusFile {
  std::string path;
  // Multiplies the file's natural share (its size): 3 reads it three times as often, 0.5 half.
  double weight = 1.0;
};

// "PATH" or "PATH:WEIGHT" (a positive number after the last ':'). Throws std::invalid_argument for
// a bad weight.
CorpusFile parse_corpus_spec(const std::string& spec);

// The 1% of lines set aside for evaluation, decided by a hash of the line's bytes.
bool is_heldout_line(std::string_view line);

// Receives warnings (bad lines); the pipeline never logs by itself.
using WarningSink = std::function<void(const std::string&)>;

// Calls fn(line, line_number) for every line of a file until fn returns false (line numbers
// 1-based;
// "\r\n" endings and a UTF-8 BOM stripped; empty lines included). Lines that are not valid UTF-8
// are skipped and reported through `warn` (the first few per file; all are counted in the return
// value). Throws IoError when the file cannot be read. Streams: memory does not grow with the file.
std::size_t for_each_line(const std::string& path,
                          const std::function<bool(std::string_view, std::size_t)>& fn,
                          const WarningSink& warn = {});

struct MaskConfig {
  // Fraction of maskable tokens selected for prediction (BERT: 0.15); at least one per sequence.
  double mask_prob = 0.15;
  // Of the selected tokens: this fraction becomes [MASK]...
  double replace_mask = 0.8;
  // ...this fraction a random token; the rest stay unchanged.
  double replace_random = 0.1;
  // Longest masked span (ALBERT's n-gram masking: span length n has probability proportional to
  // 1/n); 1 masks single tokens. With whole_words the span length counts words.
  int max_ngram = 3;
  // Select whole words (Sequence::words) instead of single tokens: a word is masked entirely or not
  // at all. The budget still counts tokens (a word that would overrun it is left out, unless
  // nothing is selected yet); the 80/10/10 replacement is still drawn per token.
  bool whole_words = false;
};

// A packed sequence ready for the model (no padding).
struct Sequence {
  std::vector<std::int32_t> ids;         // [CLS] ... [SEP]
  std::vector<std::int8_t> token_types;  // 0 for segment A, 1 for B
  std::vector<std::int32_t>
      mlm_labels;  // original id at predicted positions, kIgnoreLabel elsewhere
  std::int32_t sop_label = kIgnoreLabel;  // 0 in order, 1 swapped, kIgnoreLabel when not a pair
  // Per token: attention block and position (see "Isolation" above). Empty: one block, positions
  // 0, 1, ... (the plain packed layout).
  std::vector<std::int32_t> blocks;
  std::vector<std::int32_t> positions;
  // Per token: the id of the word it belongs to (WordSegmenter; [CLS] and [SEP] are words of their
  // own), for whole-word masking. Empty without a word list.
  std::vector<std::int32_t> words;
};

// Special token ids and the range random replacements are drawn from.
struct TokenIds {
  std::int32_t pad = 0;
  std::int32_t cls = 2;
  std::int32_t sep = 3;
  std::int32_t mask = 4;
  std::int32_t first_normal = 5;  // random replacements are drawn from [first_normal, vocab_size)
  std::int32_t vocab_size = 6;
  // From a tokenizer; first_normal is one past the largest special id.
  static TokenIds of(const Tokenizer& tokenizer);
};

// Gives every line of a packed sequence (delimited by [SEP]) its own attention block and its own
// positions, as described under "Isolation" above. Call before masking: a [SEP] must still be one.
void isolate_lines(Sequence& seq, std::int32_t sep_id);

// Masks seq.ids in place (positions holding [CLS]/[SEP]/[PAD] are never selected) and fills
// seq.mlm_labels. Deterministic given the generator state. config.whole_words needs seq.words
// (one per token; throws std::invalid_argument otherwise).
void mask_sequence(Sequence& seq, const TokenIds& ids, const MaskConfig& config,
                   std::mt19937_64& rng);

// A padded batch in row-major [batch, length] layout (int64, as torch wants indices).
struct Batch {
  std::int64_t batch = 0;
  std::int64_t length = 0;
  std::vector<std::int64_t> input_ids;
  std::vector<std::int64_t> attention_mask;  // 1 real, 0 padding
  std::vector<std::int64_t> token_type_ids;
  std::vector<std::int64_t> mlm_labels;        // kIgnoreLabel except at predicted positions
  std::vector<std::int64_t> sop_labels;        // [batch]
  std::vector<std::int64_t> position_ids;      // per token; 0 at padding
  std::vector<std::int64_t> attention_blocks;  // per token; -1 at padding
  bool isolated = false;                       // some sequence has more than one block
  std::int64_t real_tokens = 0;                // non-padding positions
  std::int64_t masked_tokens = 0;              // predicted positions
};

// Pads sequences to the longest one.
Batch make_batch(const std::vector<Sequence>& sequences, std::int32_t pad_id);

struct PipelineConfig {
  // Sequence length including [CLS] and [SEP]s.
  int max_length = 64;
  // Sequences per batch.
  int batch_size = 32;
  // Block size of the block-shuffled reading (see above).
  std::size_t block_bytes = 64 * 1024;
  // Packed chunks held in the shuffle buffer (memory: about capacity * max_length * 4 bytes).
  std::size_t shuffle_buffer = 1024;
  // Seed of every random decision (block order, file choice, shuffling, SOP swaps, masking).
  std::uint64_t seed = 42;
  // Build sentence-order pairs (token types, sop_labels); otherwise every sop_label is
  // kIgnoreLabel.
  bool sop = true;
  // Without SOP: one attention block and position range per line (see "Isolation" above). SOP
  // needs its two segments to see each other, so with sop the sequence stays one block.
  bool isolate_lines = true;
  MaskConfig mask;
  // Word boundaries for whole-word masking (mask.whole_words): each line (or the piece of a cut
  // line a sequence holds) is segmented on its own. Null: Sequence::words stays empty.
  std::shared_ptr<const WordSegmenter> words;
};

struct PipelineStats {
  std::uint64_t lines = 0;          // lines packed into training sequences
  std::uint64_t heldout_lines = 0;  // lines skipped because they belong to the held-out set
  std::uint64_t invalid_lines = 0;  // lines skipped as invalid UTF-8
  std::uint64_t cut_lines = 0;      // lines split across two sequences
};

class BlockFile;

// The training stream: an endless, deterministic sequence of masked batches.
class PretrainPipeline {
 public:
  // Opens and indexes every file (throws IoError for a missing one, std::invalid_argument for an
  // empty corpus). The tokenizer must outlive the pipeline.
  PretrainPipeline(const std::vector<CorpusFile>& files, const Tokenizer& tokenizer,
                   PipelineConfig config, WarningSink warn = {});
  ~PretrainPipeline();
  PretrainPipeline(const PretrainPipeline&) = delete;
  PretrainPipeline& operator=(const PretrainPipeline&) = delete;

  Batch next_batch();
  // One packed sequence (with SOP segments when configured) before masking; for tests and
  // statistics.
  Sequence next_sequence();

  // The exact position: file cursors, generator, shuffle buffer. restore() of a state saved by a
  // pipeline over the same files and config continues with the same batches. Throws
  // std::invalid_argument when the state does not match the files.
  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

  const PipelineStats& stats() const { return stats_; }
  // Each file's probability of being chosen for the next chunk.
  const std::vector<double>& file_shares() const { return shares_; }

 private:
  using Chunk = std::vector<std::vector<std::int32_t>>;  // the token pieces of consecutive lines
  Chunk read_chunk();
  std::size_t pick_file();
  Sequence to_sequence(const Chunk& chunk, bool sop);

  const Tokenizer& tokenizer_;
  PipelineConfig config_;
  TokenIds ids_;
  std::vector<std::unique_ptr<BlockFile>> files_;
  std::vector<double> shares_;
  std::vector<double> cumulative_;
  std::mt19937_64 rng_;
  std::vector<Chunk> buffer_;
  PipelineStats stats_;
};

// The held-out evaluation set: held-out lines (is_heldout_line) read from the start of each file,
// each file contributing in proportion to its share, packed into sequences (no SOP) and masked with
// a generator of its own (seeded from `seed`), so every evaluation sees the same positions. Reads
// only as far as needed to collect max_sequences. `isolate`: as PipelineConfig::isolate_lines;
// `words`: as PipelineConfig::words (needed when mask.whole_words).
std::vector<Sequence> heldout_sequences(const std::vector<CorpusFile>& files,
                                        const Tokenizer& tokenizer, int max_length,
                                        std::size_t max_sequences, const MaskConfig& mask,
                                        std::uint64_t seed, const WarningSink& warn = {},
                                        bool isolate = false, const WordSegmenter* words = nullptr);

}  // namespace jointnlu
