// What a student recipe is built on (internal to src/train/recipes): vocabulary, labels, input
// length, lexicon and, for distillation, the teachers; and distillation's transfer set.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tokenizer.h"
#include "data/dataset.h"
#include "data/training_lexicon.h"
#include "train/batching.h"
#include "train/bilstm.h"
#include "train/joint_albert.h"
#include "train/joint_loss.h"
#include "train/recipes/student_recipe.h"

namespace jointnlu::train::recipes {

struct StudentSetup {
  StudentSpec spec;
  std::optional<Tokenizer> tokenizer;
  std::optional<LoadedTeacher> teacher;            // the one loaded now (freed when done)
  std::shared_ptr<const TrainingLexicon> lexicon;  // nullptr: the student reads none

  std::shared_ptr<const Lexicon> full_lexicon() const {
    return lexicon ? lexicon->full_ptr() : nullptr;
  }
  // What training example i is matched against.
  std::function<const Lexicon*(std::size_t)> example_lexicon() const {
    return [this](std::size_t i) -> const Lexicon* {
      return lexicon ? &lexicon->for_example(i) : nullptr;
    };
  }
  // What another transfer example i (augmented, corpus) is matched against.
  const Lexicon* other_lexicon(std::size_t i) const {
    return lexicon ? &lexicon->for_other(i) : nullptr;
  }
};

struct Generators {
  bool substitute = false, mask = false, ngram = false;
};
// "substitute,mask,ngram" (or "none"); RecipeError("generators") for an unknown name.
Generators parse_generators(const std::string& list);

// Distillation: the student reads exactly what the first teacher read (vocabulary, labels, length,
// lexicon), so the teacher's logits line up with the student's positions and classes.
StudentSetup setup_from_teacher(const StudentRecipe& r, const std::vector<Example>& examples);
// The transfer set: the gold examples, augmented variants and sampled corpus lines.
std::vector<EncodedExample> build_transfer_set(const StudentRecipe& r, const StudentSetup& s,
                                               const Batcher& batcher,
                                               const std::vector<Example>& examples);
// Every teacher's logits on the transfer set as soft targets (averaged for an ensemble).
void attach_soft_targets(const StudentRecipe& r, StudentSetup& s, const Batcher& batcher,
                         std::vector<EncodedExample>& encoded, const DistillOptions& d);

}  // namespace jointnlu::train::recipes
