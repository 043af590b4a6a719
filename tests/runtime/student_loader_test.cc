// The loader refuses every malformed checkpoint with a message naming the file, the tensor, what
// was expected and what was found.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/file_io.h"
#include "runtime/export.h"
#include "runtime/student_model.h"
#include "student_fixture.h"

namespace jointnlu::runtime {
namespace {

using testing::TempDir;

// Rewrites `path` from the fixture's tensors after `edit`, with the given metadata.
void rewrite(const std::string& path, std::map<std::string, testing::Tensor> tensors,
             const std::map<std::string, std::string>& metadata = {},
             const std::string& f16_tensor = "") {
  std::vector<TensorToWrite> out;
  std::vector<std::uint16_t> halves;
  for (const auto& [name, t] : tensors) {
    if (name == f16_tensor) {
      halves.assign(t.values.size(), 0x3c00);  // 1.0
      out.push_back({name, DType::kF16, t.shape, halves.data(), halves.size() * 2});
    } else {
      out.push_back({name, DType::kF32, t.shape, t.values.data(), t.values.size() * sizeof(float)});
    }
  }
  write_safetensors(path, out, metadata);
}

std::string load_error(const std::string& path) {
  try {
    StudentModel::load(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(loaded)";
}

class StudentLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override { files_ = testing::write_student(dir_.path()); }
  std::string model_file() const { return dir_.path() + "/model.safetensors"; }

  TempDir dir_;
  testing::StudentFiles files_;
};

TEST_F(StudentLoaderTest, WrongShape) {
  auto tensors = files_.tensors;
  tensors["lstm.weight_hh_l0"] = {{48, 11}, std::vector<float>(48 * 11)};
  rewrite(model_file(), tensors);
  EXPECT_EQ(load_error(dir_.path()), model_file() +
                                         ": tensor 'lstm.weight_hh_l0': expected F32 [48, 12], "
                                         "found F32 [48, 11]");
}

TEST_F(StudentLoaderTest, WrongDtype) {
  rewrite(model_file(), files_.tensors, {}, "slot_classifier.weight");
  const auto tags = std::to_string(files_.labels.tags().size());
  EXPECT_EQ(load_error(dir_.path()), model_file() +
                                         ": tensor 'slot_classifier.weight': expected F32 [" +
                                         tags + ", 24], found F16 [" + tags + ", 24]");
}

TEST_F(StudentLoaderTest, MissingTensor) {
  auto tensors = files_.tensors;
  tensors.erase("lstm.bias_hh_l0_reverse");
  rewrite(model_file(), tensors);
  EXPECT_EQ(load_error(dir_.path()),
            model_file() + ": missing tensor 'lstm.bias_hh_l0_reverse' (F32 [48])");
}

TEST_F(StudentLoaderTest, UnexpectedTensor) {
  auto tensors = files_.tensors;
  tensors["attention.proj.weight"] = {{4, 24}, std::vector<float>(96)};  // max pooling has none
  rewrite(model_file(), tensors);
  EXPECT_EQ(
      load_error(dir_.path()),
      model_file() + ": unexpected tensor 'attention.proj.weight': not part of this architecture");
}

TEST_F(StudentLoaderTest, BadConfig) {
  testing::TempDir other;
  dir_.write("config.json", R"({"model_type": "jointnlu-bilstm", "vocab_size": 0})");
  EXPECT_EQ(load_error(dir_.path()),
            dir_.path() + "/config.json: \"vocab_size\" must be a positive integer");
}

TEST_F(StudentLoaderTest, NotAnExport) {
  // A checkpoint's bare safetensors file has no metadata: the runtime needs the directory or an
  // export.
  EXPECT_EQ(load_error(model_file()),
            model_file() +
                ": metadata has no 'format': not a model written by `jointnlu export` "
                "(give a student directory or export one)");
}

TEST_F(StudentLoaderTest, CorruptMetadata) {
  const std::string path = dir_.path() + "/export.safetensors";
  export_student(dir_.path(), path, false);
  const auto meta = SafetensorsFile::open(path).metadata();
  {
    auto m = meta;
    m["format_version"] = "3";
    rewrite(path, files_.tensors, m);
    EXPECT_EQ(load_error(path),
              path + ": metadata 'format_version' is '3', this runtime reads versions 1 to 2");
  }
  {
    auto m = meta;
    m["config"] = "{not json";
    rewrite(path, files_.tensors, m);
    EXPECT_EQ(load_error(path).rfind(path + ": metadata 'config': malformed JSON: ", 0), 0u)
        << load_error(path);
  }
  {
    auto m = meta;
    m.erase("vocab");
    rewrite(path, files_.tensors, m);
    EXPECT_EQ(load_error(path).rfind(path + ": metadata has no 'vocab'", 0), 0u)
        << load_error(path);
  }
  {
    auto m = meta;
    m["weights"] = "int8";  // but the tensors are F32
    rewrite(path, files_.tensors, m);
    EXPECT_EQ(load_error(path), path + ": tensor 'domain_classifier.weight': expected I8 [" +
                                    std::to_string(files_.labels.domains().size()) +
                                    ", 24], found F32 [" +
                                    std::to_string(files_.labels.domains().size()) + ", 24]");
  }
}

// Overwrites the byte at `index` of a tensor's data in a safetensors file.
void poke(const std::string& path, const std::string& tensor, std::size_t index, char value) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  std::uint64_t header_size = 0;
  f.read(reinterpret_cast<char*>(&header_size), sizeof(header_size));
  std::string header(header_size, '\0');
  f.read(header.data(), static_cast<std::streamsize>(header_size));
  const auto begin =
      nlohmann::json::parse(header).at(tensor).at("data_offsets").at(0).get<std::size_t>();
  f.seekp(static_cast<std::streamoff>(8 + header_size + begin + index));
  f.put(value);
}

TEST_F(StudentLoaderTest, Int8EmbeddingsFollowTheMatrixRules) {
  // The int8 embedding rows go into the int8 products as they are, so -128 (which the AVX2 path
  // cannot negate) and bad scales are refused at load, like in the matrices.
  const std::string path = dir_.path() + "/int8.safetensors";
  export_student(dir_.path(), path, true);
  ASSERT_EQ(load_error(path), "(loaded)");
  const std::size_t e =
      static_cast<std::size_t>(files_.tensors.at("embeddings.word_embeddings.weight").shape.at(1));
  poke(path, "embeddings.word_embeddings.weight", 3 * e + 1, static_cast<char>(-128));
  EXPECT_EQ(load_error(path), path +
                                  ": tensor 'embeddings.word_embeddings.weight': row 3 holds "
                                  "-128 (symmetric quantisation uses [-127, 127])");
  export_student(dir_.path(), path, true);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t b = 0; b < sizeof(float); ++b)
    poke(path, "embeddings.word_embeddings.weight.scale", 2 * sizeof(float) + b,
         reinterpret_cast<const char*>(&nan)[b]);
  EXPECT_EQ(load_error(path), path +
                                  ": tensor 'embeddings.word_embeddings.weight.scale': row 2 "
                                  "has an invalid scale");
}

// A config's sizes are bounded before anything is built from them: a billion layers used to make
// the loader build a billion-entry tensor list (minutes, gigabytes) before comparing any tensor.
TEST_F(StudentLoaderTest, ConfigSizesAreBoundedBeforeAnythingIsBuilt) {
  const std::string config_path = dir_.path() + "/config.json";
  const auto config = nlohmann::json::parse(read_file(config_path));
  const std::pair<const char*, std::string> cases[] = {
      {"num_layers", "\"num_layers\" must be at most 128, found 1000000000"},
      {"hidden_size", "\"hidden_size\" must be at most 65536, found 1000000000"},
      {"vocab_size", "\"vocab_size\" must be at most 4194304, found 1000000000"},
  };
  for (const auto& [field, message] : cases) {
    auto c = config;
    c[field] = 1000000000;
    dir_.write("config.json", c.dump());
    EXPECT_EQ(load_error(dir_.path()), config_path + ": " + message);
  }
}

// Non-finite weights are refused at load with the tensor named, in every kind of tensor: a bias
// (read as a vector), the fp32 embedding (read in place), a packed matrix.
TEST_F(StudentLoaderTest, NonFiniteWeightsAreRefused) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::tuple<std::string, std::size_t, float, std::string> cases[] = {
      {"domain_classifier.bias", 1, nan, "value 1 is not finite (nan)"},
      {"lstm.bias_hh_l0_reverse", 0, inf, "value 0 is not finite (inf)"},
      {"embeddings.word_embeddings.weight", 7, -inf, "value 7 is not finite (-inf)"},
      {"slot_classifier.weight", 0, nan, "non-finite weight"},
  };
  for (const auto& [tensor, index, value, message] : cases) {
    auto tensors = files_.tensors;
    tensors.at(tensor).values.at(index) = value;
    rewrite(model_file(), tensors);
    const std::string error = load_error(dir_.path());
    EXPECT_EQ(error.rfind(model_file() + ": tensor '" + tensor + "': ", 0), 0u) << error;
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
  rewrite(model_file(), files_.tensors);
  EXPECT_EQ(load_error(dir_.path()), "(loaded)");
}

TEST_F(StudentLoaderTest, ExportValidatesTheDirectory) {
  auto tensors = files_.tensors;
  tensors.erase("embeddings.word_embeddings.weight");
  rewrite(model_file(), tensors);
  try {
    export_student(dir_.path(), dir_.path() + "/out.safetensors", true);
    FAIL() << "exported a broken checkpoint";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor 'embeddings.word_embeddings.weight'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/out.safetensors"));
}

}  // namespace
}  // namespace jointnlu::runtime
