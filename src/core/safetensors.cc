#include "core/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <tuple>
#include <utility>

#include "core/file_io.h"

namespace jointnlu {
namespace {

using nlohmann::json;

// The data section is reinterpreted byte for byte (memcpy into floats, spans handed out as-is),
// which is only correct on little-endian hosts, the only ones we build for.
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; add byte swapping for big-endian hosts");

// Hugging Face's limit: a larger header is either corrupt or an attempt to exhaust memory.
constexpr std::uint64_t kMaxHeaderSize = 100'000'000;
constexpr std::size_t kLengthPrefix = 8;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::kF64, "F64", 8},   {DType::kI64, "I64", 8}, {DType::kF32, "F32", 4},
    {DType::kI32, "I32", 4},   {DType::kF16, "F16", 2}, {DType::kBF16, "BF16", 2},
    {DType::kI16, "I16", 2},   {DType::kI8, "I8", 1},   {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
};

const DTypeEntry& entry_of(DType dtype) {
  for (const auto& e : kDTypes) {
    if (e.dtype == dtype) return e;
  }
  throw SafetensorsError("invalid DType value " + std::to_string(static_cast<int>(dtype)));
}

std::string known_dtypes() {
  std::string out;
  for (const auto& e : kDTypes) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

// Bytes a tensor of this dtype and shape occupies; std::nullopt if that overflows 64 bits
// (a hostile header can claim shapes like [2^40, 2^40]).
std::optional<std::uint64_t> byte_size(DType dtype, std::span<const std::int64_t> shape) {
  std::uint64_t n = dtype_size(dtype);
  // A zero dimension makes the tensor empty whatever the other dimensions are, so it must win
  // over an overflow that an earlier pair of huge dimensions would report.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  for (const std::int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(dim), &n)) return std::nullopt;
  }
  return n;
}

std::string offsets_to_string(std::uint64_t begin, std::uint64_t end) {
  // Appended piecewise: GCC 12 reports a bogus -Wrestrict for "[" + std::to_string(...).
  std::string out = "[";
  out += std::to_string(begin);
  out += ", ";
  out += std::to_string(end);
  out += ']';
  return out;
}

std::string json_type(const json& j) {
  if (j.is_number_integer()) return "an integer";
  if (j.is_number_float()) return "a non-integer number";
  if (j.is_object()) return "an object";
  if (j.is_array()) return "an array";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  return "null";
}

// JSON integers that fit the format's unsigned fields. nlohmann stores non-negative literals as
// number_unsigned and negative ones as number_integer; floats (2.0, 1e3) are rejected, as the
// reference reader does.
std::optional<std::uint64_t> as_unsigned(const json& j) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(j.get<std::int64_t>());
  }
  return std::nullopt;
}

// nlohmann keeps the last of duplicate keys silently. A duplicated tensor name means two writers
// disagreed about a tensor, and picking one at random would load wrong weights, so the parser
// callback records the first duplicate at any depth.
class DuplicateKeyDetector {
 public:
  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        scopes_.push_back({{}, scopes_.empty() ? std::string() : last_key_});
        break;
      case json::parse_event_t::object_end:
        if (!scopes_.empty()) scopes_.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!scopes_.empty() && !scopes_.back().keys.insert(key).second && !problem_) {
          problem_ = describe(key);
        }
        last_key_ = key;
        break;
      }
      default:
        break;
    }
    return true;  // keep everything
  }

  const std::optional<std::string>& problem() const { return problem_; }

 private:
  struct Scope {
    std::set<std::string> keys;
    std::string owner;  // the key this object is the value of ("" at top level)
  };

  std::string describe(const std::string& key) const {
    if (scopes_.size() == 1) {
      return key == kMetadataKey ? std::string("duplicate \"__metadata__\" entry")
                                 : "duplicate tensor name '" + key + "'";
    }
    const std::string& owner = scopes_.back().owner;
    if (scopes_.size() == 2) {
      const std::string where = owner == kMetadataKey ? "__metadata__" : "tensor '" + owner + "'";
      return where + ": duplicate key '" + key + "'";
    }
    return "duplicate key '" + key + "'";
  }

  std::vector<Scope> scopes_;
  std::string last_key_;
  std::optional<std::string> problem_;
};

