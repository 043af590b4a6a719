#include "runtime/student_model.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "core/error.h"
#include "core/file_io.h"
#include "core/model_directory.h"
#include "runtime/export.h"

namespace jointnlu::runtime {
namespace {

namespace fs = std::filesystem;

// vocab.txt text to tokens, by the rules of Tokenizer::from_vocab_file (BOM, \n, \r\n or \r).
std::vector<std::string> split_vocab(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::string> tokens;
  std::string line;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      tokens.push_back(std::move(line));
      line.clear();
    } else {
      line += ch;
    }
  }
  if (!line.empty()) tokens.push_back(std::move(line));
  return tokens;
}

// Gives the pages of a copied tensor back to the kernel: the packed copy is what inference reads,
// and a private read-only file mapping re-reads the file should anything touch them again.
void release_pages(std::span<const std::byte> bytes) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + bytes.size()) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace

// Reads tensors out of the validated file into the model.
class StudentModel::Loader {
 public:
  Loader(StudentModel& m, bool int8) : m_(m), file_(*m.file_), int8_(int8) {}

  // An F32 tensor in place when aligned, else copied into the model.
  const float* floats(const std::string& name) {
    const auto bytes = file_.tensor_bytes(name);
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) == 0)
      return reinterpret_cast<const float*>(bytes.data());
    m_.owned_f32_.push_back(file_.to_floats(name));
    return m_.owned_f32_.back().data();
  }
  // An F32 tensor copied, every value checked finite: a NaN bias would otherwise give
  // normal-looking scores with wrong labels, or null scores.
  std::vector<float> vector(const std::string& name) {
    const auto bytes = file_.tensor_bytes(name);
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), bytes.size());
    check_finite(name, v);
    return v;
  }
  void check_finite(const std::string& name, std::span<const float> values) const {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        throw ModelError(file_.name() + ": tensor '" + name + "': value " + std::to_string(i) +
                         " is not finite (" + std::to_string(values[i]) + ")");
  }
  PackedMatrix matrix(const std::string& name) {
    const TensorInfo& info = file_.get(name);
    const auto rows = static_cast<std::size_t>(info.shape[0]);
    const auto cols = static_cast<std::size_t>(info.shape[1]);
    PackedMatrix packed;
    try {
      if (int8_) {
        const auto q = file_.tensor_bytes(info);
        const std::vector<float> scales = vector(scale_name(name));
        packed = PackedMatrix::from_int8(
            std::span(reinterpret_cast<const std::int8_t*>(q.data()), q.size()), scales, rows,
            cols);
        release_pages(q);
      } else {
        const float* w = floats(name);
        packed = PackedMatrix::pack_f32(std::span(w, rows * cols), rows, cols);
        release_pages(file_.tensor_bytes(info));
      }
    } catch (const std::invalid_argument& e) {
      throw ModelError(file_.name() + ": tensor '" + name + "': " + e.what());
    }
    return packed;
  }

  // Layer 0's W_ih with a lexicon: the first `keep` columns (the embedding's) packed as matrix()
  // packs them; the rest (the lexicon features') as floats transposed to [cols - keep, rows].
  PackedMatrix split_matrix(const std::string& name, std::size_t keep, Direction& dir) {
    const TensorInfo& info = file_.get(name);
    const auto rows = static_cast<std::size_t>(info.shape[0]);
    const auto cols = static_cast<std::size_t>(info.shape[1]);
    const std::size_t extra = cols - keep;
    std::vector<float>& rest = dir.lexicon;
    PackedMatrix packed;
    try {
      if (int8_) {
        const auto bytes = file_.tensor_bytes(info);
        const auto* q = reinterpret_cast<const std::int8_t*>(bytes.data());
        const std::vector<float> scales = vector(scale_name(name));
        std::vector<std::int8_t> left(rows * keep);
        dir.lexicon_q.assign(extra * rows, 0);
        for (std::size_t r = 0; r < rows; ++r) {
          std::copy_n(q + r * cols, keep, left.data() + r * keep);
          for (std::size_t j = 0; j < extra; ++j)
            dir.lexicon_q[j * rows + r] = q[r * cols + keep + j];
        }
        dir.lexicon_scale = scales;
        packed = PackedMatrix::from_int8(left, scales, rows, keep);
        release_pages(bytes);
      } else {
        rest.assign(extra * rows, 0.0f);
        const float* w = floats(name);
        std::vector<float> left(rows * keep);
        for (std::size_t r = 0; r < rows; ++r) {
          std::copy_n(w + r * cols, keep, left.data() + r * keep);
          for (std::size_t j = 0; j < extra; ++j) rest[j * rows + r] = w[r * cols + keep + j];
        }
        packed = PackedMatrix::pack_f32(left, rows, keep);
        release_pages(file_.tensor_bytes(info));
      }
    } catch (const std::invalid_argument& e) {
      throw ModelError(file_.name() + ": tensor '" + name + "': " + e.what());
    }
    for (const float v : rest)
      if (!std::isfinite(v))
        throw ModelError(file_.name() + ": tensor '" + name + "': a lexicon column is not finite");
    return packed;
  }

  // The rows feed the int8 products as they are (embed_quantized), so they obey the same rules as
  // the packed matrices: finite scales >= 0 and values in [-127, 127].
  void check_int8_rows(const std::string& name, const std::int8_t* q, const float* scales,
                       std::size_t rows, std::size_t cols) const {
    for (std::size_t r = 0; r < rows; ++r) {
      if (!std::isfinite(scales[r]) || scales[r] < 0.0f)
        throw ModelError(file_.name() + ": tensor '" + scale_name(name) + "': row " +
                         std::to_string(r) + " has an invalid scale");
      for (std::size_t k = 0; k < cols; ++k)
        if (q[r * cols + k] == -128)
          throw ModelError(file_.name() + ": tensor '" + name + "': row " + std::to_string(r) +
                           " holds -128 (symmetric quantisation uses [-127, 127])");
    }
  }

  void load() {
    const StudentSpec& c = m_.config_;
    const std::string embedding = "embeddings.word_embeddings.weight";
    if (int8_) {
      const auto q = file_.tensor_bytes(embedding);
      m_.embed_q_ = reinterpret_cast<const std::int8_t*>(q.data());
      m_.embed_scales_ = floats(scale_name(embedding));
      check_int8_rows(embedding, m_.embed_q_, m_.embed_scales_, c.vocab_size, c.embedding_size);
    } else {
      m_.embed_f32_ = floats(embedding);
      const std::size_t n = c.vocab_size * c.embedding_size;
      check_finite(embedding, std::span(m_.embed_f32_, n));
      // Read in place (when aligned; else floats() copied it, and copied memory must be kept): the
      // check paged in every row, and only those of tokens seen need stay resident.
      const auto mapped = file_.tensor_bytes(embedding);
      if (reinterpret_cast<const std::byte*>(m_.embed_f32_) == mapped.data()) release_pages(mapped);
    }
    for (std::size_t k = 0; k < c.num_layers; ++k) {
      Layer layer;
      layer.input_size = k == 0 ? c.embedding_size : 2 * c.hidden_size;
      for (int d = 0; d < 2; ++d) {
        const std::string suffix = std::to_string(k) + (d ? "_reverse" : "");
        Direction& dir = layer.dir[d];
        if (k == 0 && c.lexicon_features() > 0)
          dir.w_ih = split_matrix("lstm.weight_ih_l" + suffix, c.embedding_size, dir);
        else
          dir.w_ih = matrix("lstm.weight_ih_l" + suffix);
        dir.w_hh = matrix("lstm.weight_hh_l" + suffix);
        dir.bias = vector("lstm.bias_ih_l" + suffix);
        const auto b_hh = vector("lstm.bias_hh_l" + suffix);
        for (std::size_t i = 0; i < dir.bias.size(); ++i) dir.bias[i] += b_hh[i];
      }
      m_.layers_.push_back(std::move(layer));
    }
    if (c.pooling == Pooling::kAttention) {
      m_.attn_proj_ = matrix("attention.proj.weight");
      m_.attn_bias_ = vector("attention.proj.bias");
      m_.attn_context_ = vector("attention.context.weight");
    }
    m_.domain_ = {matrix("domain_classifier.weight"), vector("domain_classifier.bias")};
    m_.intent_ = {matrix("intent_classifier.weight"), vector("intent_classifier.bias")};
    m_.slots_ = {matrix("slot_classifier.weight"), vector("slot_classifier.bias")};
  }

 private:
  StudentModel& m_;
  const SafetensorsFile& file_;
  bool int8_;
};

