// The one configuration file of `jointnlu pipeline` (JSON), and how it maps onto the commands'
// options. Every key is optional; an unknown key is an error (a typo must not be ignored).
//
//   {"teacher": {"size": "", "epochs": 30, "lr": 0, "batch_size": 32, "weights": "1,1,2",
//                "class_weights": "none", "patience": 5, "max_length": 64,
//                "position_init": "sinusoidal", "encoder_dropout": -1, "classifier_pooling": "cls"},
//    "student": {"hidden_size": 128, "layers": 1, "pooling": "max", "embed_init": "random",
//                "epochs": 30, "lr": 0, "batch_size": 32, "weights": "1,1,2",
//                "class_weights": "none", "patience": 5, "alpha": 0.5, "temperature": 2,
//                "kd_loss": "kl", "augment": 4, "generators": "substitute,mask,ngram",
//                "gazetteers": ""},
//    "seed": 42, "threads": 0, "bench": true, "examples": ["播放周杰伦的稻香"]}
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "options.h"

namespace jointnlu::cli {

struct PipelineConfig {
  nlohmann::json teacher = nlohmann::json::object();  // keys as above, defaults filled in
  nlohmann::json student = nlohmann::json::object();
  std::uint64_t seed = 42;
  int threads = 0;
  bool bench = true;                  // run the speed benchmark stage
  std::vector<std::string> examples;  // sentences parsed and printed at the end

  // Defaults for an empty path. Throws std::invalid_argument naming the file and key.
  static PipelineConfig load(const std::string& path);
  nlohmann::json to_json() const;
  // The base options with this configuration's settings applied.
  Options teacher_options(const Options& base) const;
  Options student_options(const Options& base) const;
};

}  // namespace jointnlu::cli
