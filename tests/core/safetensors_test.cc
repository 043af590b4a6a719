#include "core/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/file_io.h"

namespace jointnlu {
namespace {

constexpr const char* kName = "bad.safetensors";

// A file as raw bytes: little-endian length prefix, the header text verbatim, then data. Lets
// the corrupt-file tests write exactly the header they want to break.
std::string make_file(const std::string& header, const std::string& data = "",
                      std::uint64_t claimed_length = std::numeric_limits<std::uint64_t>::max()) {
  const std::uint64_t n =
      claimed_length == std::numeric_limits<std::uint64_t>::max() ? header.size() : claimed_length;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

// The message of the SafetensorsError that reading `bytes` throws, or "" if it does not throw.
std::string error_of(const std::string& bytes) {
  try {
    SafetensorsFile::from_bytes(bytes, kName);
  } catch (const SafetensorsError& e) {
    return e.what();
  }
  return "";
}

// Every reader error starts with the file name and contains each of `parts`.
void expect_error(const std::string& bytes, const std::vector<std::string>& parts) {
  const std::string msg = error_of(bytes);
  ASSERT_FALSE(msg.empty()) << "no error for this file";
  EXPECT_TRUE(msg.starts_with(std::string(kName) + ": ")) << msg;
  for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg;
}

template <typename T>
TensorToWrite tensor(const std::string& name, DType dtype, std::vector<std::int64_t> shape,
                     const std::vector<T>& values) {
  return {name, dtype, std::move(shape), values.data(), values.size() * sizeof(T)};
}

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("safetensors_test_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// ---- round trips ----

TEST(SafetensorsTest, RoundTripsDtypesShapesScalarsAndEmptyTensors) {
  const std::vector<float> f32 = {1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, 7.0f};
  const std::vector<std::int64_t> i64 = {std::numeric_limits<std::int64_t>::min(), 0, 42};
  const std::vector<std::int32_t> i32 = {-7};  // scalar
  const std::vector<std::uint8_t> u8 = {0, 255, 1};
  const std::vector<std::int8_t> i8 = {-128, 127};
  const std::vector<std::uint16_t> f16 = {0x3C00, 0xC000};
  const std::vector<double> f64 = {3.141592653589793};
  const std::vector<std::uint8_t> boolean = {1, 0, 1, 1};
  const std::vector<float> empty;
  const std::vector<TensorToWrite> tensors = {
      tensor("w.f32", DType::kF32, {2, 3}, f32),   tensor("ids", DType::kI64, {3}, i64),
      tensor("scalar", DType::kI32, {}, i32),      tensor("bytes", DType::kU8, {3, 1}, u8),
      tensor("signed", DType::kI8, {1, 2}, i8),    tensor("half", DType::kF16, {2}, f16),
      tensor("pi", DType::kF64, {1, 1, 1}, f64),   tensor("mask", DType::kBool, {2, 2}, boolean),
      tensor("empty", DType::kF32, {0, 5}, empty),
  };
  const auto file = SafetensorsFile::from_bytes(serialize_safetensors(tensors), "rt");

  EXPECT_EQ(file.names(), (std::vector<std::string>{"bytes", "empty", "half", "ids", "mask", "pi",
                                                    "scalar", "signed", "w.f32"}));
  EXPECT_EQ(file.size(), tensors.size());
  for (const auto& t : tensors) {
    SCOPED_TRACE(t.name);
    const TensorInfo& info = file.get(t.name);
    EXPECT_EQ(info.name, t.name);
    EXPECT_EQ(info.dtype, t.dtype);
    EXPECT_EQ(info.shape, t.shape);
    EXPECT_EQ(info.nbytes(), t.nbytes);
    const auto bytes = file.tensor_bytes(t.name);
    ASSERT_EQ(bytes.size(), t.nbytes);
    if (t.nbytes > 0) {
      EXPECT_EQ(std::memcmp(bytes.data(), t.data, t.nbytes), 0);
    }
  }
  EXPECT_EQ(file.get("scalar").shape, std::vector<std::int64_t>{});
  EXPECT_EQ(file.get("scalar").num_elements(), 1u);
  EXPECT_EQ(file.get("empty").num_elements(), 0u);
  EXPECT_EQ(file.to_floats("w.f32", {2, 3}), f32);
  EXPECT_EQ(file.to_floats("empty", {0, 5}), std::vector<float>{});
  EXPECT_EQ(file.to_floats("half"), (std::vector<float>{1.0f, -2.0f}));
}

TEST(SafetensorsTest, RoundTripsMetadataAndEmptyFiles) {
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"jointnlu.config", "{\"layers\": 2}"}, {"note", "ünïcode ✓"}, {"", ""}};
  const auto file = SafetensorsFile::from_bytes(serialize_safetensors({}, metadata), "meta");
  EXPECT_EQ(file.metadata(), metadata);
  EXPECT_EQ(file.size(), 0u);

  const auto bare = SafetensorsFile::from_bytes(serialize_safetensors({}), "bare");
  EXPECT_TRUE(bare.metadata().empty());
  EXPECT_TRUE(bare.names().empty());
}

TEST(SafetensorsTest, WritesAtomicallyAndOpensMemoryMapped) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  const std::vector<float> w = {1, 2, 3, 4};
  const std::vector<std::uint16_t> b = {0x3F80, 0xC000};
  write_safetensors(path, {tensor("w", DType::kF32, {2, 2}, w), tensor("b", DType::kBF16, {2}, b)},
                    {{"step", "100"}});
  EXPECT_EQ(read_file(path), serialize_safetensors({tensor("w", DType::kF32, {2, 2}, w),
                                                    tensor("b", DType::kBF16, {2}, b)},
                                                   {{"step", "100"}}));
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("")),
                          std::filesystem::directory_iterator()),
            1);

  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file.name(), path);
  EXPECT_EQ(file.metadata().at("step"), "100");
  EXPECT_EQ(file.to_floats("w", {2, 2}), w);
  EXPECT_EQ(file.to_floats("b", {2}), (std::vector<float>{1.0f, -2.0f}));

  // Moving keeps the mapping valid (and the moved-to object owns it).
  SafetensorsFile moved = std::move(file);
  EXPECT_EQ(moved.to_floats("w"), w);
}

