// The libtorch environment: which BLAS it runs on and how many threads it uses.
#pragma once

#include <torch/types.h>

#include <string>

namespace jointnlu::train {

struct BlasInfo {
  std::string library;    // resolved path of the loaded BLAS shared object ("" if none was found)
  bool openblas = false;  // the fast one; the reference BLAS is ~8x slower for our models
  double sgemm_gflops = 0.0;  // measured with a 512x512x512 torch::mm
};

// Runs a small matrix product (so that the BLAS is loaded) and inspects the process's shared
// objects.
BlasInfo inspect_blas();

// Sets libtorch's intra-op threads and, when the BLAS is OpenBLAS, its own pool too (libtorch does
// not); n <= 0 means all cores. Returns libtorch's count in effect.
int configure_threads(int n);

// OpenBLAS's thread count (openblas_get_num_threads), or -1 when the loaded BLAS is not OpenBLAS.
int blas_threads();

// The compute device for training: "cpu", "cuda" or "cuda:N". Throws std::invalid_argument for
// any other name, and when a GPU is asked for but this libtorch was built without CUDA or sees
// none (a CPU-only build is the default: CPU users never depend on a GPU).
torch::Device resolve_device(const std::string& name);

}  // namespace jointnlu::train
