// The BiLSTM student, loaded for inference without libtorch: from an exported file (jointnlu
// export: one safetensors file, fp32 or int8, config and vocabulary in its metadata) or straight
// from a student checkpoint directory (config.json + vocab.txt + model.safetensors).
//
// Memory: the file stays memory-mapped. Weight matrices are copied once into the kernels' packed
// layout and their pages of the mapping are released (madvise), so resident memory stays about the
// file's size; the embedding table is read in place (only the rows of tokens actually seen are
// paged in).
//
// Threads: a loaded model is immutable, so any number of threads may run forward() at once, each
// with its own Workspace.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/lexicon.h"
#include "core/safetensors.h"
#include "core/tokenizer.h"
#include "runtime/kernels.h"
#include "runtime/model_tensors.h"

namespace jointnlu::runtime {

class StudentModel;

// Scratch memory of one forward pass. Grows on first use (or when a longer input or a larger model
// comes); after that forward() allocates nothing. Not thread-safe: one per thread.
class Workspace {
 public:
  Workspace() = default;

 private:
  friend class StudentModel;
  void ensure(const StudentModel& model, std::size_t length);

  std::vector<float> x_;       // [L, E] embeddings
  std::vector<float> y_[2];    // [L, 2H] layer outputs (ping-pong between layers)
  std::vector<float> gates_;   // [L, 4H] input projections, then the gates of each step
  std::vector<float> c_;       // [H] cell state
  std::vector<float> h_;       // [H] hidden state (also copied into the layer output)
  std::vector<float> attn_;    // [L, A] attention hidden
  std::vector<float> alpha_;   // [L] attention weights
  std::vector<float> pooled_;  // [2H]
  std::vector<float> domain_;
  std::vector<float> intent_;
  std::vector<float> slots_;  // [L, T]
  QuantizedActivations quant_;
  QuantizedActivations quant_h_;
};

// Scratch memory of forward_batch(): the same buffers for all sequences of a batch stacked ([T,
// ...] with T the sum of their lengths), plus the per-sequence state of the recurrence. Grows on
// first use, then allocates nothing. One per thread.
class BatchWorkspace {
 public:
  BatchWorkspace() = default;

 private:
  friend class StudentModel;
  void ensure(const StudentModel& model, std::size_t sequences, std::size_t total_length);

  std::vector<std::size_t> order_;     // sequences by decreasing length
  std::vector<std::size_t> offset_;    // first row of each sequence in the stacked buffers
  std::vector<std::size_t> start_;     // [max L + 1] first packed row of each step
  std::vector<std::size_t> source_;    // [T] stacked row of each packed row (one direction)
  std::vector<int> ids_;               // [T] token ids, stacked (int8 embeddings)
  std::vector<int> packed_ids_;        // [T] the same in one direction's packed order
  std::vector<std::size_t> input_of_;  // [T] the input each stacked row belongs to
  std::vector<float> x_;               // [T, E]
  std::vector<float> y_[2];            // [T, 2H]
  std::vector<float> packed_x_;        // [T, max(E, 2H)] a layer's input in packed order (fp32)
  std::vector<float> gates_;           // [T, 4H] gates, packed order
  std::vector<float> h_;               // [B, H] h of the step, rows in order_
  std::vector<float> c_;               // [B, H]
  std::vector<float> attn_;            // [T, A]
  std::vector<float> alpha_;           // [max L]
  std::vector<float> pooled_;          // [B, 2H]
  std::vector<float> domain_;          // [B, D]
  std::vector<float> intent_;          // [B, I]
  std::vector<float> slots_;           // [T, Tags]
  QuantizedActivations quant_;
  QuantizedActivations quant_packed_;
  QuantizedActivations quant_h_;
};

// Views into the Workspace passed to forward(); valid until its next use.
struct StudentLogits {
  std::span<const float> domain;  // [D]
  std::span<const float> intent;  // [I]
  std::span<const float> slots;   // [L, T] row-major
};

class StudentModel {
 public:
  // An exported .safetensors file or a student directory. Throws ModelError (bad config, tensors,
  // metadata; names the file and tensor), SafetensorsError (malformed file) or IoError.
  static std::unique_ptr<StudentModel> load(const std::string& path);

  // Whether `path` is something load() takes: a regular file (assumed to be an export), or a
  // directory whose config.json has model_type "jointnlu-bilstm". Teacher directories are not.
  static bool is_loadable(const std::string& path);

  StudentModel(const StudentModel&) = delete;
  StudentModel& operator=(const StudentModel&) = delete;
  ~StudentModel();

  // ids: [CLS] ... [SEP] as make_model_input builds them (1 <= size; any id < vocab_size).
  // features: the lexicon features of each position (ModelInput::lexicon), for a model with a
  // lexicon; nullptr or no rows: no position matched anything. Throws std::invalid_argument for an
  // empty input, an out-of-range id, or features of another length or width.
  StudentLogits forward(std::span<const int> ids, Workspace& ws, const Kernels& k = kernels(),
                        const PositionFeatures* features = nullptr) const;

  // The same for several inputs at once: their recurrences advance in lockstep, so each step is one
  // matrix product over the batch instead of one matrix-vector product per input, and every weight
  // matrix is read once per step for all of them (throughput; forward() spares a single input the
  // batch's row gathers). Writes one StudentLogits per input, in input order, into `out` (views
  // into ws). Results equal forward()'s up to float summation order. Throws as forward() does.
  // features: empty, or one entry per input as forward()'s (nullptr entries allowed).
  void forward_batch(std::span<const std::span<const int>> inputs, BatchWorkspace& ws,
                     std::vector<StudentLogits>& out, const Kernels& k = kernels(),
                     std::span<const PositionFeatures* const> features = {}) const;