TEST(SafetensorsTest, MovedFromBytesFileStaysValidEvenForTinyBuffers) {
  // "{}" makes a 10-byte file: small enough for std::string's inline buffer, whose characters
  // move with the string. A cached data pointer would dangle here.
  auto file = SafetensorsFile::from_bytes(make_file("{}"), "tiny");
  SafetensorsFile moved = std::move(file);
  EXPECT_EQ(moved.size(), 0u);

  const std::vector<std::uint8_t> one = {9};
  auto small = SafetensorsFile::from_bytes(
      make_file("{\"x\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}", "\x09"), "s");
  SafetensorsFile target = SafetensorsFile::from_bytes(make_file("{}"), "other");
  target = std::move(small);
  EXPECT_EQ(std::to_integer<int>(target.tensor_bytes("x")[0]), 9);
}

TEST(SafetensorsTest, ReadsAFileLaidOutByTheReferenceWriter) {
  // The example file from Hugging Face's documentation: header length 0x3c, keys in the
  // reference's field order (not ours), no padding.
  const std::string header = R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";
  ASSERT_EQ(header.size(), 0x3Cu);
  std::string data(16, '\0');
  data[4] = 1;                         // element [0][1] = 1
  data[15] = static_cast<char>(0x80);  // element [1][1] = INT32_MIN
  const auto file = SafetensorsFile::from_bytes(make_file(header, data), "hf");
  const TensorInfo& info = file.get("test");
  EXPECT_EQ(info.dtype, DType::kI32);
  EXPECT_EQ(info.shape, (std::vector<std::int64_t>{2, 2}));
  std::int32_t values[4];
  std::memcpy(values, file.tensor_bytes(info).data(), sizeof(values));
  EXPECT_EQ(values[1], 1);
  EXPECT_EQ(values[3], std::numeric_limits<std::int32_t>::min());
}

TEST(SafetensorsTest, AcceptsSpacePaddedHeadersAndIgnoresUnknownEntryKeys) {
  const std::string header = R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":true}})"
                             "      ";
  const auto file = SafetensorsFile::from_bytes(make_file(header, "ab"), "pad");
  EXPECT_EQ(file.get("a").nbytes(), 2u);
}

