// The encoder the repository ships (models/zh-tiny, card in MODEL.md): train-teacher's default init
// (TeacherRecipe::init). Its weights are committed; its vocab.txt is not (it is a file of
// ../shared's pretrained encoder, which the project never copies in) and scripts/setup.sh recreates
// it from the corpus with `jointnlu vocab`, checked against models/zh-tiny/vocab.sha256.
#pragma once

#include <string>

namespace jointnlu {

struct ShippedEncoder {
  std::string dir;      // the usable encoder directory; empty when there is none
  std::string problem;  // why there is none (paths looked at, what is missing)
};

// Looks beside the binary (<bin>/../models/zh-tiny, a copied tree) and then in the source tree the
// binary was built from (JOINTNLU_MODELS_DIR).
ShippedEncoder find_shipped_encoder();

}  // namespace jointnlu
