// The entry point of libjointnlu_trainer.so: dispatches a training subcommand and keeps exceptions
// inside.
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "recipe_flags.h"
#include "train/recipes/recipe_fields.h"
#include "train_commands.h"
#include "trainer_plugin.h"

namespace {

void copy_error(const std::string& message, char* error, std::size_t size) {
  if (size == 0) return;
  const std::size_t n = std::min(message.size(), size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

}  // namespace

extern "C" int jointnlu_trainer_run(const char* command, const jointnlu::cli::Options* options,
                                    char* error, std::size_t error_size) {
  using namespace jointnlu::cli;
  static const std::map<std::string, std::function<int(const Options&)>> kCommands = {
      {"info", run_info},
      {"pretrain", run_pretrain},
      {"release-encoder", run_release_encoder},
      {"train-teacher", run_train_teacher},
      {"train-student", run_train_student},
      {"distill", run_distill},
      {"bench", run_bench},
      {"pipeline", run_pipeline},
      {"predict", run_predict},
      {"eval-model", run_eval_model},
  };
  try {
    auto it = kCommands.find(command);
    if (it == kCommands.end()) {
      copy_error(std::string("the training plugin has no command '") + command + "'", error,
                 error_size);
      return 2;
    }
    return it->second(*options);
  } catch (const jointnlu::train::RecipeError& e) {
    // The field as the user gave it: a flag, or a key of a recipe file (named in the message).
    copy_error(e.source().empty() ? flag_name(e.field()) + ": " + e.problem() : e.what(), error,
               error_size);
  } catch (const std::exception& e) {
    copy_error(e.what(), error, error_size);
  } catch (...) {
    copy_error("unknown error in the training plugin", error, error_size);
  }
  return 1;
}