// The writer's validated plan: header bytes and the tensors in data-section order.
struct WritePlan {
  std::string prefix;  // length prefix + padded header
  std::vector<const TensorToWrite*> order;
};

WritePlan plan_write(const std::string& where, const std::vector<TensorToWrite>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  auto fail = [&](const std::string& reason) { throw SafetensorsError(where + ": " + reason); };
  std::set<std::string_view> seen;
  WritePlan plan;
  for (const auto& t : tensors) {
    const std::string what = "tensor '" + t.name + "'";
    if (t.name.empty()) fail("tensor names must not be empty");
    if (t.name == kMetadataKey) fail("'__metadata__' is reserved and cannot name a tensor");
    if (!seen.insert(t.name).second) fail("duplicate tensor name '" + t.name + "'");
    entry_of(t.dtype);  // rejects out-of-range enum values
    for (const std::int64_t dim : t.shape) {
      if (dim < 0) fail(what + ": shape " + shape_to_string(t.shape) + " has a negative dimension");
    }
    const auto need = byte_size(t.dtype, t.shape);
    if (!need) fail(what + ": shape " + shape_to_string(t.shape) + " is too large");
    if (*need != t.nbytes) {
      fail(what + ": " + std::to_string(t.nbytes) + " bytes given but shape " +
           shape_to_string(t.shape) + " of " + std::string(dtype_name(t.dtype)) + " needs " +
           std::to_string(*need));
    }
    if (t.nbytes > 0 && t.data == nullptr) fail(what + ": data is null");
    plan.order.push_back(&t);
  }
  // Widest element first, then dtype, then name: deterministic, and since the data section
  // starts 8-aligned and sizes are powers of two, every tensor lands aligned to its element size.
  std::sort(plan.order.begin(), plan.order.end(),
            [](const TensorToWrite* a, const TensorToWrite* b) {
              const std::size_t sa = dtype_size(a->dtype), sb = dtype_size(b->dtype);
              if (sa != sb) return sa > sb;
              if (a->dtype != b->dtype) return a->dtype < b->dtype;
              return a->name < b->name;
            });

  json header = json::object();  // std::map-backed: keys come out sorted by name
  std::uint64_t offset = 0;
  for (const TensorToWrite* t : plan.order) {
    header[t->name] = {{"dtype", std::string(dtype_name(t->dtype))},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->nbytes}}};
    offset += t->nbytes;
  }
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;

  std::string text;
  try {
    text = header.dump();
  } catch (const json::type_error&) {
    // dump() refuses strings that are not valid UTF-8 (error 316).
    fail("a tensor name or metadata string is not valid UTF-8");
  }
  // Pad with spaces to a multiple of 8, like the reference writer, so the data section (and with
  // the ordering above, every tensor) is aligned in a mapped file.
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t n = text.size();
  plan.prefix.resize(kLengthPrefix);
  for (std::size_t i = 0; i < kLengthPrefix; ++i)
    plan.prefix[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  plan.prefix += text;
  return plan;
}

}  // namespace

std::size_t dtype_size(DType dtype) { return entry_of(dtype).size; }

std::string_view dtype_name(DType dtype) { return entry_of(dtype).name; }

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& e : kDTypes) {
    if (e.name == name) return e.dtype;
  }
  return std::nullopt;
}

