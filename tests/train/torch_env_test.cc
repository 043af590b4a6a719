#include "train/torch_env.h"

#include <gtest/gtest.h>

namespace jointnlu::train {
namespace {

TEST(TorchEnv, ThreadCountAlsoReachesOpenBlas) {
  const BlasInfo blas = inspect_blas();  // loads the BLAS
  if (!blas.openblas) GTEST_SKIP() << "BLAS is not OpenBLAS: " << blas.library;
  // OpenBLAS sizes its pool to the cores when it loads; --threads 1 must shrink it, or its idle
  // workers spin in sched_yield beside the training thread.
  EXPECT_EQ(configure_threads(1), 1);
  EXPECT_EQ(blas_threads(), 1);
  EXPECT_EQ(configure_threads(2), 2);
  EXPECT_EQ(blas_threads(), 2);
  configure_threads(1);
}

}  // namespace
}  // namespace jointnlu::train
