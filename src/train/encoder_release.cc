#include "train/encoder_release.h"

#include <filesystem>
#include <stdexcept>

#include "core/file_io.h"
#include "core/model_directory.h"
#include "core/safetensors.h"
#include "train/checkpoint.h"
#include "train/joint_albert.h"

namespace jointnlu::train {
namespace {

namespace fs = std::filesystem;

torch::ScalarType scalar_type(ReleaseDType d) {
  switch (d) {
    case ReleaseDType::kF32:
      return torch::kFloat32;
    case ReleaseDType::kF16:
      return torch::kFloat16;
    case ReleaseDType::kBF16:
      return torch::kBFloat16;
  }
  throw std::logic_error("unknown release dtype");
}

}  // namespace

ReleaseDType parse_release_dtype(const std::string& name) {
  if (name == "f32") return ReleaseDType::kF32;
  if (name == "f16") return ReleaseDType::kF16;
  if (name == "bf16") return ReleaseDType::kBF16;
  throw std::invalid_argument("release dtype '" + name + "': expected f32, f16 or bf16");
}

ReleaseSummary write_encoder_release(const std::string& source_dir, const std::string& out_dir,
                                     ReleaseDType dtype) {
  const PretrainedEncoder source = read_pretrained(source_dir);
  // Under the prefix fine-tuning loads ("albert."), whichever the source used.
  StateDict tensors = encoder_tensors_under(source.tensors, "albert.");
  if (tensors.empty())
    throw CheckpointError(source_dir +
                          "/model.safetensors: no encoder tensors (one set of embeddings.* / "
                          "encoder.*, under any prefix)");
  ReleaseSummary summary;
  for (auto& [name, t] : tensors) {
    if (t.is_floating_point()) {
      auto stored = t.to(scalar_type(dtype));
      summary.max_abs_rounding =
          std::max(summary.max_abs_rounding,
                   (stored.to(torch::kFloat64) - t.to(torch::kFloat64)).abs().max().item<double>());
      t = stored;
    }
    ++summary.tensors;
    summary.parameters += t.numel();
  }
  CheckpointContents c;
  auto config = source.config.to_json();
  config["architectures"] = {"AlbertModel"};
  c.files["config.json"] = config.dump(2) + "\n";
  c.files["vocab.txt"] = source.tokenizer.vocab_text();
  c.files["tokenizer_config.json"] = hf_tokenizer_config(source.tokenizer.options()).dump(2) + "\n";
  c.tensors = std::move(tensors);
  c.metadata["format"] = "pt";
  const auto source_metadata =
      SafetensorsFile::open((fs::path(source_dir) / "model.safetensors").string()).metadata();
  if (auto it = source_metadata.find("step"); it != source_metadata.end())
    c.metadata["source_step"] = it->second;
  write_checkpoint_dir(out_dir, c);
  summary.bytes = static_cast<std::int64_t>(fs::file_size(fs::path(out_dir) / "model.safetensors"));
  return summary;
}

}  // namespace jointnlu::train