std::string shape_to_string(std::span<const std::int64_t> shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

float f16_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1Fu;
  const std::uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  std::uint32_t out;
  if (exponent == 0x1F) {
    out = sign | 0x7F800000u | (mantissa << 13);  // inf / NaN (payload kept)
  } else {
    out = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(out);
}

float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint64_t TensorInfo::num_elements() const {
  std::uint64_t n = 1;
  for (const std::int64_t dim : shape) n *= static_cast<std::uint64_t>(dim);
  return n;
}

// ---- SafetensorsFile ----

SafetensorsFile::SafetensorsFile(std::string name, std::string bytes)
    : name_(std::move(name)), bytes_(std::move(bytes)) {}

SafetensorsFile::SafetensorsFile(std::string name, void* map_addr, std::size_t map_size)
    : name_(std::move(name)), map_addr_(map_addr), map_size_(map_size) {}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept
    : name_(std::move(other.name_)),
      map_addr_(std::exchange(other.map_addr_, nullptr)),
      map_size_(std::exchange(other.map_size_, 0)),
      bytes_(std::move(other.bytes_)),
      data_start_(other.data_start_),
      tensors_(std::move(other.tensors_)),
      metadata_(std::move(other.metadata_)) {}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    release();
    name_ = std::move(other.name_);
    map_addr_ = std::exchange(other.map_addr_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
    bytes_ = std::move(other.bytes_);
    data_start_ = other.data_start_;
    tensors_ = std::move(other.tensors_);
    metadata_ = std::move(other.metadata_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { release(); }

void SafetensorsFile::release() noexcept {
  if (map_addr_ != nullptr) ::munmap(map_addr_, map_size_);
  map_addr_ = nullptr;
  map_size_ = 0;
}

const std::byte* SafetensorsFile::base() const {
  return map_addr_ != nullptr ? static_cast<const std::byte*>(map_addr_)
                              : reinterpret_cast<const std::byte*>(bytes_.data());
}

void SafetensorsFile::fail(const std::string& reason) const {
  throw SafetensorsError(name_ + ": " + reason);
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SafetensorsError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    throw SafetensorsError(path + ": cannot stat: " + err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw SafetensorsError(path + ": not a regular file");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < kLengthPrefix) {
    // Checked here too because mmap cannot map an empty file.
    ::close(fd);
    throw SafetensorsError(path + ": file is " + std::to_string(size) +
                           " bytes, too short for the 8-byte header length");
  }
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (addr == MAP_FAILED)
    throw SafetensorsError(path + ": cannot mmap: " + std::strerror(map_errno));
  SafetensorsFile file(path, addr, size);  // owns the mapping from here, even if parsing throws
  file.parse_header();
  return file;
}

SafetensorsFile SafetensorsFile::from_bytes(std::string bytes, std::string name) {
  SafetensorsFile file(std::move(name), std::move(bytes));
  file.parse_header();
  return file;
}

namespace {

// A problem with the header, without the file name (parse_header adds it).
struct HeaderProblem {
  std::string reason;
};
[[noreturn]] void bad(std::string reason) { throw HeaderProblem{std::move(reason)}; }

// The little-endian header length, checked against the limit and the file size.
std::uint64_t header_length(const std::byte* data, std::size_t size) {
  if (size < kLengthPrefix)
    bad("file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kLengthPrefix; ++i)
    n |= static_cast<std::uint64_t>(std::to_integer<unsigned>(data[i])) << (8 * i);
  if (n > kMaxHeaderSize)
    bad("header length " + std::to_string(n) + " exceeds the limit of " +
        std::to_string(kMaxHeaderSize) + " bytes (corrupt file?)");
  if (n > size - kLengthPrefix)
    bad("header length " + std::to_string(n) + " is larger than the " +
        std::to_string(size - kLengthPrefix) + " bytes after the length field (truncated file?)");
  return n;
}

json parse_header_json(const char* text, std::uint64_t n) {
  DuplicateKeyDetector detector;
  json header;
  try {
    // nlohmann validates UTF-8 inside strings, and any non-ASCII byte outside a string is a
    // syntax error, so a successful parse also proves the header is valid UTF-8.
    header = json::parse(text, text + n, std::ref(detector));
  } catch (const json::exception& e) {
    std::string msg = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; the rest says where and why.
    if (const auto pos = msg.find("] "); msg.starts_with("[json.") && pos != std::string::npos)
      msg = msg.substr(pos + 2);
    bad("header is not valid UTF-8 JSON: " + msg);
  }
  if (!header.is_object()) bad("header is " + json_type(header) + ", expected a JSON object");
  if (detector.problem()) bad(*detector.problem());
  return header;
}

std::map<std::string, std::string> read_metadata(const json& value) {
  if (!value.is_object())
    bad("__metadata__ is " + json_type(value) + ", expected an object of strings");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string())
      bad("__metadata__: value of '" + key + "' is " + json_type(entry) + ", expected a string");
    metadata.emplace(key, entry.get<std::string>());
  }
  return metadata;
}

// One tensor's entry: dtype, shape and data_offsets, consistent with one another.
TensorInfo read_tensor_entry(const std::string& key, const json& value) {
  const std::string what = "tensor '" + key + "'";
  if (!value.is_object())
    bad(what + ": entry is " + json_type(value) +
        ", expected an object with dtype, shape and data_offsets");
  // Unknown extra keys are ignored, as the reference reader does; the three required ones are
  // checked strictly.
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field)) bad(what + ": missing \"" + field + "\"");
  TensorInfo info;
  info.name = key;

  const json& dtype = value.at("dtype");
  if (!dtype.is_string()) bad(what + ": dtype is " + json_type(dtype) + ", expected a string");
  const auto parsed = parse_dtype(dtype.get_ref<const std::string&>());
  if (!parsed)
    bad(what + ": unknown dtype '" + dtype.get<std::string>() + "' (known: " + known_dtypes() +
        ")");
  info.dtype = *parsed;

  const json& shape = value.at("shape");
  if (!shape.is_array()) bad(what + ": shape is " + json_type(shape) + ", expected an array");
  for (const json& dim : shape) {
    const auto d = as_unsigned(dim);
    if (!d || *d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      bad(what + ": invalid shape " + shape.dump() + ": dimensions must be non-negative integers");
    info.shape.push_back(static_cast<std::int64_t>(*d));
  }

  const json& offsets = value.at("data_offsets");
  std::optional<std::uint64_t> begin, end;
  if (offsets.is_array() && offsets.size() == 2) {
    begin = as_unsigned(offsets[0]);
    end = as_unsigned(offsets[1]);
  }
  if (!begin || !end)
    bad(what + ": invalid data_offsets " + offsets.dump() +
        ": expected [begin, end] with non-negative integers");
  if (*begin > *end)
    bad(what + ": data_offsets " + offsets_to_string(*begin, *end) + ": begin is after end");
  info.data_begin = *begin;
  info.data_end = *end;

  const auto need = byte_size(info.dtype, info.shape);
  if (!need)
    bad(what + ": shape " + shape_to_string(info.shape) + " of " +
        std::string(dtype_name(info.dtype)) + " is too large (byte size overflows 64 bits)");
  if (*need != info.nbytes())
    bad(what + ": data_offsets " + offsets_to_string(*begin, *end) + " but shape " +
        shape_to_string(info.shape) + " of " + std::string(dtype_name(info.dtype)) + " needs " +
        std::to_string(*need) + " bytes");
  return info;
}

// Layout. Hugging Face requires the tensors to tile the data section exactly: no overlaps, no
// holes, nothing after the last tensor. We are equally strict, so any file we accept loads in
// their tools too, and a hole (unreachable bytes) is as suspicious as an overlap.
void check_layout(const std::map<std::string, TensorInfo, std::less<>>& tensors,
                  std::uint64_t data_size) {
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(tensors.size());
  for (const auto& [key, info] : tensors) by_offset.push_back(&info);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return std::tie(a->data_begin, a->data_end, a->name) <
           std::tie(b->data_begin, b->data_end, b->name);
  });
  std::uint64_t covered = 0;  // end of the contiguous prefix [0, covered)
  std::optional<std::string> hole;
  const TensorInfo* prev = nullptr;
  for (const TensorInfo* t : by_offset) {
    if (prev != nullptr && t->data_begin < prev->data_end)
      bad("tensors '" + prev->name + "' " + offsets_to_string(prev->data_begin, prev->data_end) +
          " and '" + t->name + "' " + offsets_to_string(t->data_begin, t->data_end) + " overlap");
    if (t->data_begin > covered && !hole)
      hole = "bytes [" + std::to_string(covered) + ", " + std::to_string(t->data_begin) +
             ") of the data section belong to no tensor (before '" + t->name + "')";
    covered = std::max(covered, t->data_end);
    prev = t;
  }
  if (covered > data_size) {
    // Self-consistent tensors that just run past the end: the classic interrupted download.
    if (!hole)
      bad("data section truncated: the header describes " + std::to_string(covered) +
          " bytes of tensor data but only " + std::to_string(data_size) + " bytes follow it");
    for (const TensorInfo* t : by_offset)
      if (t->data_end > data_size)
        bad("tensor '" + t->name + "': data_offsets " +
            offsets_to_string(t->data_begin, t->data_end) +
            " out of bounds: the data section has " + std::to_string(data_size) + " bytes");
  }
  if (hole) bad(*hole);
  if (covered < data_size)
    bad(std::to_string(data_size - covered) + " bytes after the last tensor (offset " +
        std::to_string(covered) + ") belong to no tensor");
}

}  // namespace

