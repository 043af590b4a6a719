// libFuzzer target: a student config.json as text, then the tensor list it implies. Sizes must be
// bounded before anything is allocated (issue 21: "num_layers": 1000000000 once hung the loader).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "runtime/student_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = jointnlu::runtime::parse_student_config(text, "fuzz/config.json");
    const auto tensors = jointnlu::runtime::student_tensors(config);
    if (tensors.empty()) __builtin_trap();  // a valid config names at least the embeddings
  } catch (const std::exception&) {
  }
  (void)jointnlu::runtime::is_student_config(text);
  return 0;
}
