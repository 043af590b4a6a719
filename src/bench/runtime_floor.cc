#include "bench/runtime_floor.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "runtime/kernels.h"
#include "runtime/student_model.h"

namespace jointnlu::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The best rate of many short timed rounds of round() (each doing `work` units) over `seconds`: a
// floor wants the speed the hardware can give, not the average over interruptions (on a shared
// 2-vCPU VM the average of one 0.2 s run moved the floor by up to 40% between runs).
template <typename Round>
double best_rate(double work, double seconds, Round&& round) {
  double best = 0;
  const auto start = Clock::now();
  do {
    const auto t0 = Clock::now();
    round();
    best = std::max(best, work / seconds_since(t0));
  } while (seconds_since(start) < seconds);
  return best;
}

}  // namespace

MachineSpeed measure_machine(std::size_t working_set_bytes) {
  MachineSpeed s;
  const std::size_t n = 256, k = 256, m = 32;
  std::vector<float> w(n * k), x(m * k), y(m * n);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 7) * 0.01f;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) * 0.1f;
  const auto& kern = runtime::kernels();
  const auto pf = runtime::PackedMatrix::pack_f32(w, n, k);
  const auto pq = runtime::PackedMatrix::pack_int8(w, n, k);
  runtime::QuantizedActivations qx(m, k);
  kern.quantize_rows(x.data(), m, k, qx);
  constexpr int kCalls = 20;  // per round
  const double ops = 2.0 * static_cast<double>(m * n * k) * kCalls;
  s.f32_flops = best_rate(ops, 0.3, [&] {
    for (int r = 0; r < kCalls; ++r) kern.gemm_f32(pf, x.data(), m, nullptr, y.data(), false);
  });
  s.int8_ops = best_rate(ops, 0.3, [&] {
    for (int r = 0; r < kCalls; ++r) kern.gemm_int8(pq, qx, nullptr, y.data(), false);
  });
  const std::size_t bytes = std::max<std::size_t>((working_set_bytes + 255) / 256 * 256, 4096);
  const runtime::AlignedBytes buffer = runtime::allocate_aligned(bytes);
  volatile std::uint64_t sink = 0;
  const std::size_t passes = std::max<std::size_t>(1, (1u << 20) / bytes);
  const auto read_all = [&] {
    for (std::size_t i = 0; i < passes; ++i) sink = sink + kern.read_bytes(buffer.get(), bytes);
  };
  read_all();  // warm: the buffer should sit wherever the model's matrix would
  s.bytes_per_s = best_rate(static_cast<double>(bytes * passes), 0.2, read_all);
  return s;
}

Cost student_cost(const StudentSpec& c, double tokens, double weight_width) {
  Cost cost;
  const double h = static_cast<double>(c.hidden_size), e = static_cast<double>(c.embedding_size);
  const double tags = static_cast<double>(c.labels.tags().size());
  const double classes = static_cast<double>(c.labels.domains().size() + c.labels.intents().size());
  const double steps = std::max(0.0, tokens - 1);
  for (std::size_t l = 0; l < c.num_layers; ++l) {
    const double in = l == 0 ? e : 2 * h;
    cost.flops += 2 * (2 * tokens * 4 * h * in + 2 * steps * 4 * h * h);
    cost.bytes += 2 * (4 * h * in + steps * 4 * h * h) * weight_width;
    cost.working_set = std::max(cost.working_set, 4 * h * h * weight_width);
  }
  if (c.pooling == Pooling::kAttention) {
    const double a = static_cast<double>(c.attention_size);
    cost.flops += 2 * tokens * a * 2 * h + 2 * tokens * a;
    cost.bytes += a * 2 * h * weight_width;
  }
  cost.flops += 2 * classes * 2 * h + 2 * tokens * tags * 2 * h;
  cost.bytes += (classes + tags) * 2 * h * weight_width + tokens * e * weight_width;
  return cost;
}

}  // namespace jointnlu::bench