void SafetensorsFile::parse_header() {
  const std::byte* data = base();
  const std::size_t size = map_addr_ != nullptr ? map_size_ : bytes_.size();
  try {
    const std::uint64_t n = header_length(data, size);
    data_start_ = kLengthPrefix + n;
    const json header = parse_header_json(reinterpret_cast<const char*>(data + kLengthPrefix), n);
    std::map<std::string, TensorInfo, std::less<>> tensors;
    std::map<std::string, std::string> metadata;
    for (const auto& [key, value] : header.items()) {
      if (key == kMetadataKey)
        metadata = read_metadata(value);
      else
        tensors.emplace(key, read_tensor_entry(key, value));
    }
    check_layout(tensors, size - data_start_);
    tensors_ = std::move(tensors);
    metadata_ = std::move(metadata);
  } catch (const HeaderProblem& problem) {
    fail(problem.reason);
  }
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [key, info] : tensors_) out.push_back(key);
  return out;
}

const TensorInfo* SafetensorsFile::find(std::string_view tensor) const {
  const auto it = tensors_.find(tensor);
  return it == tensors_.end() ? nullptr : &it->second;
}

const TensorInfo& SafetensorsFile::get(std::string_view tensor) const {
  if (const TensorInfo* info = find(tensor)) return *info;
  fail("no tensor named '" + std::string(tensor) + "' (the file has " +
       std::to_string(tensors_.size()) + " tensors)");
}

