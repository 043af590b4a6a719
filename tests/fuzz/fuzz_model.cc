// libFuzzer target: a model file as `jointnlu predict/serve` would load it (safetensors header,
// metadata, config, tensors, lexicon image), then one parse if it loads. Anything may be thrown
// as jointnlu::Error; a crash, a leak, UB or a hang is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/file_io.h"
#include "jointnlu/jointnlu.h"

namespace {
std::string scratch_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/fuzz_model_" + std::to_string(::getpid()) +
         ".safetensors";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = scratch_path();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    jointnlu::ParserOptions options;
    options.max_chars = 64;
    const auto parser = jointnlu::Parser::open(path, options);
    (void)parser.parse("播放周杰伦的稻香");
    (void)parser.parse_batch({"打开微信", "明天北京天气怎么样"});
  } catch (const jointnlu::Error&) {
  }
  return 0;
}
