// How the runtime checks a student's tensors against its spec (core/student_spec.h), and the names
// an export adds (int8 scales, the lexicon image).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/safetensors.h"
#include "core/student_spec.h"

namespace jointnlu::runtime {

// The runtime's model errors are the core's (core/error.h).
using jointnlu::ModelError;

// The export's metadata key holding the lexicon's entries as "category<TAB>entry" lines (a
// directory holds them in core/joint_section.h's kLexiconFile).
inline constexpr std::string_view kLexiconMetadata = "lexicon";
// The tensor of an export (format_version 2) that holds the lexicon as Lexicon::image() bytes:
// I64 [bytes / 8], copied at load instead of building the trie. Version 1 exports held the
// entries as text in the kLexiconMetadata metadata instead, and still load.
inline constexpr std::string_view kLexiconImageTensor = "lexicon.image";

// Name of the per-row scale tensor of an int8 matrix.
inline std::string scale_name(const std::string& tensor) { return tensor + ".scale"; }

// Checks that `file` holds exactly the tensors of `specs`: F32 with the given shapes, except that
// with int8 a quantizable matrix is I8 with the same shape plus NAME.scale F32 [rows]. Throws
// ModelError naming the file and the first missing, unexpected, mistyped or mis-shaped tensor
// with what was expected and what was found.
void check_tensors(const SafetensorsFile& file, const std::vector<TensorSpec>& specs, bool int8,
                   bool lexicon_image = false);

}  // namespace jointnlu::runtime
