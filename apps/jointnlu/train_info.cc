// `jointnlu info`: versions and the compute environment (is libtorch on OpenBLAS?).
#include <torch/torch.h>

#include <iostream>

#include "train/torch_env.h"
#include "train_commands.h"

namespace jointnlu::cli {

int run_info(const Options& o) {
  train::configure_threads(o.threads);
  const auto blas = train::inspect_blas();
  std::cout << "jointnlu        " << JOINTNLU_VERSION << "\n"
            << "libtorch        " << TORCH_VERSION << "\n"
            << "threads         " << torch::get_num_threads() << "\n"
            << "blas            " << (blas.library.empty() ? "(none found)" : blas.library) << "\n"
            << "openblas        " << (blas.openblas ? "yes" : "NO (reference BLAS: ~8x slower)")
            << "\n"
            << "sgemm GFLOP/s   " << blas.sgemm_gflops << "\n";
  return blas.openblas ? 0 : 4;
}

}  // namespace jointnlu::cli