std::span<const std::byte> SafetensorsFile::tensor_bytes(const TensorInfo& info) const {
  return {base() + data_start_ + info.data_begin, static_cast<std::size_t>(info.nbytes())};
}

std::vector<float> SafetensorsFile::to_floats(std::string_view tensor) const {
  const TensorInfo& info = get(tensor);
  const auto bytes = tensor_bytes(info);
  const std::size_t count = info.num_elements();
  std::vector<float> out(count);
  switch (info.dtype) {
    case DType::kF32:
      if (count > 0) std::memcpy(out.data(), bytes.data(), count * sizeof(float));
      break;
    case DType::kF16:
    case DType::kBF16: {
      const bool is_f16 = info.dtype == DType::kF16;
      for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, bytes.data() + 2 * i, sizeof(bits));  // may be unaligned
        out[i] = is_f16 ? f16_to_float(bits) : bf16_to_float(bits);
      }
      break;
    }
    default:
      fail("tensor '" + info.name + "' has dtype " + std::string(dtype_name(info.dtype)) +
           ", expected a floating-point tensor (F32, F16 or BF16)");
  }
  return out;
}

std::vector<float> SafetensorsFile::to_floats(
    std::string_view tensor, const std::vector<std::int64_t>& expected_shape) const {
  const TensorInfo& info = get(tensor);
  if (info.shape != expected_shape) {
    fail("tensor '" + info.name + "': expected shape " + shape_to_string(expected_shape) +
         " but the file has " + shape_to_string(info.shape) + " (" +
         std::string(dtype_name(info.dtype)) + ")");
  }
  return to_floats(tensor);
}

// ---- writer ----

std::string serialize_safetensors(const std::vector<TensorToWrite>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  WritePlan plan = plan_write("safetensors writer", tensors, metadata);
  std::string out = std::move(plan.prefix);
  for (const TensorToWrite* t : plan.order) {
    out.append(static_cast<const char*>(t->data), t->nbytes);
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Validate before write_file_atomic creates the temporary file.
  const WritePlan plan = plan_write(path, tensors, metadata);
  write_file_atomic(path, [&](std::ostream& out) {
    out.write(plan.prefix.data(), static_cast<std::streamsize>(plan.prefix.size()));
    for (const TensorToWrite* t : plan.order) {
      out.write(static_cast<const char*>(t->data), static_cast<std::streamsize>(t->nbytes));
    }
  });
}

}  // namespace jointnlu
