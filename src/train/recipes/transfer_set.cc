// Distillation's inputs: the teacher-derived setup, the transfer set (gold, augmented variants,
// corpus lines) and the teachers' soft targets.
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>

#include "data/augment.h"
#include "data/corpus.h"
#include "train/distill.h"
#include "train/recipes/recipe_fields.h"
#include "train/recipes/student_setup.h"
#include "train/recipes/training_run.h"

namespace jointnlu::train::recipes {

Generators parse_generators(const std::string& list) {
  Generators g;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "substitute")
      g.substitute = true;
    else if (item == "mask")
      g.mask = true;
    else if (item == "ngram")
      g.ngram = true;
    else if (!item.empty() && item != "none")
      throw RecipeError("generators", "'" + item + "' is not one of substitute, mask, ngram, none");
  }
  return g;
}

StudentSetup setup_from_teacher(const StudentRecipe& r, const std::vector<Example>& examples) {
  StudentSetup s;
  const std::string& first = r.teacher.front();
  s.teacher = load_teacher(first);
  s.spec.labels = s.teacher->spec.labels;
  s.spec.max_length = s.teacher->spec.max_length;
  s.tokenizer = s.teacher->tokenizer;
  if (s.teacher->lexicon) {
    // ... and the same lexicon features.
    if (!r.lexicon.empty() || r.lexicon_from_train)
      throw RecipeError("lexicon", "the teacher " + first +
                                       " has a lexicon, which the student reads too: give no "
                                       "lexicon sources and no lexicon_from_train");
    s.lexicon = TrainingLexicon::from_full(s.teacher->lexicon, examples,
                                           static_cast<std::size_t>(r.lexicon_folds), r.seed);
    spdlog::info("lexicon of the teacher: {} entries in {} categories; {} fold lexicons",
                 s.lexicon->full().size(), s.lexicon->full().categories().size(),
                 s.lexicon->folds());
  } else {
    s.lexicon = training_lexicon(r, examples);  // the student's own
  }
  if (s.lexicon) s.spec.lexicon_categories = s.lexicon->full().categories();
  return s;
}

namespace {

std::size_t add_variants(const StudentRecipe& r, const StudentSetup& s, const Batcher& batcher,
                         const std::vector<Example>& examples,
                         std::vector<EncodedExample>& encoded) {
  const Generators g = parse_generators(r.generators);
  SlotValueBank bank;
  bank.add_examples(examples);
  if (!r.gazetteers.empty()) {
    for (const auto& [file, keys] :
         bank.add_gazetteer_dir(r.gazetteers, s.spec.labels.slot_keys())) {
      std::string joined;
      for (const auto& k : keys) joined += (joined.empty() ? "" : ", ") + k;
      spdlog::info("gazetteer {}: {}", file, keys.empty() ? "matches no slot key, unused" : joined);
    }
    for (const auto& p : bank.problems()) spdlog::warn("gazetteer line skipped: {}", p);
  }
  AugmentOptions a;
  a.per_example = r.augment;
  a.substitute = g.substitute;
  a.mask = g.mask;
  a.ngram = g.ngram;
  a.seed = r.seed;
  AugmentStats stats;
  const auto variants = augment(examples, &bank, a, &stats);
  for (const auto& v : variants)
    encoded.push_back(encode_variant(batcher, v, s.other_lexicon(encoded.size())));
  spdlog::info(
      "augmentation ({}): {} variants from {} utterances; {} slot values substituted (bank of "
      "{}), {} characters masked, {} n-gram cuts, {} duplicates skipped",
      r.generators, stats.variants, examples.size(), stats.substituted_spans, bank.total_values(),
      stats.masked_chars, stats.ngram_cuts, stats.duplicates_skipped);
  return variants.size();
}

std::size_t add_corpus_lines(const StudentRecipe& r, const StudentSetup& s, const Batcher& batcher,
                             std::vector<EncodedExample>& encoded) {
  std::vector<std::string> paths;
  for (const auto& c : r.corpus) paths.push_back(parse_corpus_spec(c).path);  // weights unused
  std::size_t skipped = 0;
  const auto lines =
      sample_lines(paths, static_cast<std::size_t>(r.corpus_lines), r.seed, r.max_chars, &skipped);
  for (const auto& line : lines)
    encoded.push_back(encode_unlabelled(batcher, line, s.other_lexicon(encoded.size())));
  spdlog::info("corpus: {} lines sampled ({} unusable lines skipped)", lines.size(), skipped);
  return lines.size();
}

// A further teacher of an ensemble must read what the first one read: the same vocabulary, labels,
// input length and lexicon categories, so its logits line up position by position and class by
// class.
void check_same_inputs(const StudentSetup& s, const std::string& first, const std::string& dir) {
  const auto& t = *s.teacher;
  const auto mismatch = [&](const std::string& what) {
    return RecipeError("teacher", dir + ": its " + what + " differs from that of " + first +
                                      " (an ensemble shares them)");
  };
  if (t.tokenizer.vocab() != s.tokenizer->vocab()) throw mismatch("vocabulary");
  if (t.spec.labels.to_json() != s.spec.labels.to_json()) throw mismatch("label space");
  if (t.spec.max_length != s.spec.max_length) throw mismatch("max_length");
  if (t.spec.lexicon_categories != s.spec.lexicon_categories)
    throw mismatch("lexicon (categories)");
}

}  // namespace

std::vector<EncodedExample> build_transfer_set(const StudentRecipe& r, const StudentSetup& s,
                                               const Batcher& batcher,
                                               const std::vector<Example>& examples) {
  auto encoded = batcher.encode_all(examples, s.example_lexicon());
  const std::size_t gold_count = encoded.size();
  const std::size_t variants = r.augment > 0 ? add_variants(r, s, batcher, examples, encoded) : 0;
  const std::size_t lines = r.corpus_lines > 0 ? add_corpus_lines(r, s, batcher, encoded) : 0;
  spdlog::info(
      "{} teacher(s): computing soft targets for {} examples ({} gold, {} augmented, {} corpus)",
      r.teacher.size(), encoded.size(), gold_count, variants, lines);
  return encoded;
}

void attach_soft_targets(const StudentRecipe& r, StudentSetup& s, const Batcher& batcher,
                         std::vector<EncodedExample>& encoded, const DistillOptions& d) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::vector<SoftTargets>> per_teacher;
  for (std::size_t k = 0; k < r.teacher.size(); ++k) {
    if (k > 0) {
      s.teacher = load_teacher(r.teacher[k]);
      check_same_inputs(s, r.teacher.front(), r.teacher[k]);
    }
    attach_teacher_logits(as_joint_model(s.teacher->model), batcher, encoded, 64);
    s.teacher.reset();  // frozen and no longer needed: free its memory before the next one
    if (r.teacher.size() > 1) {
      auto& soft = per_teacher.emplace_back();
      for (auto& e : encoded) soft.push_back(std::move(*e.soft));
    }
  }
  if (per_teacher.size() > 1) {
    auto averaged = average_soft_targets(per_teacher, d);
    per_teacher.clear();
    for (std::size_t i = 0; i < encoded.size(); ++i) encoded[i].soft = std::move(averaged[i]);
  }
  spdlog::info("soft targets ready in {:.1f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace jointnlu::train::recipes
