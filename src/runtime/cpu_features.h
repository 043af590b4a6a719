// CPU feature detection and the choice of kernel instruction set.
//
// The runtime library is compiled for baseline x86-64; the AVX2 and AVX-512 kernels live in their
// own translation units compiled with per-file -m flags and are only called after cpu_features()
// has said the CPU (and the OS, via XCR0) supports them.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace jointnlu::runtime {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
};

// Detected once (thread-safe static) and cached.
const CpuFeatures& cpu_features();

// Kernel paths, in increasing order of preference.
//   kScalar: portable C++ (the compiler may still use SSE2, the x86-64 baseline).
//   kAvx2:   AVX2 + FMA (int8 via vpmaddubsw with the sign trick).
//   kAvx512: AVX-512F/BW/VL + VNNI (int8 via vpdpbusd). A CPU with AVX-512 but without VNNI
//            (Skylake-SP) gets kAvx2: one AVX-512 level keeps the dispatch and the tests small, and
//            such a CPU gains little from 512-bit fp32 on these memory-bound shapes.
enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

const char* isa_name(Isa isa);
// "scalar" | "avx2" | "avx512" (case-sensitive); nullopt otherwise.
std::optional<Isa> parse_isa(std::string_view name);

bool isa_supported(Isa isa);
// The best path this CPU supports.
Isa best_isa();
// Every supported path, scalar first (what the tests iterate over).
std::vector<Isa> supported_isas();

// What JOINTNLU_ISA=requested selects (requested may be null or empty: best_isa()); active_isa() is
// resolve_isa(getenv("JOINTNLU_ISA")), computed once.
Isa resolve_isa(const char* requested);

// The path the kernels use: best_isa(), or JOINTNLU_ISA=scalar|avx2|avx512 when set. A request the
// CPU cannot run is lowered to best_isa() and an unknown value is ignored, each with a one-line
// warning on stderr (computed once, so the kernels never throw or log).
Isa active_isa();

}  // namespace jointnlu::runtime
