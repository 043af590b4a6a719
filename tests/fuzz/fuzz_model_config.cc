// libFuzzer target: a student config.json as text, then the tensor list it implies. Sizes must be
// bounded before anything is allocated (issue 21: "num_layers": 1000000000 once hung the loader).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/student_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = jointnlu::parse_student_config(
        jointnlu::parse_config_text(text, "fuzz/config.json"), "fuzz/config.json");
    const auto tensors = jointnlu::student_tensors(config);
    if (tensors.empty()) __builtin_trap();  // a valid config names at least the embeddings
  } catch (const std::exception&) {
  }
  (void)jointnlu::is_student_config(nlohmann::json::parse(text, nullptr, false));
  return 0;
}
