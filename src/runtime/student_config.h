// The BiLSTM student as the runtime sees it: its config.json (architecture, labels, tokenizer,
// max_length) and the exact list of tensors that architecture implies, so every loader validates a
// checkpoint against one specification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/label_space.h"
#include "core/safetensors.h"
#include "core/tokenizer.h"

namespace jointnlu::runtime {

// A model file or directory the runtime cannot use: bad config, missing / mis-shaped / mistyped
// tensor, corrupt metadata. what() names the file and, where it applies, the tensor.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view kStudentModelType = "jointnlu-bilstm";

enum class Pooling { kMax, kAttention };

struct StudentConfig {
  std::size_t vocab_size = 0;
  std::size_t embedding_size = 0;
  std::size_t hidden_size = 0;  // per direction
  std::size_t num_layers = 0;
  Pooling pooling = Pooling::kMax;
  std::size_t attention_size = 0;  // only read for attention pooling
  int pad_token_id = 0;
  std::size_t max_length = 64;  // [CLS] and [SEP] included
  TokenizerOptions tokenizer;
  LabelSpace labels;
  // The lexicon's categories in feature order (jointnlu.lexicon.categories); 4 features each
  // (B/M/E/S) are layer 0's input beside the embedding. Empty: no lexicon.
  std::vector<std::string> lexicon_categories;
  std::size_t lexicon_features() const { return 4 * lexicon_categories.size(); }
};

// The file beside config.json (student directory) or the export's metadata key holding the
// lexicon's entries as "category<TAB>entry" lines.
inline constexpr std::string_view kLexiconFile = "lexicon.tsv";
inline constexpr std::string_view kLexiconMetadata = "lexicon";
// The tensor of an export (format_version 2) that holds the lexicon as Lexicon::image() bytes:
// I64 [bytes / 8], copied at load instead of building the trie. Version 1 exports held the
// entries as text in the kLexiconMetadata metadata instead, and still load.
inline constexpr std::string_view kLexiconImageTensor = "lexicon.image";

// Parses config.json text. Throws ModelError naming `source` and the field.
StudentConfig parse_student_config(const std::string& text, const std::string& source);

// True when config.json text declares model_type "jointnlu-bilstm" (no other validation).
bool is_student_config(const std::string& text);

// One tensor of the architecture. `quantizable`: a weight matrix that int8 export stores as I8
// with per-row scales (see export.h); everything else stays F32.
struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  bool quantizable = false;
};

// Every tensor the config implies, in a fixed order: embeddings, LSTM layers (forward then
// reverse; layer 0's W_ih has E + lexicon_features() columns), attention (attention pooling
// only), the three heads.
std::vector<TensorSpec> student_tensors(const StudentConfig& config);

// Name of the per-row scale tensor of an int8 matrix.
inline std::string scale_name(const std::string& tensor) { return tensor + ".scale"; }

// Checks that `file` holds exactly the tensors of `specs`: F32 with the given shapes, except that
// with int8 a quantizable matrix is I8 with the same shape plus NAME.scale F32 [rows]. Throws
// ModelError naming the file and the first missing, unexpected, mistyped or mis-shaped tensor
// with what was expected and what was found.
void check_tensors(const SafetensorsFile& file, const std::vector<TensorSpec>& specs, bool int8,
                   bool lexicon_image = false);

}  // namespace jointnlu::runtime
