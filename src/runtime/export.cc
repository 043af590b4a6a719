#include "runtime/export.h"

#include <filesystem>
#include <map>
#include <vector>

#include "core/file_io.h"
#include "core/model_directory.h"
#include "core/safetensors.h"
#include "runtime/kernels.h"
#include "runtime/model_lexicon.h"
#include "runtime/model_tensors.h"

namespace jointnlu::runtime {

ExportReport export_student(const std::string& dir, const std::string& out, bool int8,
                            const std::vector<LexiconCategory>& lexicon_additions) {
  const ModelDirectory d(dir, "student directory");
  const std::string config_path = d.config_path();
  const std::string config_text = read_file(config_path);
  const StudentSpec config =
      parse_student_config(parse_config_text(config_text, config_path), config_path);
  // Validates the vocabulary now rather than at the first load of the export.
  (void)d.tokenizer(config.tokenizer, config.vocab_size);
  const std::string vocab_text = read_file(d.path("vocab.txt"));
  const SafetensorsFile file = SafetensorsFile::open(d.weights_path());
  const auto specs = student_tensors(config);
  check_tensors(file, specs, /*int8=*/false);

  ExportReport report;
  // Owned buffers must outlive the write: deque-like stable storage via vectors of vectors.
  std::vector<std::vector<float>> floats;
  std::vector<std::vector<std::int8_t>> ints;
  floats.reserve(2 * specs.size());
  ints.reserve(specs.size());
  std::vector<TensorToWrite> tensors;
  for (const auto& spec : specs) {
    floats.push_back(file.to_floats(spec.name, spec.shape));
    const std::vector<float>& w = floats.back();
    const std::size_t bytes = w.size() * sizeof(float);
    if (spec.quantizable) report.matrix_fp32_bytes += bytes;
    if (!int8 || !spec.quantizable) {
      tensors.push_back({spec.name, DType::kF32, spec.shape, w.data(), bytes});
      if (spec.quantizable) report.matrix_written_bytes += bytes;
      continue;
    }
    const auto rows = static_cast<std::size_t>(spec.shape[0]);
    const auto cols = static_cast<std::size_t>(spec.shape[1]);
    ints.emplace_back(rows * cols);
    floats.emplace_back(rows);
    try {
      quantize_weights(w, rows, cols, ints.back(), floats.back());
    } catch (const std::invalid_argument& e) {
      throw ModelError(file.name() + ": tensor '" + spec.name + "': " + e.what());
    }
    tensors.push_back({spec.name, DType::kI8, spec.shape, ints.back().data(), rows * cols});
    tensors.push_back({scale_name(spec.name),
                       DType::kF32,
                       {spec.shape[0]},
                       floats.back().data(),
                       rows * sizeof(float)});
    report.matrix_written_bytes += rows * cols + rows * sizeof(float);
  }
  std::map<std::string, std::string> metadata{{"format", std::string(kFormatName)},
                                              {"format_version", std::string(kFormatVersion)},
                                              {"weights", int8 ? "int8" : "fp32"},
                                              {"config", config_text},
                                              {"vocab", vocab_text}};
  std::string lexicon_image;  // outlives the write
  if (!config.lexicon_categories.empty()) {
    Lexicon lexicon = std::move(*d.lexicon(config.lexicon_categories));
    add_lexicon_entries(lexicon, lexicon_additions, dir);
    lexicon_image = lexicon.image();
    tensors.push_back({std::string(kLexiconImageTensor),
                       DType::kI64,
                       {static_cast<std::int64_t>(lexicon_image.size() / 8)},
                       lexicon_image.data(),
                       lexicon_image.size()});
  } else if (!lexicon_additions.empty()) {
    throw ModelError(config_path +
                     ": the model reads no lexicon; lexicon entries cannot be added to it");
  }
  write_safetensors(out, tensors, metadata);
  report.tensors = tensors.size();
  report.file_bytes = std::filesystem::file_size(out);
  return report;
}

}  // namespace jointnlu::runtime
