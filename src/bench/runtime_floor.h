// The runtime student's floor: the time its arithmetic and weight traffic need at the speeds this
// machine measurably reaches (the runtime's own GEMMs on cache-resident operands, and the read
// bandwidth over a buffer as large as the matrix the model re-reads at every step).
#pragma once

#include <cstddef>

#include "runtime/model_tensors.h"

namespace jointnlu::bench {

struct MachineSpeed {
  double f32_flops = 0, int8_ops = 0, bytes_per_s = 0;
};
// Best-of timings (a floor wants the speed the hardware can give, not an average over
// interruptions); the read bandwidth over `working_set_bytes`.
MachineSpeed measure_machine(std::size_t working_set_bytes);

// FLOPs and weight bytes touched by one utterance of `tokens` tokens through the runtime student.
// Each input projection W_ih needs reading once (one product over all time steps), but every
// recurrent step needs all of W_hh again: at H = 128 one direction's W_hh is 256 KB fp32 (64 KB
// int8), too big for L1, so it streams from L2 at each of the tokens - 1 steps. That stream, not
// the arithmetic, is what bounds a batch-1 BiLSTM.
struct Cost {
  double flops = 0, bytes = 0, working_set = 0;
};
Cost student_cost(const StudentSpec& c, double tokens, double weight_width);

}  // namespace jointnlu::bench
