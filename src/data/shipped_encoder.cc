#include "data/shipped_encoder.h"

#include <unistd.h>

#include <filesystem>
#include <vector>

namespace jointnlu {

namespace fs = std::filesystem;

ShippedEncoder find_shipped_encoder() {
  constexpr const char* kName = "zh-tiny";
  std::vector<fs::path> candidates;
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0)
    candidates.push_back(
        fs::path(std::string(exe, static_cast<std::size_t>(n))).parent_path().parent_path() /
        "models" / kName);
#ifdef JOINTNLU_MODELS_DIR
  candidates.push_back(fs::path(JOINTNLU_MODELS_DIR) / kName);
#endif
  std::string problem;
  for (const auto& c : candidates) {
    if (!fs::exists(c / "model.safetensors")) continue;
    if (fs::exists(c / "vocab.txt")) return {c.string(), ""};
    // The weights are there but not the vocabulary: say how to make it.
    return {"", (c / "vocab.txt").string() +
                    " is missing: scripts/setup.sh makes it from ../shared/corpus/zh and "
                    "../shared/data/smp2019/train.json (see " +
                    (c / "MODEL.md").string() + ")"};
  }
  for (const auto& c : candidates) problem += (problem.empty() ? "" : ", ") + c.string();
  return {"", "the shipped encoder " + std::string(kName) + " is not there (looked in " + problem +
                  ")"};
}

}  // namespace jointnlu
