// Hugging Face safetensors files: a validating, memory-mapped reader and a deterministic writer.
//
// Layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON header, then the data section.
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the data section) plus an optional "__metadata__" object of string -> string.
//
// Checkpoints come from outside (downloads, other tools), so the reader treats the file as
// untrusted: the whole header is validated before any tensor byte is handed out, and every
// problem throws SafetensorsError naming the file and, where it applies, the tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jointnlu {

// Every failure of this module: malformed files, missing tensors, wrong shapes, unreadable
// files, invalid tensors handed to the writer. Only write errors from the atomic file write
// surface as IoError (see file_io.h).
class SafetensorsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The element types of the format. The enumerator order is the data layout order the writer
// uses (widest first), which keeps every tensor aligned to its element size.
enum class DType { kF64, kI64, kF32, kI32, kF16, kBF16, kI16, kI8, kU8, kBool };

std::size_t dtype_size(DType dtype);
// The name used in headers: "F32", "BF16", "BOOL"...
std::string_view dtype_name(DType dtype);
// Inverse of dtype_name (case-sensitive, as in the format); std::nullopt for unknown names.
std::optional<DType> parse_dtype(std::string_view name);

// "[2, 3]", "[]" for scalars; used in error messages here and by callers checking shapes.
std::string shape_to_string(std::span<const std::int64_t> shape);

// IEEE binary16 and bfloat16 bit patterns to float (exact: every such value is a float).
float f16_to_float(std::uint16_t bits);
float bf16_to_float(std::uint16_t bits);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;  // empty for a scalar
  // Byte range [data_begin, data_end) relative to the start of the data section.
  std::uint64_t data_begin = 0;
  std::uint64_t data_end = 0;

  std::uint64_t num_elements() const;  // product of shape; 1 for a scalar
  std::uint64_t nbytes() const { return data_end - data_begin; }
};

// A validated safetensors file. Move-only; a file opened with open() stays memory-mapped
// (read-only) until the object is destroyed, so spans from tensor_bytes() live as long as it.
class SafetensorsFile {
 public:
  // Maps the file and validates its header. Throws SafetensorsError.
  static SafetensorsFile open(const std::string& path);
  // Same validation over an in-memory copy of a file; `name` prefixes error messages.
  static SafetensorsFile from_bytes(std::string bytes, std::string name = "<memory>");

  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  // The path (or the name given to from_bytes) that error messages start with.
  const std::string& name() const { return name_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Tensor names in byte order.
  std::vector<std::string> names() const;
  std::size_t size() const { return tensors_.size(); }

  // nullptr when the file has no such tensor.
  const TensorInfo* find(std::string_view tensor) const;
  // Throws SafetensorsError naming the file and the missing tensor.
  const TensorInfo& get(std::string_view tensor) const;

  // The raw little-endian bytes of a tensor, inside the mapping. Aligned to the element size
  // only if the writer laid the file out that way (ours and Hugging Face's do); use memcpy or
  // to_floats() rather than reinterpret_cast when the source is unknown.
  std::span<const std::byte> tensor_bytes(const TensorInfo& info) const;
  std::span<const std::byte> tensor_bytes(std::string_view tensor) const {
    return tensor_bytes(get(tensor));
  }

  // Copies an F32, F16 or BF16 tensor out as floats (row-major). The overload with
  // expected_shape also checks the shape, so loading code states what it expects in one place.
  // Throws SafetensorsError naming the tensor, the expected and the actual dtype/shape.
  std::vector<float> to_floats(std::string_view tensor) const;
  std::vector<float> to_floats(std::string_view tensor,
                               const std::vector<std::int64_t>& expected_shape) const;

 private:
  SafetensorsFile(std::string name, std::string bytes);
  SafetensorsFile(std::string name, void* map_addr, std::size_t map_size);

  const std::byte* base() const;
  void parse_header();  // fills tensors_ and metadata_, or throws
  [[noreturn]] void fail(const std::string& reason) const;
  void release() noexcept;

  std::string name_;
  // Exactly one backing store: a read-only mapping (open) or an owned buffer (from_bytes).
  // The buffer's address is recomputed by base() because moving a short std::string moves
  // its characters (small-string optimisation), so a cached pointer could dangle.
  void* map_addr_ = nullptr;
  std::size_t map_size_ = 0;
  std::string bytes_;
  std::size_t data_start_ = 0;  // 8 + header length
  std::map<std::string, TensorInfo, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A tensor for the writer. `data` must hold `nbytes` little-endian row-major bytes and stay
// valid until the write returns.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;
  std::size_t nbytes = 0;
};

// Serializes tensors deterministically: the header lists tensors by name, the data section
// orders them widest dtype first, then by name (as Hugging Face's writer does, so each tensor
// is aligned to its element size), and the header is padded with spaces to a multiple of 8.
// Throws SafetensorsError for duplicate or reserved names and size/shape mismatches.
std::string serialize_safetensors(const std::vector<TensorToWrite>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

// The same bytes, streamed to `path` through write_file_atomic (no full in-memory copy).
// Throws SafetensorsError for invalid tensors and IoError for write failures.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace jointnlu
