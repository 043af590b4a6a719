// The one configuration file of `jointnlu pipeline` (JSON): a teacher recipe and a student recipe
// (src/train/recipes; any of their fields, under the same names) and the pipeline's own settings.
// Every key is optional; an unknown key is an error (a typo must not be ignored).
//
//   {"teacher": {"epochs": 30, "lr": 0, "classifier_pooling": "cls", ...},
//    "student": {"hidden_size": 128, "augment": 4, "temperature": 2, ...},
//    "seed": 42, "threads": 0, "bench": true, "examples": ["播放周杰伦的稻香"]}
//
// The data, output and init come from the command's flags; seed and threads apply to both stages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "options.h"

namespace jointnlu::cli {

struct PipelineConfig {
  train::TeacherRecipe teacher;
  train::StudentRecipe student = pipeline_student();
  std::uint64_t seed = 42;
  int threads = 0;
  bool bench = true;                  // run the speed benchmark stage
  std::vector<std::string> examples;  // sentences parsed and printed at the end

  // Defaults for an empty path. Throws std::invalid_argument naming the file and key.
  static PipelineConfig load(const std::string& path);
  nlohmann::json to_json() const;
  // The recipes with the command's data flags, this configuration's seed and threads, and the
  // stage's directories applied.
  train::TeacherRecipe teacher_recipe(const Options& base, const std::string& out) const;
  train::StudentRecipe student_recipe(const Options& base, const std::string& teacher,
                                      const std::string& out) const;

 private:
  // The pipeline distils with augmentation: 4 variants per utterance (distill alone: none).
  static train::StudentRecipe pipeline_student() {
    train::StudentRecipe s;
    s.augment = 4;
    return s;
  }
};

}  // namespace jointnlu::cli
