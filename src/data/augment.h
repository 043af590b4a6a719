// Transfer-set augmentation for distillation: new utterances made from the training ones, which
// the teacher then labels with soft targets (no gold needed). Three generators after Tang et al.
// (2019), adapted to character-level Chinese and to slot filling:
//   substitute  a slot value is replaced by another value of the same key (from the training data
//               and gazetteers), so the student sees unseen entities in familiar frames;
//   mask        characters are marked for replacement by [MASK] at encoding time;
//   ngram       a window of consecutive characters is kept as the whole utterance.
// Spans stay aligned with the text through every generator, so a variant is still a valid
// Example (the property test checks this over the whole SMP2019 training set).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/example.h"

namespace jointnlu {

// Values per slot key that substitution draws from.
class SlotValueBank {
 public:
  // Every (key, value) of the examples' spans.
  void add_examples(const std::vector<Example>& examples);
  // One value per line (blank lines skipped). The values join every key equal to `stem` or ending
  // in "_" + stem (city.txt serves startLoc_city, endLoc_city, location_city), among `keys`.
  // Returns the keys it joined. Lines that are not usable values (invalid UTF-8, control
  // characters, longer than max_chars) are skipped — gazetteers are auxiliary lists, and real
  // ones contain such noise — and each is recorded in problems(), naming the file and line.
  // Throws IoError when the file cannot be read.
  std::vector<std::string> add_gazetteer(const std::string& path, const std::string& stem,
                                         const std::vector<std::string>& keys,
                                         std::size_t max_chars = 64);
  // Adds every *.txt of a directory, the file stem naming the slot (see add_gazetteer). Returns
  // file name -> keys joined (empty: the file matched no key).
  std::map<std::string, std::vector<std::string>> add_gazetteer_dir(
      const std::string& dir, const std::vector<std::string>& keys);

  const std::vector<std::string>* values(const std::string& key) const;
  std::size_t total_values() const;
  // Skipped gazetteer lines, "FILE: line N: reason".
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void add(const std::string& key, const std::string& value);
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, std::map<std::string, bool>> seen_;
  std::vector<std::string> problems_;
};

struct AugmentOptions {
  // Variants generated per training utterance (0: no augmentation).
  int per_example = 0;
  // Generators: each can be switched off. A variant applies the enabled ones in this order.
  bool substitute = true;
  bool mask = true;
  bool ngram = true;
  // Probability that a slot span gets another value of its key.
  double substitute_prob = 0.5;
  // Probability that a character is masked.
  double mask_prob = 0.1;
  // Probability that a variant is cut to an n-gram window of ngram_min..ngram_max characters.
  double ngram_prob = 0.25;
  int ngram_min = 2;
  int ngram_max = 6;
  // Attempts per requested variant before giving up on finding one not generated already
  // (short utterances have few distinct variants).
  int max_attempts = 10;
  std::uint64_t seed = 42;
};

// A generated utterance: text and spans as in an Example (domain and intent copied from the
// source, for inspection only: the teacher labels variants), plus the characters to mask.
struct Variant {
  Example example;
  std::vector<std::size_t> masked;  // character indices, sorted
  std::size_t source = 0;           // index of the training example it came from
};

// Counts per generator, for the log and the report.
struct AugmentStats {
  std::size_t variants = 0;
  std::size_t substituted_spans = 0;
  std::size_t masked_chars = 0;
  std::size_t ngram_cuts = 0;
  std::size_t duplicates_skipped = 0;
};

// Up to options.per_example distinct variants of every example (never equal to any original
// utterance), deterministic for a seed. `bank` may be null when substitution is off.
std::vector<Variant> augment(const std::vector<Example>& examples, const SlotValueBank* bank,
                             const AugmentOptions& options, AugmentStats* stats = nullptr);

// One variant of one example (the building block of augment; exposed for tests).
Variant make_variant(const Example& example, const SlotValueBank* bank,
                     const AugmentOptions& options, std::mt19937_64& rng, AugmentStats* stats);

// Up to k lines sampled uniformly (reservoir sampling, streaming: the files are never held in
// memory) from text files, one utterance per line. Lines that are blank, invalid UTF-8, contain
// control characters or are longer than max_chars are skipped and counted in *skipped.
std::vector<std::string> sample_lines(const std::vector<std::string>& paths, std::size_t k,
                                      std::uint64_t seed, std::size_t max_chars,
                                      std::size_t* skipped = nullptr);

}  // namespace jointnlu
