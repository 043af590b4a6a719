#include "train/recipes/training_recipe.h"

#include <filesystem>

#include "train/joint_loss.h"
#include "train/recipes/recipe_checks.h"

namespace jointnlu::train {

using namespace recipes;

ReadOptions TrainingRecipe::read_options() const {
  ReadOptions r;
  r.max_chars = max_chars;
  r.on_error = on_error == "skip" ? OnError::kSkip : OnError::kReject;
  r.conll_domain = conll_domain;
  return r;
}

void TrainingRecipe::validate() const {
  if (train.empty()) throw RecipeError("train", "the training data file is required");
  if (out.empty()) throw RecipeError("out", "the model directory to write is required");
  check_positive("max_chars", max_chars);
  check_choice("on_error", on_error, {"reject", "stop", "skip"});
  check_range("max_length", max_length, 4, 4096);
  try {
    (void)LossWeights::parse(weights);
  } catch (const std::invalid_argument& e) {
    throw RecipeError("weights", e.what());
  }
  check_choice("class_weights", class_weights, {"none", "inverse", "sqrt"});
  check_positive("epochs", epochs);
  check_positive("batch_size", batch_size);
  check_non_negative("lr", lr);
  check_non_negative("warmup", warmup);
  check_positive("patience", patience);
  check_non_negative("steps", steps);
  check_non_negative("threads", threads);
  check_range("lexicon_folds", lexicon_folds, 1, 100);
  (void)resolve_distributed(distributed);
}

void TrainingRecipe::check_out() const {
  // In a data-parallel job only rank 0 writes `out` (it may be another machine's directory).
  if (resume || overwrite || !resolve_distributed(distributed).is_root()) return;
  for (const char* file : {"trainer_state.json", "model.safetensors", "config.json"}) {
    const auto path = std::filesystem::path(out) / file;
    if (std::filesystem::exists(path))
      throw RecipeError("out", out + " already holds a model (" + path.string() +
                                   "): continue it with resume, replace it with overwrite, or "
                                   "choose another directory");
  }
}

}  // namespace jointnlu::train
