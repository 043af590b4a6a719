// The libtorch environment: which BLAS it runs on and how many threads it uses.
#pragma once

#include <string>

namespace jointnlu::train {

struct BlasInfo {
  std::string library;   // resolved path of the loaded BLAS shared object ("" if none was found)
  bool openblas = false;  // the fast one; the reference BLAS is ~8x slower for our models
  double sgemm_gflops = 0.0;  // measured with a 512x512x512 torch::mm
};

// Runs a small matrix product (so that the BLAS is loaded) and inspects the process's shared objects.
BlasInfo inspect_blas();

// Sets libtorch's intra-op threads; n <= 0 means all cores. Returns the count in effect.
int configure_threads(int n);

}  // namespace jointnlu::train
