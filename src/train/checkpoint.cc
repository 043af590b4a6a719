#include "train/checkpoint.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "core/file_io.h"
#include "core/safetensors.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;

torch::ScalarType to_torch(DType d) {
  switch (d) {
    case DType::kF64:
      return torch::kFloat64;
    case DType::kF32:
      return torch::kFloat32;
    case DType::kF16:
      return torch::kFloat16;
    case DType::kBF16:
      return torch::kBFloat16;
    case DType::kI64:
      return torch::kInt64;
    case DType::kI32:
      return torch::kInt32;
    case DType::kI16:
      return torch::kInt16;
    case DType::kI8:
      return torch::kInt8;
    case DType::kU8:
      return torch::kUInt8;
    case DType::kBool:
      return torch::kBool;
  }
  throw std::logic_error("unknown dtype");
}

DType from_torch(torch::ScalarType t, const std::string& name) {
  switch (t) {
    case torch::kFloat64:
      return DType::kF64;
    case torch::kFloat32:
      return DType::kF32;
    case torch::kFloat16:
      return DType::kF16;
    case torch::kBFloat16:
      return DType::kBF16;
    case torch::kInt64:
      return DType::kI64;
    case torch::kInt32:
      return DType::kI32;
    case torch::kInt16:
      return DType::kI16;
    case torch::kInt8:
      return DType::kI8;
    case torch::kUInt8:
      return DType::kU8;
    case torch::kBool:
      return DType::kBool;
    default:
      throw std::invalid_argument("tensor '" + name + "': dtype " + std::string(c10::toString(t)) +
                                  " cannot be stored in safetensors");
  }
}

}  // namespace

namespace {

StateDict tensors_of(const SafetensorsFile& file, std::map<std::string, std::string>* metadata) {
  if (metadata) *metadata = file.metadata();
  StateDict out;
  for (const auto& name : file.names()) {
    const auto& info = file.get(name);
    const auto bytes = file.tensor_bytes(info);
    auto t = torch::empty(info.shape, torch::TensorOptions().dtype(to_torch(info.dtype)));
    if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
    out.emplace(name, std::move(t));
  }
  return out;
}

}  // namespace

StateDict read_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  return tensors_of(SafetensorsFile::open(path), metadata);
}

StateDict parse_safetensors(std::string bytes, const std::string& name,
                            std::map<std::string, std::string>* metadata) {
  return tensors_of(SafetensorsFile::from_bytes(std::move(bytes), name), metadata);
}

void write_safetensors(const std::string& path, const StateDict& state,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> keep;  // contiguous CPU copies must outlive the write
  std::vector<TensorToWrite> tensors;
  keep.reserve(state.size());
  tensors.reserve(state.size());
  for (const auto& [name, tensor] : state) {
    keep.push_back(tensor.detach().to(torch::kCPU).contiguous());
    const auto& t = keep.back();
    tensors.push_back(TensorToWrite{name, from_torch(t.scalar_type(), name),
                                    std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end()),
                                    t.data_ptr(),
                                    static_cast<std::size_t>(t.numel()) * t.element_size()});
  }
  jointnlu::write_safetensors(path, tensors, metadata);
}

bool recover_checkpoint_dir(const std::string& dir) {
  const fs::path target = fs::absolute(dir);
  std::error_code ec;
  if (fs::exists(target, ec) || !target.has_parent_path()) return false;
  const std::string prefix = target.filename().string() + ".old-";
  fs::path newest;
  fs::file_time_type newest_time;
  for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !entry.is_directory()) continue;
    const auto time = fs::last_write_time(entry.path(), ec);
    if (newest.empty() || time > newest_time) {
      newest = entry.path();
      newest_time = time;
    }
  }
  if (newest.empty()) return false;
  fs::rename(newest, target);
  fsync_directory(target.parent_path().string());
  spdlog::warn("{}: recovered the last complete checkpoint from {} (a write was interrupted)",
               target.string(), newest.filename().string());
  return true;
}

void write_checkpoint_dir(const std::string& dir, const CheckpointContents& contents) {
  const fs::path target = fs::absolute(dir);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  recover_checkpoint_dir(dir);
  remove_stale_temporaries(target.string());  // DIR.tmp-PID of killed writers
  const fs::path tmp = target.string() + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    for (const auto& [name, content] : contents.files)
      write_file_atomic((tmp / name).string(), content);
    write_safetensors((tmp / contents.tensors_file).string(), contents.tensors, contents.metadata);
    for (const auto& [name, tensors] : contents.extra_tensor_files)
      write_safetensors((tmp / name).string(), tensors);
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
  // Swap: the old directory is moved aside first, so a crash in between leaves DIR.old-PID, not a
  // mix.
  const fs::path old = target.string() + ".old-" + std::to_string(::getpid());
  const bool had_old = fs::exists(target);
  if (had_old) fs::rename(target, old);
  fs::rename(tmp, target);
  fsync_directory(target.parent_path().string());
  if (had_old) fs::remove_all(old);
}

}  // namespace jointnlu::train
