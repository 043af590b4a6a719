// The bundled demo dataset (data/demo/*.json), compiled in.
#pragma once

namespace jointnlu::cli {

extern const char* const kDemoTrain;
extern const char* const kDemoDev;
extern const char* const kDemoTest;

}  // namespace jointnlu::cli
