// Writes the seed corpora of the fuzz targets into OUT/TARGET/, from real files: students written
// the way training writes them and exported (fp32, int8, attention pooling, two layers), their
// configs, the bundled demo data in each reader format, the demo vocabulary and texts, and API
// requests. Usage: fuzz_seeds OUT
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/file_io.h"
#include "data/dataset.h"
#include "runtime/export.h"
#include "student_fixture.h"

namespace {

void put(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

// CoNLL/BIOES lines (char TAG) of a record, from its aligned example.
std::string conll(const jointnlu::Example& e) {
  std::vector<std::string> tags(e.size(), "O");
  for (const auto& span : e.spans)
    for (std::size_t i = span.begin; i < span.end; ++i)
      tags[i] = (span.end - span.begin == 1 ? "S-"
                 : i == span.begin          ? "B-"
                 : i + 1 == span.end        ? "E-"
                                            : "I-") +
                span.key;
  std::string out;
  const auto& offsets = e.decoded.offsets;
  for (std::size_t i = 0; i < e.size(); ++i)
    out += e.text.substr(offsets[i], offsets[i + 1] - offsets[i]) + " " + tags[i] + "\n";
  return out + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT\n");
    return 2;
  }
  const std::string out = argv[1];
  const std::string work = out + "/.students";
  namespace jt = jointnlu::testing;

  int n = 0;
  for (const std::string pooling : {"max", "attention"}) {
    for (const std::size_t layers : {1, 2}) {
      jt::StudentSpec spec;
      spec.pooling = pooling;
      spec.num_layers = layers;
      spec.hidden_size = 6;
      spec.embedding_size = 8;
      const std::string dir = work + "/" + std::to_string(n);
      std::filesystem::create_directories(dir);
      jt::write_student(dir, spec);
      put(out + "/fuzz_model_config", "config" + std::to_string(n) + ".json",
          jointnlu::read_file(dir + "/config.json"));
      for (const bool int8 : {false, true}) {
        const std::string file = work + "/model" + std::to_string(n) + (int8 ? "-int8" : "");
        jointnlu::runtime::export_student(dir, file, int8);
        put(out + "/fuzz_model", std::filesystem::path(file).filename().string(),
            jointnlu::read_file(file));
      }
      ++n;
    }
  }
  std::filesystem::remove_all(work);

  const std::string demo = jointnlu::testing::source_path("data/demo/train.json");
  const std::string smp = jointnlu::read_file(demo);
  const auto records = jointnlu::parse_records(demo, smp);
  std::ostringstream jsonl;
  jointnlu::write_jsonl(
      jsonl, {records.begin(), records.begin() + std::min<std::size_t>(20, records.size())});
  std::string bioes;
  for (std::size_t i = 0; i < std::min<std::size_t>(20, records.size()); ++i)
    bioes += conll(jointnlu::align(records[i]));
  put(out + "/fuzz_readers", "smp.json", std::string(1, '\0') + smp.substr(0, 4000) + "]");
  put(out + "/fuzz_readers", "demo.jsonl", std::string(1, '\1') + jsonl.str());
  put(out + "/fuzz_readers", "demo.conll", std::string(1, '\2') + bioes);
  put(out + "/fuzz_readers", "auto.jsonl", std::string(1, '\3') + jsonl.str());

  std::string vocab = "\n";
  for (const auto& e : jt::demo_examples())
    for (std::size_t i = 0; i < e.size() && vocab.size() < 20000; ++i) {
      const std::string c =
          e.text.substr(e.decoded.offsets[i], e.decoded.offsets[i + 1] - e.decoded.offsets[i]);
      if (vocab.find("\n" + c + "\n") == std::string::npos) vocab += c + "\n";
    }
  put(out + "/fuzz_tokenizer", "zh",
      vocab.substr(1) + "\n" + "播放周杰伦的稻香 Hello, WORLD! 123 ü");
  put(out + "/fuzz_tokenizer", "wordpiece", "hello\n##lo\nhe\n##l\nworld\n\nhello helllo world");

  const std::string h = out + "/fuzz_http_api";
  put(h, "parse", "POST /v1/parse\napplication/json\n\n{\"text\": \"播放周杰伦的稻香\"}");
  put(h, "batch", "POST /v1/parse\napplication/json\n\n{\"texts\": [\"打开微信\", \"明天\"]}");
  put(h, "health", "GET /health\n\n\n");
  put(h, "lexicon",
      "PUT /v1/lexicons/contact\napplication/json\nBearer secret\n{\"entries\": [\"张三\"]}");
  put(h, "delete", "DELETE /v1/lexicons/x\napplication/json; charset=utf-8\nBearer wrong\n{}");
  return 0;
}
