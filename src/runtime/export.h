// `jointnlu export`: a student checkpoint directory to ONE self-contained safetensors file that the
// runtime memory-maps. The tensors keep their checkpoint names; __metadata__ carries what the
// directory's other files held:
//   "format": "jointnlu-runtime", "format_version": "2", "weights": "fp32" | "int8",
//   "config": the config.json text, "vocab": the vocab.txt text. A model with a lexicon carries its
//   entries (the directory's lexicon.tsv plus any additions) as the tensor "lexicon.image" (I64,
//   Lexicon::image(): the prebuilt trie, loaded by a copy instead of a build), so the file stays
//   self-contained. Version 1 files, which held the entries as text in the "lexicon" metadata,
//   still load.
//
// int8: every quantizable matrix (core/student_spec.h: the embedding table, the LSTM W_ih and W_hh,
// the attention projection, the three heads) becomes NAME as I8 [rows, cols] plus NAME.scale as
// F32 [rows], symmetric per row (q = round(w / scale), scale = max|w_row| / 127, as the kernels'
// pack_int8). Biases and the attention context vector stay F32. The embedding is quantised too:
// it is usually the largest tensor, and a per-row scale is a per-token scale, so each looked-up
// vector is dequantised exactly as stored, with an error bounded by that token's own range.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/lexicon_sources.h"

namespace jointnlu::runtime {

inline constexpr std::string_view kFormatName = "jointnlu-runtime";
inline constexpr std::string_view kFormatVersion = "2";
// The oldest version the loader still reads (version 1: the lexicon as text in the metadata).
inline constexpr std::string_view kOldestFormatVersion = "1";

struct ExportReport {
  std::size_t matrix_fp32_bytes = 0;     // the quantizable matrices as F32
  std::size_t matrix_written_bytes = 0;  // the same matrices as written (I8 + scales for int8)
  std::size_t file_bytes = 0;
  std::size_t tensors = 0;
};

// Reads and validates the directory (config, vocabulary, every tensor), writes `out` atomically.
// `lexicon_additions`: entries added to the model's lexicon categories of the same names (a
// category the model does not have is a ModelError). Throws ModelError / SafetensorsError /
// IoError / DataError.
ExportReport export_student(const std::string& dir, const std::string& out, bool int8,
                            const std::vector<LexiconCategory>& lexicon_additions = {});

}  // namespace jointnlu::runtime