TEST(SafetensorsTest, OutputIsDeterministicPaddedAndAligned) {
  const std::vector<std::uint8_t> odd = {1, 2, 3};
  const std::vector<double> wide = {1.0, 2.0};
  const std::vector<float> mid = {5.0f};
  const std::vector<std::uint16_t> half = {0x3C00};
  const auto a = serialize_safetensors(
      {tensor("z", DType::kU8, {3}, odd), tensor("y", DType::kF32, {1}, mid),
       tensor("x", DType::kF16, {1}, half), tensor("w", DType::kF64, {2}, wide)},
      {{"k", "v"}});
  const auto b = serialize_safetensors(
      {tensor("w", DType::kF64, {2}, wide), tensor("x", DType::kF16, {1}, half),
       tensor("y", DType::kF32, {1}, mid), tensor("z", DType::kU8, {3}, odd)},
      {{"k", "v"}});
  EXPECT_EQ(a, b) << "input order must not change the bytes";

  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<std::uint64_t>(static_cast<unsigned char>(a[i])) << (8 * i);
  EXPECT_EQ(n % 8, 0u);
  const std::string header = a.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  const auto last = header.find_last_not_of(' ');
  EXPECT_EQ(header[last], '}');
  EXPECT_LT(header.size() - 1 - last, 8u) << "padding is less than 8 spaces";

  // Widest first: F64 at 0, F32 at 16, F16 at 20, U8 at 22; all aligned to their size.
  const auto file = SafetensorsFile::from_bytes(a, "det");
  EXPECT_EQ(file.get("w").data_begin, 0u);
  EXPECT_EQ(file.get("y").data_begin, 16u);
  EXPECT_EQ(file.get("x").data_begin, 20u);
  EXPECT_EQ(file.get("z").data_begin, 22u);
  for (const auto& name : file.names()) {
    const TensorInfo& info = file.get(name);
    EXPECT_EQ((8 + n + info.data_begin) % dtype_size(info.dtype), 0u) << name;
  }
}

// ---- conversions and lookups ----

TEST(SafetensorsTest, ConvertsHalfPrecisionBitPatterns) {
  EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_float(0xC000), -2.0f);
  EXPECT_EQ(f16_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_float(0x7BFF), 65504.0f);               // largest finite
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_float(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_to_float(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(f16_to_float(0x8000)));
  EXPECT_EQ(f16_to_float(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16_to_float(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_float(0x7E00)));

  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_float(0x4049), 3.140625f);
  EXPECT_EQ(bf16_to_float(0xFF80), -std::numeric_limits<float>::infinity());
}

