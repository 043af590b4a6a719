// StudentParser and the public C++ API: batch == single, many threads == one thread,
// input errors, and resident memory of a loaded (memory-mapped) model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "core/decoding.h"
#include "jointnlu/jointnlu.h"
#include "runtime/export.h"
#include "runtime/student_parser.h"
#include "student_fixture.h"

namespace jointnlu::runtime {
namespace {

using testing::TempDir;

std::vector<std::string> lines(const std::vector<std::string>& texts,
                               const std::vector<Prediction>& predictions) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < texts.size(); ++i)
    out.push_back(prediction_json_line(texts[i], predictions[i]));
  return out;
}

class ParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::StudentSpec spec;
    spec.pooling = "attention";
    spec.num_layers = 2;
    files_ = testing::write_student(dir_.path(), spec);
    texts_.assign(files_.texts.begin(), files_.texts.begin() + 40);
  }
  TempDir dir_;
  testing::StudentFiles files_;
  std::vector<std::string> texts_;
};

TEST_F(ParserTest, BatchEqualsSingleCalls) {
  // More texts than StudentParser::kBatchSize, so batches end part-full and threads share them,
  // and texts long enough (max_length 24 here) that the token budget splits batches earlier.
  ASSERT_GT(texts_.size(), 2 * StudentParser::kBatchSize);
  for (std::size_t i = 0; i + 4 < files_.texts.size() && i < 60; i += 3)
    texts_.push_back(files_.texts[i] + files_.texts[i + 1] + files_.texts[i + 2]);
  const std::string int8_path = dir_.path() + "/int8.safetensors";
  export_student(dir_.path(), int8_path, true);
  for (const std::string& model : {dir_.path(), int8_path}) {
    const auto parser = StudentParser::open(model);
    std::vector<Prediction> single;
    for (const auto& t : texts_) single.push_back(parser.parse(t));
    EXPECT_EQ(lines(texts_, parser.parse_batch(texts_, 1)), lines(texts_, single)) << model;
    EXPECT_EQ(lines(texts_, parser.parse_batch(texts_, 3)), lines(texts_, single)) << model;
    const std::vector<std::string> one{texts_[5]};
    EXPECT_EQ(lines(one, parser.parse_batch(one, 2)), lines(one, {single[5]})) << model;
    EXPECT_TRUE(parser.parse_batch({}, 4).empty());
  }
}

TEST_F(ParserTest, EightThreadsOnOneModelMatchOneThread) {
  const std::string path = dir_.path() + "/int8.safetensors";
  export_student(dir_.path(), path, true);
  for (const std::string& model : {dir_.path(), path}) {
    const auto parser = StudentParser::open(model);
    const auto want = lines(texts_, parser.parse_batch(texts_));
    std::vector<std::vector<std::string>> got(8);
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < got.size(); ++k)
      threads.emplace_back([&, k] {
        for (int round = 0; round < 5; ++round) {
          std::vector<Prediction> p;
          // Each thread walks the texts from a different start, so threads run different lengths.
          for (std::size_t i = 0; i < texts_.size(); ++i)
            p.push_back(parser.parse(texts_[(i + k * 5) % texts_.size()]));
          std::rotate(p.begin(), p.end() - static_cast<long>((k * 5) % texts_.size()), p.end());
          got[k] = lines(texts_, p);
        }
      });
    for (auto& t : threads) t.join();
    for (const auto& g : got) EXPECT_EQ(g, want) << model;
  }
}

TEST_F(ParserTest, PublicApi) {
  ParserOptions options;
  options.threads = 4;
  options.max_chars = 20;
  const auto parser = Parser::open(dir_.path(), options);
  const ModelInfo info = parser.info();
  EXPECT_EQ(info.weights, "fp32");
  EXPECT_EQ(info.pooling, "attention");
  EXPECT_EQ(info.num_layers, 2u);
  EXPECT_EQ(info.domains, static_cast<std::size_t>(files_.labels.domains().size()));

  const StudentParser internal = StudentParser::open(dir_.path());
  const ParseResult r = parser.parse(texts_[0]);
  const Prediction p = internal.parse(texts_[0]);
  EXPECT_EQ(r.text, texts_[0]);
  EXPECT_EQ(r.domain, p.frame.domain);
  EXPECT_EQ(r.intent, p.frame.intent);
  EXPECT_DOUBLE_EQ(r.domain_confidence, p.domain_score);
  ASSERT_EQ(r.slots.size(), p.slots.size());
  for (std::size_t i = 0; i < r.slots.size(); ++i) {
    EXPECT_EQ(r.slots[i].key, p.slots[i].span.key);
    EXPECT_EQ(r.slots[i].value, p.slots[i].value);
    EXPECT_EQ(r.slots[i].start, p.slots[i].span.begin);
  }
  const auto batch = parser.parse_batch(texts_);
  ASSERT_EQ(batch.size(), texts_.size());
  EXPECT_EQ(to_json(batch[0]), to_json(r));
  EXPECT_NE(to_json(r).find("\"domain_confidence\""), std::string::npos);

  const auto code_of = [&](const std::string& text) {
    try {
      parser.parse(text);
    } catch (const Error& e) {
      return e.code();
    }
    return Error::Code::kInternal;
  };
  EXPECT_EQ(code_of(""), Error::Code::kInvalidInput);
  EXPECT_EQ(code_of("\xff\xfe"), Error::Code::kInvalidInput);
  EXPECT_EQ(code_of(std::string(21, 'a')), Error::Code::kInvalidInput);
  EXPECT_THROW(parser.parse_batch({"ok", ""}), Error);

  try {
    Parser::open(dir_.path() + "/missing.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Error::Code::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("missing.safetensors"), std::string::npos) << e.what();
  }
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Weights are copied once into the kernels' layout and their mapped pages released, so a loaded
// model costs about its file size, not twice that.
TEST(StudentMemoryTest, ResidentMemoryStaysNearTheFileSize) {
  TempDir dir;
  testing::StudentSpec spec;
  spec.embedding_size = 128;
  spec.hidden_size = 256;
  spec.num_layers = 2;
  testing::write_student(dir.path(), spec);
  const std::string path = dir.path() + "/m.safetensors";
  const auto report = export_student(dir.path(), path, false);
  ASSERT_GT(report.file_bytes, 8u << 20);  // large enough for the comparison to mean something
  const std::size_t before = resident_bytes();
  const auto parser = StudentParser::open(path);
  parser.parse("播放周杰伦的稻香");
  const std::size_t growth = resident_bytes() - std::min(before, resident_bytes());
  EXPECT_LE(growth, report.file_bytes + (10u << 20))
      << "file " << report.file_bytes << " bytes, RSS grew " << growth;
}

}  // namespace
}  // namespace jointnlu::runtime
