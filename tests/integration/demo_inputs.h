// The bundled demo data as the CLI tests feed it to the binary.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace jointnlu::testing {

inline std::string demo(const std::string& split) {
  return source_path("data/demo/" + split + ".json");
}

// The first 96 training utterances: enough to exercise every path, small enough to train the tiny
// presets for an epoch or two in seconds. (The figures are those of an untrained model; accuracy
// is bench/'s job.)
inline std::string small_train(const TempDir& tmp) {
  auto all = nlohmann::json::parse(std::ifstream(demo("train")));
  all.erase(all.begin() + 96, all.end());
  return tmp.write("train.json", all.dump());
}

}  // namespace jointnlu::testing
