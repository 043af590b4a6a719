// How the training commands print a recipe's outcome (train-teacher, train-student, distill).
#pragma once

#include <string>

#include "train/recipes/training_recipe.h"

namespace jointnlu::cli {

inline constexpr std::size_t kPredictBatch = 64;

// Prints the outcome on stdout (text, or one JSON object with json) with dev and test scores.
// Returns the exit code (128 + signal when interrupted).
int print_outcome(const train::TrainingOutcome& outcome, const train::TrainingRecipe& recipe,
                  bool json);

}  // namespace jointnlu::cli
