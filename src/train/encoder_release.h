// Releasing a pretrained encoder: the part of a pretraining run that fine-tuning needs, small
// enough to ship in the repository (models/zh-tiny) or hand to a user.
//
// The release directory is a Hugging Face ALBERT checkpoint: config.json (architectures
// AlbertModel), vocab.txt, tokenizer_config.json and model.safetensors holding the encoder's
// albert.* tensors only (the masked-LM and SOP heads, the optimizer and the trainer state are
// left behind), floating-point tensors stored as F16, BF16 or F32. Loaders widen them back to F32
// (load_pretrained converts dtypes), so a release trains exactly like its source up to rounding.
#pragma once

#include <cstdint>
#include <string>

namespace jointnlu::train {

// How the released floating-point tensors are stored.
enum class ReleaseDType { kF32, kF16, kBF16 };

// "f32" | "f16" | "bf16"; throws std::invalid_argument naming the accepted values.
ReleaseDType parse_release_dtype(const std::string& name);

struct ReleaseSummary {
  std::int64_t tensors = 0;     // tensors written
  std::int64_t parameters = 0;  // their elements
  std::int64_t bytes = 0;       // size of model.safetensors
  double max_abs_rounding = 0;  // largest |stored - original| over all elements
};

// Reads the pretraining checkpoint (or any ALBERT checkpoint directory) in `source_dir` and writes
// the release to `out_dir` atomically. `source_step` goes into the safetensors metadata. Throws
// IoError / CheckpointError / std::invalid_argument with the path on unusable input, and when the
// source holds no encoder tensors.
ReleaseSummary write_encoder_release(const std::string& source_dir, const std::string& out_dir,
                                     ReleaseDType dtype);

}  // namespace jointnlu::train
