// Microbenchmarks of the runtime kernels (src/runtime/kernels.h), one set per supported path
// (JOINTNLU_ISA=scalar|avx2|avx512 restricts to one).
//
// Before the benchmarks run, the machine's floors are measured rather than assumed: peak fp32 FMA
// and int8 dot-product throughput (long register-resident loops) and read bandwidth for a buffer
// the size of each benchmark's weights (warm, repeated: the cache level those weights really live
// in). Each benchmark reports GFLOP/s (int8: GOP/s, 2 ops per multiply-add) and floor_us = max(ops
// / peak, bytes / bandwidth), the best any kernel could do on this machine.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "runtime/cpu_features.h"
#include "runtime/kernels.h"

namespace rt = jointnlu::runtime;

namespace {

// Thread CPU time, not wall time: the floors must not include time the scheduler gave to other jobs
// on this (shared) machine. Google Benchmark's "CPU" column is the comparable figure.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Peak throughput loops in inline assembly: in C++ the compiler saw through every attempt
// (identical chains merged, all-equal lanes computed as scalars, barriers turned into spills). 16
// (12 for ymm) independent accumulators cover latency x throughput on any current core; registers
// start at zero, so no denormals. Best of 5 runs.
__attribute__((target("avx512f"))) double peak_fp32_avx512(long iters) {
  double best = 1e30;
  for (int run = 0; run < 5; ++run) {
    long n = iters;
    const double t0 = thread_seconds();
    __asm__ volatile(
        "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
        "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
        "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
        "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
        "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
        "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
        "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
        "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
        "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
        "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
        "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
        "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
        "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
        "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
        "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
        "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
        "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
        "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
        "1:\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm0\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm1\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm2\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm3\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm4\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm5\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm6\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm7\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm8\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm9\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm10\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm11\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm12\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm13\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm14\n\t"
        "vfmadd231ps %%zmm16, %%zmm17, %%zmm15\n\t"
        "dec %0\n\t"
        "jnz 1b"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "cc");
    best = std::min(best, thread_seconds() - t0);
  }
  return 2.0 * 16 * 16 * double(iters) / best;
}

__attribute__((target("avx2,fma"))) double peak_fp32_avx2(long iters) {
  double best = 1e30;
  for (int run = 0; run < 5; ++run) {
    long n = iters;
    const double t0 = thread_seconds();
    __asm__ volatile(
        "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
        "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
        "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
        "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
        "vpxor %%ymm4, %%ymm4, %%ymm4\n\t"
        "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
        "vpxor %%ymm6, %%ymm6, %%ymm6\n\t"
        "vpxor %%ymm7, %%ymm7, %%ymm7\n\t"
        "vpxor %%ymm8, %%ymm8, %%ymm8\n\t"
        "vpxor %%ymm9, %%ymm9, %%ymm9\n\t"
        "vpxor %%ymm10, %%ymm10, %%ymm10\n\t"
        "vpxor %%ymm11, %%ymm11, %%ymm11\n\t"
        "vpxor %%ymm12, %%ymm12, %%ymm12\n\t"
        "vpxor %%ymm13, %%ymm13, %%ymm13\n\t"
        "1:\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm0\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm1\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm2\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm3\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm4\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm5\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm6\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm7\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm8\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm9\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm10\n\t"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm11\n\t"
        "dec %0\n\t"
        "jnz 1b"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "cc");
    best = std::min(best, thread_seconds() - t0);
  }
  return 2.0 * 8 * 12 * double(iters) / best;
}

// vpdpbusd: 64 multiply-adds (128 ops) per instruction.
__attribute__((target("avx512f,avx512vnni"))) double peak_int8_vnni(long iters) {
  double best = 1e30;
  for (int run = 0; run < 5; ++run) {
    long n = iters;
    const double t0 = thread_seconds();
    __asm__ volatile(
        "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
        "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
        "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
        "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
        "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
        "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
        "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
        "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
        "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
        "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
        "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
        "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
        "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
        "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
        "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
        "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
        "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
        "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
        "1:\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm0\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm1\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm2\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm3\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm4\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm5\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm6\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm7\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm8\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm9\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm10\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm11\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm12\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm13\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm14\n\t"
        "vpdpbusd %%zmm16, %%zmm17, %%zmm15\n\t"
        "dec %0\n\t"
        "jnz 1b"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "cc");
    best = std::min(best, thread_seconds() - t0);
  }
  return 2.0 * 64 * 16 * double(iters) / best;
}

// Read bandwidth (bytes/s) for a warm buffer of `bytes`, best of 5: 64-byte loads into 8
// independent accumulators, so the loop is bound by the memory hierarchy rather than by load width
// or latency.
__attribute__((target("avx512f"))) double read_bandwidth_avx512(std::size_t bytes) {
  bytes = std::max<std::size_t>(bytes / 512 * 512, 512);
  std::vector<std::uint8_t> buf(bytes + 64, 1);
  const auto* p = reinterpret_cast<const std::uint8_t*>(
      (reinterpret_cast<std::uintptr_t>(buf.data()) + 63) / 64 * 64);
  const int passes = int(std::max<std::size_t>(1, (64u << 20) / bytes));
  double best = 1e30;
  int sink = 0;
  for (int run = 0; run < 5; ++run) {
    __m512i acc[8];
    for (auto& a : acc) a = _mm512_setzero_si512();
    const double t0 = thread_seconds();
    for (int r = 0; r < passes; ++r) {
      for (std::size_t i = 0; i < bytes; i += 512) {
        for (int j = 0; j < 8; ++j) {
          acc[j] = _mm512_add_epi32(acc[j], _mm512_load_si512(p + i + 64 * j));
        }
      }
      __asm__ volatile("" : "+v"(acc[0]));
    }
    best = std::min(best, thread_seconds() - t0);
    for (auto& a : acc) sink += _mm512_reduce_add_epi32(a);
  }
  benchmark::DoNotOptimize(sink);
  return double(bytes) * passes / best;
}

__attribute__((target("avx2"))) double read_bandwidth_avx2(std::size_t bytes) {
  bytes = std::max<std::size_t>(bytes / 128 * 128, 128);
  std::vector<std::uint8_t> buf(bytes + 64, 1);
  const auto* p = reinterpret_cast<const std::uint8_t*>(
      (reinterpret_cast<std::uintptr_t>(buf.data()) + 63) / 64 * 64);
  const int passes = int(std::max<std::size_t>(1, (64u << 20) / bytes));
  double best = 1e30;
  int sink = 0;
  for (int run = 0; run < 5; ++run) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    const double t0 = thread_seconds();
    for (int r = 0; r < passes; ++r) {
      for (std::size_t i = 0; i < bytes; i += 128) {
        a0 = _mm256_add_epi32(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
        a1 = _mm256_add_epi32(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
        a2 = _mm256_add_epi32(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
        a3 = _mm256_add_epi32(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
      }
      __asm__ volatile("" : "+x"(a0));
    }
    best = std::min(best, thread_seconds() - t0);
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
    sink += _mm256_extract_epi32(sum, 0);
  }
  benchmark::DoNotOptimize(sink);
  return double(bytes) * passes / best;
}

double read_bandwidth(std::size_t bytes) {
  return rt::cpu_features().avx512f ? read_bandwidth_avx512(bytes) : read_bandwidth_avx2(bytes);
}

struct Floors {
  double fp32_flops = 0;                    // FLOP/s
  double int8_ops = 0;                      // OP/s
  std::map<std::size_t, double> bandwidth;  // bytes -> bytes/s

  double floor_us(double ops, bool int8, std::size_t bytes) {
    auto it = bandwidth.find(bytes);
    if (it == bandwidth.end()) it = bandwidth.emplace(bytes, read_bandwidth(bytes)).first;
    const double compute = ops / (int8 ? int8_ops : fp32_flops);
    return 1e6 * std::max(compute, double(bytes) / it->second);
  }
};

Floors& floors() {
  static Floors f = [] {
    Floors fl;
    const rt::CpuFeatures& cpu = rt::cpu_features();
    if (cpu.avx512f) {
      fl.fp32_flops = peak_fp32_avx512(20'000'000);
    } else if (cpu.avx2 && cpu.fma) {
      fl.fp32_flops = peak_fp32_avx2(20'000'000);
    } else {
      fl.fp32_flops = 8e9;  // unmeasured guess for SSE2-only machines
    }
    // Without VNNI the int8 peak is taken as 2x fp32 (vpmaddubsw + vpmaddwd + vpaddd per 32 MACs).
    fl.int8_ops = cpu.avx512vnni ? peak_int8_vnni(10'000'000) : 2 * fl.fp32_flops;
    return fl;
  }();
  return f;
}

std::vector<float> random_vector(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void set_counters(benchmark::State& state, double ops, double floor_us, bool int8) {
  state.counters[int8 ? "GOP/s" : "GFLOP/s"] =
      benchmark::Counter(ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["floor_us"] = floor_us;
}

// y[m, N] = x[m, K] . W^T + b, one call (m = 1: matrix-vector, as in the recurrent step).
void bm_linear(benchmark::State& state, rt::Isa isa, rt::WeightType type, std::size_t n,
               std::size_t k, std::size_t m, bool per_row) {
  const rt::Kernels& kern = rt::kernels_for(isa);
  const auto w = random_vector(n * k, 1);
  const auto x = random_vector(m * k, 2);
  const auto bias = random_vector(n, 3);
  const rt::PackedMatrix packed = rt::PackedMatrix::pack(type, w, n, k);
  rt::QuantizedActivations scratch(m, k);
  std::vector<float> y(m * n);
  const bool int8 = type == rt::WeightType::kInt8;
  for (auto _ : state) {
    if (per_row) {
      // The alternative to a GEMM: m independent matrix-vector products.
      for (std::size_t t = 0; t < m; ++t) {
        if (int8) {
          kern.quantize_rows(x.data() + t * k, 1, k, scratch);
          kern.gemm_int8(packed, scratch, bias.data(), y.data() + t * n, false);
        } else {
          kern.gemm_f32(packed, x.data() + t * k, 1, bias.data(), y.data() + t * n, false);
        }
      }
    } else if (int8) {
      kern.quantize_rows(x.data(), m, k, scratch);
      kern.gemm_int8(packed, scratch, bias.data(), y.data(), false);
    } else {
      kern.gemm_f32(packed, x.data(), m, bias.data(), y.data(), false);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double ops = 2.0 * double(n) * double(k) * double(m);
  const std::size_t bytes = packed.bytes() + (m * k + m * n + n) * sizeof(float);
  set_counters(state, ops, floors().floor_us(ops, int8, bytes), int8);
}

void bm_lstm_cell(benchmark::State& state, rt::Isa isa, std::size_t hidden) {
  const rt::Kernels& kern = rt::kernels_for(isa);
  const auto gates = random_vector(4 * hidden, 4);
  std::vector<float> c = random_vector(hidden, 5), h(hidden);
  for (auto _ : state) {
    kern.lstm_cell(gates.data(), c.data(), hidden, c.data(), h.data());
    benchmark::DoNotOptimize(h.data());
    benchmark::ClobberMemory();
  }
  // Not FLOP-bound in any meaningful sense; report elements per second instead.
  state.counters["Melem/s"] =
      benchmark::Counter(double(hidden) * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

void register_all(rt::Isa isa) {
  const std::string tag = rt::isa_name(isa);
  struct Mv {
    std::size_t n, k;
  };
  const Mv matvecs[] = {{256, 64}, {512, 128}, {1024, 256}, {1024, 256}};
  for (rt::WeightType type : {rt::WeightType::kF32, rt::WeightType::kInt8}) {
    const std::string ty = type == rt::WeightType::kF32 ? "f32" : "int8";
    // [4H, H] for H = 64, 128, 256 ([1024, 256] is also the 4H x H of H = 256).
    for (const Mv& s : {matvecs[0], matvecs[1], matvecs[2]}) {
      benchmark::RegisterBenchmark(
          ("matvec_" + ty + "/" + tag + "/" + std::to_string(s.n) + "x" + std::to_string(s.k))
              .c_str(),
          bm_linear, isa, type, s.n, s.k, std::size_t{1}, false)
          ->Unit(benchmark::kMicrosecond);
    }
    // Input projection of an utterance: L = 9, E = 128, 4H = 512.
    benchmark::RegisterBenchmark(("input_proj_" + ty + "/" + tag + "/L9_E128_N512").c_str(),
                                 bm_linear, isa, type, std::size_t{512}, std::size_t{128},
                                 std::size_t{9}, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("input_proj_" + ty + "_per_row/" + tag + "/L9_E128_N512").c_str(),
                                 bm_linear, isa, type, std::size_t{512}, std::size_t{128},
                                 std::size_t{9}, true)
        ->Unit(benchmark::kMicrosecond);
  }
  for (std::size_t hidden : {64, 128, 256}) {
    benchmark::RegisterBenchmark(("lstm_cell/" + tag + "/H" + std::to_string(hidden)).c_str(),
                                 bm_lstm_cell, isa, hidden)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const rt::CpuFeatures& cpu = rt::cpu_features();
  std::printf("cpu: avx2=%d fma=%d avx512f=%d avx512bw=%d avx512vl=%d avx512vnni=%d; best=%s\n",
              cpu.avx2, cpu.fma, cpu.avx512f, cpu.avx512bw, cpu.avx512vl, cpu.avx512vnni,
              rt::isa_name(rt::best_isa()));
  Floors& fl = floors();
  std::printf("measured peak: fp32 %.1f GFLOP/s, int8 %.1f GOP/s (single thread)\n",
              fl.fp32_flops * 1e-9, fl.int8_ops * 1e-9);
  for (std::size_t kb : {16, 64, 256, 1024, 4096}) {
    std::printf("read bandwidth, warm %5zu KiB buffer: %6.1f GB/s\n", kb,
                read_bandwidth(kb * 1024) * 1e-9);
  }
  std::fflush(stdout);
  if (std::getenv("JOINTNLU_ISA") != nullptr) {
    register_all(rt::active_isa());
  } else {
    for (rt::Isa isa : rt::supported_isas()) register_all(isa);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
