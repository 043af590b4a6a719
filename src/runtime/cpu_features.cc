#include "runtime/cpu_features.h"

#include <cstdio>
#include <cstdlib>

namespace jointnlu::runtime {

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    // libgcc's __builtin_cpu_supports also checks XCR0, so a feature is reported only when the OS
    // saves the corresponding register state.
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2");
    f.fma = __builtin_cpu_supports("fma");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    f.avx512vl = __builtin_cpu_supports("avx512vl");
    f.avx512vnni = __builtin_cpu_supports("avx512vnni");
#endif
    return f;
  }();
  return features;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<Isa> parse_isa(std::string_view name) {
  if (name == "scalar") return Isa::kScalar;
  if (name == "avx2") return Isa::kAvx2;
  if (name == "avx512") return Isa::kAvx512;
  return std::nullopt;
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return f.avx2 && f.fma;
    case Isa::kAvx512:
      return f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
  }
  return false;
}

Isa best_isa() {
  if (isa_supported(Isa::kAvx512)) return Isa::kAvx512;
  if (isa_supported(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kScalar;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (isa_supported(isa)) isas.push_back(isa);
  }
  return isas;
}

Isa resolve_isa(const char* requested) {
  if (requested == nullptr || *requested == '\0') return best_isa();
  const std::optional<Isa> isa = parse_isa(requested);
  if (!isa) {
    std::fprintf(stderr, "jointnlu: ignoring JOINTNLU_ISA=%s (expected scalar, avx2 or avx512)\n",
                 requested);
    return best_isa();
  }
  if (!isa_supported(*isa)) {
    std::fprintf(stderr, "jointnlu: JOINTNLU_ISA=%s is not supported by this CPU; using %s\n",
                 requested, isa_name(best_isa()));
    return best_isa();
  }
  return *isa;
}

Isa active_isa() {
  static const Isa active = resolve_isa(std::getenv("JOINTNLU_ISA"));
  return active;
}

}  // namespace jointnlu::runtime