TEST(SafetensorsTest, DtypeNamesRoundTrip) {
  for (const DType d : {DType::kF64, DType::kI64, DType::kF32, DType::kI32, DType::kF16,
                        DType::kBF16, DType::kI16, DType::kI8, DType::kU8, DType::kBool}) {
    EXPECT_EQ(parse_dtype(dtype_name(d)), d);
  }
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
  EXPECT_EQ(dtype_size(DType::kBool), 1u);
  EXPECT_EQ(dtype_size(DType::kI64), 8u);
  EXPECT_EQ(parse_dtype("f32"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(shape_to_string(std::vector<std::int64_t>{}), "[]");
  EXPECT_EQ(shape_to_string(std::vector<std::int64_t>{2, 3}), "[2, 3]");
}

TEST(SafetensorsTest, LookupsNameTheMissingTensorAndWrongShapesOrDtypes) {
  const std::vector<std::int64_t> ids = {1, 2};
  const std::vector<float> w = {1, 2, 3, 4, 5, 6};
  const auto file =
      SafetensorsFile::from_bytes(serialize_safetensors({tensor("ids", DType::kI64, {2}, ids),
                                                         tensor("w", DType::kF32, {2, 3}, w)}),
                                  "model.safetensors");
  EXPECT_EQ(file.find("nope"), nullptr);
  ASSERT_NE(file.find("w"), nullptr);
  EXPECT_EQ(file.find("w")->shape, (std::vector<std::int64_t>{2, 3}));

  auto message = [&](auto&& f) -> std::string {
    try {
      f();
    } catch (const SafetensorsError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message([&] { file.get("encoder.bias"); }),
            "model.safetensors: no tensor named 'encoder.bias' (the file has 2 tensors)");
  EXPECT_EQ(message([&] {
              file.to_floats("w", {3, 2});
            }),
            "model.safetensors: tensor 'w': expected shape [3, 2] but the file has [2, 3] (F32)");
  EXPECT_EQ(message([&] { file.to_floats("ids"); }),
            "model.safetensors: tensor 'ids' has dtype I64, expected a floating-point tensor "
            "(F32, F16 or BF16)");
  EXPECT_NE(message([&] { file.to_floats("missing", {1}); }).find("'missing'"), std::string::npos);
}

TEST(SafetensorsTest, OpenReportsMissingAndShortFiles) {
  TempDir dir;
  const std::string missing = dir.file("missing.safetensors");
  try {
    SafetensorsFile::open(missing);
    FAIL() << "no error";
  } catch (const SafetensorsError& e) {
    EXPECT_NE(std::string(e.what()).find(missing + ": cannot open"), std::string::npos) << e.what();
  }
  const std::string empty = dir.file("empty.safetensors");
  std::ofstream(empty).close();
  try {
    SafetensorsFile::open(empty);
    FAIL() << "no error";
  } catch (const SafetensorsError& e) {
    EXPECT_NE(std::string(e.what()).find("too short"), std::string::npos) << e.what();
  }
  try {
    SafetensorsFile::open(dir.file(""));
    FAIL() << "no error";
  } catch (const SafetensorsError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

// ---- writer validation ----

TEST(SafetensorsTest, WriterRejectsInconsistentTensors) {
  const std::vector<float> three = {1, 2, 3};
  auto message = [](const std::vector<TensorToWrite>& tensors) -> std::string {
    try {
      serialize_safetensors(tensors);
    } catch (const SafetensorsError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message({tensor("w", DType::kF32, {2, 2}, three)}),
            "safetensors writer: tensor 'w': 12 bytes given but shape [2, 2] of F32 needs 16");
  EXPECT_NE(message({tensor("w", DType::kF32, {3}, three), tensor("w", DType::kF32, {3}, three)})
                .find("duplicate tensor name 'w'"),
            std::string::npos);
  EXPECT_NE(message({tensor("__metadata__", DType::kF32, {3}, three)}).find("reserved"),
            std::string::npos);
  EXPECT_NE(message({tensor("w", DType::kF32, {-3}, three)}).find("negative"), std::string::npos);
  EXPECT_NE(message({tensor("bad\xff", DType::kF32, {3}, three)}).find("UTF-8"), std::string::npos);

  // Nothing is created when validation fails.
  TempDir dir;
  const std::string path = dir.file("out.safetensors");
  EXPECT_THROW(write_safetensors(path, {tensor("w", DType::kF32, {4}, three)}), SafetensorsError);
  EXPECT_FALSE(std::filesystem::exists(path));
}

// ---- corrupt files: one test per kind of damage ----

const std::string kGood = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
const std::string kEightBytes(8, '\0');

TEST(SafetensorsCorruptTest, ValidBaselineIsAccepted) {
  // The corrupt cases below are small edits of this file; it must itself be fine.
  EXPECT_EQ(error_of(make_file(kGood, kEightBytes)), "");
}

TEST(SafetensorsCorruptTest, TooShort) {
  expect_error("", {"file is 0 bytes, too short for the 8-byte header length"});
  expect_error(std::string("\x02\x00\x00", 3), {"file is 3 bytes"});
}

TEST(SafetensorsCorruptTest, HeaderLengthLargerThanFile) {
  expect_error(make_file("{}", "", 1000),
               {"header length 1000 is larger than the 2 bytes after the length field"});
}

TEST(SafetensorsCorruptTest, HeaderLengthOverLimit) {
  expect_error(make_file("{}", "", 1ULL << 63),
               {"header length 9223372036854775808 exceeds the limit of 100000000 bytes"});
}

TEST(SafetensorsCorruptTest, HeaderNotJson) {
  expect_error(make_file("{\"a\": ", kEightBytes),
               {"header is not valid UTF-8 JSON", "parse error"});
  expect_error(make_file("", ""), {"header is not valid UTF-8 JSON"});
}

TEST(SafetensorsCorruptTest, HeaderNotUtf8) {
  expect_error(make_file("{\"\xff\xfe\": {}}"), {"header is not valid UTF-8 JSON", "UTF-8"});
}

TEST(SafetensorsCorruptTest, HeaderNotAnObject) {
  expect_error(make_file("[1, 2]"), {"header is an array, expected a JSON object"});
  expect_error(make_file("\"text\""), {"header is a string, expected a JSON object"});
}

TEST(SafetensorsCorruptTest, EntryNotAnObjectOrMissingField) {
  expect_error(make_file(R"({"a": [1]})"), {"tensor 'a': entry is an array"});
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2]}})", kEightBytes),
               {"tensor 'a': missing \"data_offsets\""});
}

TEST(SafetensorsCorruptTest, UnknownDtype) {
  expect_error(make_file(R"({"a":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}})", kEightBytes),
               {"tensor 'a': unknown dtype 'F128'", "known: F64"});
  expect_error(make_file(R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", kEightBytes),
               {"tensor 'a': dtype is an integer, expected a string"});
}

TEST(SafetensorsCorruptTest, NegativeShape) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kEightBytes),
               {"tensor 'a': invalid shape [-2]: dimensions must be non-negative integers"});
}