StudentModel::~StudentModel() = default;

bool StudentModel::is_loadable(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return true;
  if (!fs::is_directory(path, ec) || !fs::is_regular_file(path + "/config.json", ec)) return false;
  try {
    return is_student_config(nlohmann::json::parse(read_file(path + "/config.json"), nullptr,
                                                   /*allow_exceptions=*/false));
  } catch (const IoError&) {
    return false;
  }
}

// The lexicon's entries: beside config.json in a directory (lexicon.tsv), as an image tensor in
// an export (version 2), or as text in the metadata of a version 1 export.
std::shared_ptr<Lexicon> StudentModel::load_lexicon(bool image) const {
  const std::vector<std::string>& categories = config_.lexicon_categories;
  std::error_code ec;
  std::string source;
  try {
    if (image) {
      source = path_ + ": tensor '" + std::string(kLexiconImageTensor) + "'";
      const auto bytes = file_->tensor_bytes(kLexiconImageTensor);
      auto lexicon = std::make_shared<Lexicon>(Lexicon::from_image(categories, bytes));
      release_pages(bytes);  // copied
      return lexicon;
    }
    if (fs::is_directory(path_, ec)) {
      source = path_ + "/" + std::string(kLexiconFile);
      return ModelDirectory(path_).lexicon(categories);
    }
    const auto& meta = file_->metadata();
    const auto it = meta.find(std::string(kLexiconMetadata));
    if (it == meta.end())
      throw ModelError(path_ +
                       ": the config names lexicon categories but the file has neither a '" +
                       std::string(kLexiconImageTensor) + "' tensor nor '" +
                       std::string(kLexiconMetadata) + "' metadata");
    source = path_ + ": metadata '" + std::string(kLexiconMetadata) + "'";
    return std::make_shared<Lexicon>(Lexicon::from_tsv(categories, it->second, source));
  } catch (const DataError& e) {
    throw ModelError(e.what());
  } catch (const std::invalid_argument& e) {
    throw ModelError(source + ": " + e.what());
  }
}