  const StudentSpec& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // The model's lexicon (nullptr without one). Thread-safe: entries may be added and removed while
  // other threads parse (Lexicon's own guarantee); the weights stay immutable.
  Lexicon* lexicon() const { return lexicon_.get(); }
  WeightType weight_type() const { return weight_type_; }
  const std::string& path() const { return path_; }
  // Bytes of packed weights held on the heap (the embedding table is not counted: it is mapped).
  std::size_t packed_bytes() const;

 private:
  struct Direction {
    PackedMatrix w_ih;
    PackedMatrix w_hh;
    std::vector<float> bias;  // b_ih + b_hh: one addition fewer per step
    // Layer 0 with a lexicon: W_ih's lexicon columns, transposed to [F, 4H]. Features are 0/1,
    // so their product is a sum of the rows of the active features. fp32 models: `lexicon` holds
    // the floats. int8 models: `lexicon_q` the int8 values as exported and `lexicon_scale` [4H]
    // W_ih's per-row scales; the rows are summed as integers and scaled once (a quarter of the
    // bytes to read, which is what this sum costs).
    std::vector<float> lexicon;
    std::vector<std::int8_t> lexicon_q;
    std::vector<float> lexicon_scale;
  };
  struct Layer {
    Direction dir[2];  // forward, reverse
    std::size_t input_size = 0;
  };
  struct Head {
    PackedMatrix w;
    std::vector<float> bias;
  };
  class Loader;
  friend class Workspace;
  friend class BatchWorkspace;

  StudentModel() = default;
  void check_ids(std::span<const int> ids) const;
  void check_features(std::span<const int> ids, const PositionFeatures* features) const;
  // The lexicon of a model whose config names categories; `image`: from the export's image tensor.
  std::shared_ptr<Lexicon> load_lexicon(bool image) const;
  // g [4H] += the lexicon rows of the active features of one position.
  void add_lexicon(const Direction& dir, std::span<const std::uint16_t> active, float* g,
                   const Kernels& k) const;
  void embed(std::span<const int> ids, float* x) const;
  // For int8 weights: the embedding rows of ids straight into q. An int8 row with its scale already
  // is a quantised activation, exactly, so it skips embed()'s dequantisation and the quantisation
  // of layer 0's input that would follow.
  void embed_quantized(std::span<const int> ids, QuantizedActivations& q) const;
  bool int8_embeddings() const { return weight_type_ == WeightType::kInt8 && embed_q_ != nullptr; }
  // Sentence vector of one input from its BiLSTM output y [len, 2H]; for attention pooling,
  // attn_hidden [len, A] holds the attention projection of y's rows and alpha [len] is scratch.
  void pool(const float* y, std::size_t len, const float* attn_hidden, float* alpha,
            float* pooled) const;
  // A batch as forward_batch lays it out (packed order: see there).
  struct PackedBatch {
    std::span<const std::span<const int>> inputs;
    std::span<const PositionFeatures* const> features;  // empty, or one per input
    std::size_t total = 0;                              // tokens over all inputs
    std::size_t max_len = 0;                            // the longest input
    bool lexicon = false;                               // some input has lexicon features
  };
  PackedBatch check_batch(std::span<const std::span<const int>> inputs,
                          std::span<const PositionFeatures* const> features) const;
  // Embeds the batch, stacked, and lays out the packed order (order_, offset_, start_).
  void pack_batch(PackedBatch& batch, BatchWorkspace& ws) const;
  // Direction d of layer li over the whole batch: input projections in packed order, lexicon
  // columns, the recurrence; writes that direction's half of y [T, 2H] (stacked rows).
  void batch_direction(const PackedBatch& batch, std::size_t li, int d, const float* input,
                       float* y, BatchWorkspace& ws, const Kernels& k) const;
  // Pooling and heads over the last layer's y; one StudentLogits per input into out.
  void batch_outputs(const PackedBatch& batch, const float* y, BatchWorkspace& ws,
                     std::vector<StudentLogits>& out, const Kernels& k) const;
  // The three heads: domain and intent over pooled [b, 2H], slots over y [rows, 2H].
  void heads(const float* pooled, std::size_t b, const float* y, std::size_t rows,
             QuantizedActivations& q, float* domain, float* intent, float* slots,
             const Kernels& k) const;

  std::string path_;
  StudentSpec config_;
  std::unique_ptr<Tokenizer> tokenizer_;
  WeightType weight_type_ = WeightType::kF32;
  std::optional<SafetensorsFile> file_;
  // Embedding rows: in the mapping when aligned, else in owned_ (F32, or I8 + per-row scales).
  const float* embed_f32_ = nullptr;
  const std::int8_t* embed_q_ = nullptr;
  const float* embed_scales_ = nullptr;
  std::vector<std::vector<float>> owned_f32_;
  std::vector<std::vector<std::int8_t>> owned_i8_;
  std::vector<Layer> layers_;
  PackedMatrix attn_proj_;
  std::vector<float> attn_bias_;
  std::vector<float> attn_context_;
  Head domain_, intent_, slots_;
  std::shared_ptr<Lexicon> lexicon_;
};

}  // namespace jointnlu::runtime
