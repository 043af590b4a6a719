#include "data/training_lexicon.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

namespace jointnlu {
namespace {

// Training slot values per key (normalised, sorted), each with the folds whose examples hold it.
using ValueFolds = std::map<std::string, std::map<std::string, std::set<std::size_t>>>;

ValueFolds train_values(const std::vector<Example>& train,
                        const std::vector<std::size_t>& fold_of) {
  ValueFolds values;
  for (std::size_t i = 0; i < train.size(); ++i)
    for (const auto& span : train[i].spans) {
      try {
        values[span.key][Lexicon::normalize_entry(train[i].value(span))].insert(fold_of[i]);
      } catch (const std::invalid_argument&) {
        // A value that is no valid entry (only whitespace, say): nothing to match.
      }
    }
  return values;
}

// A balanced random split: a shuffled order dealt round-robin.
std::vector<std::size_t> assign_folds(std::size_t examples, std::size_t folds, std::uint64_t seed) {
  std::vector<std::size_t> fold_of(examples, 0);
  if (folds <= 1) return fold_of;
  std::vector<std::size_t> order(examples);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  for (std::size_t i = 0; i < order.size(); ++i) fold_of[order[i]] = i % folds;
  return fold_of;
}

}  // namespace

std::shared_ptr<const TrainingLexicon> TrainingLexicon::build(const TrainingLexiconOptions& options,
                                                              const std::vector<Example>& train) {
  if (options.empty()) throw std::invalid_argument("a training lexicon needs a source");
  // External categories, merged by name in order of first appearance.
  std::vector<LexiconCategory> external;
  for (const auto& source : options.sources)
    for (auto& c : read_lexicon_source(source)) {
      if (c.name.starts_with(kTrainLexiconPrefix))
        throw std::invalid_argument("lexicon category '" + c.name + "': the prefix '" +
                                    std::string(kTrainLexiconPrefix) +
                                    "' is reserved for the training set's own slot values");
      auto it = std::find_if(external.begin(), external.end(),
                             [&](const LexiconCategory& e) { return e.name == c.name; });
      if (it == external.end())
        external.push_back(std::move(c));
      else
        it->entries.insert(it->entries.end(), c.entries.begin(), c.entries.end());
    }
  std::vector<std::string> categories;
  for (const auto& c : external) categories.push_back(c.name);
  ValueFolds values;
  if (options.from_train) values = train_values(train, std::vector<std::size_t>(train.size(), 0));
  for (const auto& [key, entries] : values)
    categories.push_back(std::string(kTrainLexiconPrefix) + key);
  if (categories.empty()) throw std::invalid_argument("the lexicon sources hold no category");
  if (categories.size() > kMaxLexiconCategories)
    throw std::invalid_argument("the lexicon has " + std::to_string(categories.size()) +
                                " categories; at most " + std::to_string(kMaxLexiconCategories) +
                                " are supported");
  auto full = std::make_shared<Lexicon>(categories);
  for (const auto& c : external) full->add(full->category_id(c.name), c.entries);
  for (const auto& [key, entries] : values) {
    std::vector<std::string> list;
    for (const auto& [entry, folds] : entries) list.push_back(entry);
    full->add(full->category_id(std::string(kTrainLexiconPrefix) + key), list);
  }
  full->compact();
  return from_full(std::move(full), train, options.from_train ? options.folds : 1, options.seed);
}

std::shared_ptr<const TrainingLexicon> TrainingLexicon::from_full(
    std::shared_ptr<const Lexicon> full, const std::vector<Example>& train, std::size_t folds,
    std::uint64_t seed) {
  auto result = std::make_shared<TrainingLexicon>();
  result->full_ = std::move(full);
  const Lexicon& lexicon = *result->full_;
  const bool has_train_categories =
      std::any_of(lexicon.categories().begin(), lexicon.categories().end(),
                  [](const std::string& c) { return c.starts_with(kTrainLexiconPrefix); });
  if (folds <= 1 || !has_train_categories) {
    result->fold_of_.assign(train.size(), 0);
    return result;
  }
  result->fold_of_ = assign_folds(train.size(), folds, seed);
  const ValueFolds values = train_values(train, result->fold_of_);
  const std::string tsv = lexicon.to_tsv();
  for (std::size_t f = 0; f < folds; ++f) {
    auto fold = std::make_unique<Lexicon>(Lexicon::from_tsv(lexicon.categories(), tsv, "lexicon"));
    for (const auto& [key, entries] : values) {
      const int id = fold->category_id(std::string(kTrainLexiconPrefix) + key);
      if (id < 0) continue;  // a key the lexicon was not built with
      std::vector<std::string> only_here;
      for (const auto& [entry, in_folds] : entries)
        if (in_folds.size() == 1 && *in_folds.begin() == f) only_here.push_back(entry);
      fold->remove(id, only_here);
    }
    fold->compact();
    result->fold_lexicons_.push_back(std::move(fold));
  }
  return result;
}

const Lexicon& TrainingLexicon::for_example(std::size_t i) const {
  if (fold_lexicons_.empty()) return *full_;
  return *fold_lexicons_.at(fold_of_.at(i));
}

const Lexicon& TrainingLexicon::for_other(std::size_t key) const {
  if (fold_lexicons_.empty()) return *full_;
  return *fold_lexicons_[key % fold_lexicons_.size()];
}

}  // namespace jointnlu
