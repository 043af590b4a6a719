// The lexicon a model is trained with: the sources the user named, plus (optionally) the training
// set's own slot values as categories "train.KEY".
//
// Those own values need care: every training slot value is then in the lexicon, while at test time
// most values are not (on SMP2019, 55% of the test slot values never occur in training), so a model
// trained on them would learn to trust a train.KEY match blindly and to ignore everything else.
// With `folds` = k > 1 the training examples are split into k folds at random, and an example of
// fold i is matched against a lexicon whose train.KEY categories hold only the values of the OTHER
// folds: its own values are covered only when another utterance has them too, as at test time. The
// saved model carries the full lexicon (every value), which is what inference matches against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/example.h"
#include "core/lexicon.h"
#include "core/lexicon_sources.h"

namespace jointnlu {

// The category prefix of the training set's own slot values.
inline constexpr std::string_view kTrainLexiconPrefix = "train.";

struct TrainingLexiconOptions {
  std::vector<LexiconSource> sources;  // --lexicon SPEC, in order
  bool from_train = false;             // add the training slot values as train.KEY
  std::size_t folds = 5;               // k-fold split of those values; 0 or 1: no split
  std::uint64_t seed = 1;              // of the fold assignment

  bool empty() const { return sources.empty() && !from_train; }
};

class TrainingLexicon {
 public:
  // Reads the sources (throws as read_lexicon_source) and builds the full lexicon and, with
  // from_train and folds > 1, one lexicon per fold.
  static std::shared_ptr<const TrainingLexicon> build(const TrainingLexiconOptions& options,
                                                      const std::vector<Example>& train);
  // From a model's full lexicon (a teacher's, for distillation): fold lexicons when it has
  // train.KEY categories and folds > 1, each without the values that only its fold's examples hold.
  static std::shared_ptr<const TrainingLexicon> from_full(std::shared_ptr<const Lexicon> full,
                                                          const std::vector<Example>& train,
                                                          std::size_t folds, std::uint64_t seed);

  // Every entry: what the model is saved with and evaluated against.
  const Lexicon& full() const { return *full_; }
  std::shared_ptr<const Lexicon> full_ptr() const { return full_; }
  // What training example i (index into the `train` given to build) is matched against.
  const Lexicon& for_example(std::size_t i) const;
  // For a training input that is not one of `train` (an augmented variant, a corpus line): the fold
  // lexicon picked by `key` (e.g. its index), so these too see train.KEY entries partially.
  const Lexicon& for_other(std::size_t key) const;
  std::size_t folds() const { return fold_lexicons_.size(); }

 private:
  std::shared_ptr<const Lexicon> full_;
  std::vector<std::unique_ptr<Lexicon>> fold_lexicons_;
  std::vector<std::size_t> fold_of_;  // per training example
};

}  // namespace jointnlu