TEST(SafetensorsCorruptTest, NonIntegerShape) {
  expect_error(
      make_file(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", kEightBytes),
      {"tensor 'a': invalid shape [2.0]"});
  expect_error(
      make_file(R"({"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", kEightBytes),
      {"tensor 'a': invalid shape [\"2\"]"});
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", kEightBytes),
               {"tensor 'a': shape is an integer, expected an array"});
}

TEST(SafetensorsCorruptTest, MalformedOffsets) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", kEightBytes),
               {"tensor 'a': invalid data_offsets [0]: expected [begin, end]"});
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", kEightBytes),
               {"tensor 'a': invalid data_offsets [-8,0]"});
}

TEST(SafetensorsCorruptTest, OffsetsOutOfBounds) {
  // 'b' starts past the end of an 8-byte data section (with a hole before it).
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[100,104]}})",
                         kEightBytes),
               {"tensor 'b': data_offsets [100, 104] out of bounds: the data section has 8 bytes"});
}

TEST(SafetensorsCorruptTest, BeginAfterEnd) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", kEightBytes),
               {"tensor 'a': data_offsets [8, 0]: begin is after end"});
}

TEST(SafetensorsCorruptTest, SizeShapeMismatch) {
  expect_error(
      make_file(R"({"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::string(12, 0)),
      {"tensor 'x': data_offsets [0, 12] but shape [2, 2] of F32 needs 16 bytes"});
}

TEST(SafetensorsCorruptTest, ShapeOverflow) {
  // 2^32 * 2^32 * 4 bytes wraps to 0 in 64 bits; it must not pass as an empty tensor.
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                         R"("data_offsets":[0,0]}})"),
               {"tensor 'a': shape [4294967296, 4294967296] of F32 is too large"});
}

TEST(SafetensorsCorruptTest, OverlappingTensors) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                         std::string(12, 0)),
               {"tensors 'a' [0, 8] and 'b' [4, 12] overlap"});
  // An empty tensor placed inside another one also counts.
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                         kEightBytes),
               {"tensors 'a' [0, 8] and 'e' [4, 4] overlap"});
}

TEST(SafetensorsCorruptTest, HoleBetweenTensors) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                         std::string(12, 0)),
               {"bytes [4, 8) of the data section belong to no tensor (before 'b')"});
}

TEST(SafetensorsCorruptTest, TrailingBytesAfterLastTensor) {
  expect_error(make_file(kGood, std::string(11, 0)),
               {"3 bytes after the last tensor (offset 8) belong to no tensor"});
}

TEST(SafetensorsCorruptTest, DuplicateTensorNames) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         kEightBytes),
               {"duplicate tensor name 'a'"});
  expect_error(make_file(R"({"a":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}})",
                         kEightBytes),
               {"tensor 'a': duplicate key 'dtype'"});
  expect_error(make_file(R"({"__metadata__":{"k":"1","k":"2"}})"),
               {"__metadata__: duplicate key 'k'"});
}

TEST(SafetensorsCorruptTest, NonStringMetadata) {
  expect_error(make_file(R"({"__metadata__":{"epochs":3}})"),
               {"__metadata__: value of 'epochs' is an integer, expected a string"});
  expect_error(make_file(R"({"__metadata__":["x"]})"),
               {"__metadata__ is an array, expected an object of strings"});
}

TEST(SafetensorsCorruptTest, TruncatedDataSection) {
  const std::vector<float> w = {1, 2, 3, 4};
  const std::string good = serialize_safetensors({tensor("w", DType::kF32, {4}, w)});
  ASSERT_EQ(error_of(good), "");
  expect_error(good.substr(0, good.size() - 5),
               {"data section truncated: the header describes 16 bytes of tensor data but only 11 "
                "bytes follow it"});
}

}  // namespace
}  // namespace jointnlu