std::unique_ptr<StudentModel> StudentModel::load(const std::string& path) {
  std::unique_ptr<StudentModel> m(new StudentModel());
  m->path_ = path;
  std::error_code ec;
  bool int8 = false;
  std::string version;  // of an export; empty for a directory
  if (fs::is_directory(path, ec)) {
    const ModelDirectory d(path, "student directory");
    m->config_ = parse_student_config(d.config(), d.config_path());
    m->tokenizer_ =
        std::make_unique<Tokenizer>(d.tokenizer(m->config_.tokenizer, m->config_.vocab_size));
    m->file_.emplace(SafetensorsFile::open(d.weights_path()));
  } else {
    m->file_.emplace(SafetensorsFile::open(path));
    const auto& meta = m->file_->metadata();
    const auto field = [&](const std::string& key) -> const std::string& {
      const auto it = meta.find(key);
      if (it == meta.end())
        throw ModelError(path + ": metadata has no '" + key +
                         "': not a model written by `jointnlu export` (give a student directory "
                         "or export one)");
      return it->second;
    };
    if (field("format") != kFormatName)
      throw ModelError(path + ": metadata 'format' is '" + field("format") + "', expected '" +
                       std::string(kFormatName) + "'");
    version = field("format_version");
    if (version != kFormatVersion && version != kOldestFormatVersion)
      throw ModelError(path + ": metadata 'format_version' is '" + version +
                       "', this runtime reads versions " + std::string(kOldestFormatVersion) +
                       " to " + std::string(kFormatVersion));
    const std::string& weights = field("weights");
    if (weights != "fp32" && weights != "int8")
      throw ModelError(path + ": metadata 'weights' is '" + weights + "', expected fp32 or int8");
    int8 = weights == "int8";
    const std::string source = path + ": metadata 'config'";
    m->config_ = parse_student_config(parse_config_text(field("config"), source), source);
    const std::string& vocab = field("vocab");
    try {
      m->tokenizer_ = std::make_unique<Tokenizer>(split_vocab(vocab), m->config_.tokenizer);
    } catch (const std::exception& e) {
      throw ModelError(path + ": metadata 'vocab': " + e.what());
    }
  }
  if (m->tokenizer_->vocab_size() > m->config_.vocab_size)
    throw ModelError(path + ": the vocabulary has " + std::to_string(m->tokenizer_->vocab_size()) +
                     " tokens, but the model embeds only vocab_size " +
                     std::to_string(m->config_.vocab_size));
  m->weight_type_ = int8 ? WeightType::kInt8 : WeightType::kF32;
  const bool lexicon_image = !m->config_.lexicon_categories.empty() && version == kFormatVersion;
  check_tensors(*m->file_, student_tensors(m->config_), int8, lexicon_image);
  Loader(*m, int8).load();
  if (!m->config_.lexicon_categories.empty()) m->lexicon_ = m->load_lexicon(lexicon_image);
  return m;
}

std::size_t StudentModel::packed_bytes() const {
  std::size_t n = attn_proj_.bytes() + domain_.w.bytes() + intent_.w.bytes() + slots_.w.bytes();
  for (const auto& layer : layers_)
    for (const auto& d : layer.dir) n += d.w_ih.bytes() + d.w_hh.bytes();
  return n;
}

}  // namespace jointnlu::runtime
