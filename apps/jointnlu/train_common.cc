#include "train_common.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "report/scores.h"

namespace jointnlu::cli {

int print_outcome(const train::TrainingOutcome& outcome, const train::TrainingRecipe& recipe,
                  bool json) {
  if (outcome.stop_signal) return 128 + outcome.stop_signal;
  if (outcome.stopped_at_max_steps) return 0;
  if (json) {
    nlohmann::json j{{"model", outcome.model_dir},
                     {"best_epoch", outcome.best_epoch},
                     {"epochs", outcome.epochs_completed},
                     {"seconds_per_epoch", outcome.mean_epoch_seconds}};
    if (outcome.dev) j["dev"] = report::scores_json(*outcome.dev);
    if (outcome.test) j["test"] = report::scores_json(*outcome.test);
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "model           " << outcome.model_dir << "\n"
            << "best_epoch      " << outcome.best_epoch << "\n"
            << "epochs          " << outcome.epochs_completed << "\n"
            << "seconds/epoch   " << outcome.mean_epoch_seconds << "\n";
  if (outcome.dev) {
    std::cout << "\ndev (" << recipe.dev << ")\n";
    report::print_scores(std::cout, *outcome.dev, false);
  }
  if (outcome.test) {
    std::cout << "\ntest (" << recipe.test << ")\n";
    report::print_scores(std::cout, *outcome.test, false);
  }
  return 0;
}

}  // namespace jointnlu::cli
