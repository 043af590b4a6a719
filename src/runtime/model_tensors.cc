#include "runtime/model_tensors.h"

#include <map>

namespace jointnlu::runtime {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& reason) {
  throw ModelError(source + ": " + reason);
}

}  // namespace

void check_tensors(const SafetensorsFile& file, const std::vector<TensorSpec>& specs, bool int8,
                   bool lexicon_image) {
  struct Expected {
    DType dtype;
    std::vector<std::int64_t> shape;
  };
  std::map<std::string, Expected, std::less<>> expected;
  for (const auto& spec : specs) {
    if (int8 && spec.quantizable) {
      expected[spec.name] = {DType::kI8, spec.shape};
      expected[scale_name(spec.name)] = {DType::kF32, {spec.shape[0]}};
    } else {
      expected[spec.name] = {DType::kF32, spec.shape};
    }
  }
  const auto describe = [](DType dtype, const std::vector<std::int64_t>& shape) {
    return std::string(dtype_name(dtype)) + " " + shape_to_string(shape);
  };
  if (lexicon_image) {
    const TensorInfo* info = file.find(kLexiconImageTensor);
    if (!info)
      fail(file.name(), "missing tensor '" + std::string(kLexiconImageTensor) + "' (I64 [n])");
    if (info->dtype != DType::kI64 || info->shape.size() != 1)
      fail(file.name(), "tensor '" + std::string(kLexiconImageTensor) +
                            "': expected I64 [n], found " + describe(info->dtype, info->shape));
  }
  for (const auto& name : file.names())
    if (!expected.count(name) && !(lexicon_image && name == kLexiconImageTensor))
      fail(file.name(), "unexpected tensor '" + name + "': not part of this architecture");
  for (const auto& [name, want] : expected) {
    const TensorInfo* info = file.find(name);
    if (!info)
      fail(file.name(), "missing tensor '" + name + "' (" + describe(want.dtype, want.shape) + ")");
    if (info->dtype != want.dtype || info->shape != want.shape)
      fail(file.name(), "tensor '" + name + "': expected " + describe(want.dtype, want.shape) +
                            ", found " + describe(info->dtype, info->shape));
  }
}

}  // namespace jointnlu::runtime
