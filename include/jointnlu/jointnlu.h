// jointnlu: joint domain / intent / slot parsing of one utterance with a distilled BiLSTM student.
//
// The public C++ API of the runtime. Self-contained: the standard library only, no third-party
// type, and the implementation hidden behind a pointer (Pimpl), so applications depend on nothing
// but this header and the library.
//
//   auto parser = jointnlu::Parser::open("model.safetensors");
//   jointnlu::ParseResult r = parser.parse("播放周杰伦的稻香");
//   // r.domain == "music", r.intent == "PLAY", r.slots[0].key == "artist", ...
//
// A Parser's weights are immutable once opened: share one between any number of threads. A model
// trained with a lexicon (word lists per category: contacts, songs, dishes...) also takes new
// entries at run time, without retraining, from any thread while others parse:
//
//   parser.add_lexicon_entries("contact", {"林晓峰"});   // now matched like a trained-in entry
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "jointnlu/export.h"

namespace jointnlu {

// Every failure of the API.
class JOINTNLU_API Error : public std::runtime_error {
 public:
  enum class Code {
    kInvalidInput,  // the text: invalid UTF-8, empty, control characters, too long
    kInvalidModel,  // the model file or directory: malformed, wrong tensors, bad metadata
    kIo,            // a file that cannot be read
    kInternal,      // anything else (a bug: please report it)
  };
  Error(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // Out of line: its type information then lives in the library alone, so an Error thrown there
  // is caught as one by the application.
  ~Error() override;
  Code code() const { return code_; }

 private:
  Code code_;
};

struct ParserOptions {
  // Threads parse_batch() spreads a batch over; 1: the calling thread only; 0: all cores. Beyond
  // the caller, they are the Parser's own, started on first need and kept until it is destroyed
  // (with threads > 1, concurrent parse_batch() calls on one Parser take turns). Every thread that
  // runs batches keeps its scratch, ~1.3 MB at hidden 128, so that later batches allocate nothing.
  int threads = 1;
  // Longest text accepted, in characters (Unicode code points); longer ones are kInvalidInput.
  std::size_t max_chars = 512;
  // Lexicon files whose entries are added at open to the model's categories of the same names,
  // as `jointnlu predict --lexicon`: "NAME=FILE" (one entry per line), "PREFIX=DIR" (every *.txt
  // as PREFIX.STEM) or "jieba[=FILE]". A name the model lacks is kInvalidModel.
  std::vector<std::string> lexicons;
};

struct SlotResult {
  std::string key;          // slot name, e.g. "artist"
  std::string value;        // the slot's text: exactly the characters [start, end) of the input
  std::size_t start = 0;    // first character (code point index into the text)
  std::size_t end = 0;      // one past the last character
  double confidence = 0.0;  // lowest tag probability over the span, in [0, 1]
};

struct ParseResult {
  std::string text;    // the input
  std::string domain;  // e.g. "music"
  std::string intent;  // e.g. "PLAY"; (domain, intent) is always a pair seen in training
  double domain_confidence = 0.0;  // softmax probability of the domain, in [0, 1]
  double intent_confidence = 0.0;  // softmax probability of the intent, in [0, 1]
  std::vector<SlotResult> slots;   // in text order, non-overlapping
  // The text had more tokens than the model reads (ModelInfo::max_length): it was parsed from its
  // beginning, and no slot lies in the part that was cut.
  bool truncated = false;
};

// What was loaded.
struct ModelInfo {
  std::string path;             // as given to open()
  std::string weights;          // "fp32" or "int8"
  std::string pooling;          // "max" or "attention"
  std::size_t hidden_size = 0;  // LSTM hidden size per direction
  std::size_t num_layers = 0;
  std::size_t vocab_size = 0;
  std::size_t max_length = 0;  // tokens per utterance, [CLS] and [SEP] included; longer is cut
  std::size_t domains = 0;
  std::size_t intents = 0;
  std::size_t slot_keys = 0;
  std::vector<std::string> lexicon_categories;  // empty: the model reads no lexicon
  std::size_t lexicon_entries = 0;              // (entry, category) pairs, at the time of info()
};

class JOINTNLU_API Parser {
 public:
  // path: a file written by `jointnlu export` (memory-mapped) or a student checkpoint directory.
  // Throws Error (kInvalidModel naming the file and tensor, or kIo).
  static Parser open(const std::string& path, const ParserOptions& options = {});

  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  ~Parser();

  // Throws Error kInvalidInput for a text that is not valid UTF-8, empty, contains control
  // characters or exceeds max_chars.
  ParseResult parse(std::string_view text) const;
  // The same for each text, in order; any invalid text fails the whole batch (checked up front).
  // Faster per text than parse() in a loop: texts of similar length run through the network
  // together, sharing each weight read (results are the same as parse()'s).
  std::vector<ParseResult> parse_batch(const std::vector<std::string>& texts) const;

  // Run-time lexicon edits (models trained with a lexicon). Entries are matched as the lexicon
  // matches them (ASCII letters case-insensitive); a parse sees the lexicon as it was when it
  // started. Thread-safe with each other and with concurrent parses. Throws Error kInvalidInput
  // for a category the model does not have (or a model without a lexicon) and for an entry that
  // is empty, not UTF-8, longer than 256 bytes or holds control characters; nothing is changed
  // then.
  void add_lexicon_entries(std::string_view category,
                           const std::vector<std::string>& entries) const;
  // Returns how many of the entries were present (and are now gone).
  std::size_t remove_lexicon_entries(std::string_view category,
                                     const std::vector<std::string>& entries) const;

  ModelInfo info() const;
  const ParserOptions& options() const;

 private:
  struct Impl;
  explicit Parser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// JSON renderings (UTF-8, one line):
//   {"text", "domain", "intent", "domain_confidence", "intent_confidence", "truncated",
//    "slots": [{"key", "value", "start", "end", "confidence"}, ...]}
JOINTNLU_API std::string to_json(const ParseResult& result);
//   {"path", "weights", "pooling", "hidden_size", "num_layers", "vocab_size", "max_length",
//    "domains", "intents", "slot_keys", "lexicon_categories", "lexicon_entries"}
JOINTNLU_API std::string to_json(const ModelInfo& info);

// "MAJOR.MINOR.PATCH" of the loaded library (the header's is JOINTNLU_VERSION_*).
JOINTNLU_API const char* version();

}  // namespace jointnlu
