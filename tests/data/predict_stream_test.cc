// predict's streaming reader and writer: every input form, bad records under both policies, bounded
// lines, batches, and results that come out before the input ends.
#include "data/predict_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file_io.h"
#include "test_util.h"

namespace jointnlu {
namespace {

using testing::TempDir;

// Every record of a file: its text, or "!" + the problem.
std::vector<std::string> read_all(const std::string& path) {
  PredictReader reader(path, 512);
  std::vector<std::string> out;
  PredictItem item;
  while (reader.next(item) == PredictReader::Status::kItem)
    out.push_back(item.problem ? "!" + *item.problem : item.text);
  return out;
}

// A parser that names each text's batch: the domain is "batchN".
struct FakeParser {
  std::vector<std::size_t> batch_sizes;
  std::vector<Prediction> operator()(const std::vector<std::string>& texts) {
    batch_sizes.push_back(texts.size());
    std::vector<Prediction> out(texts.size());
    for (auto& p : out) p.frame.domain = "batch" + std::to_string(batch_sizes.size());
    return out;
  }
};

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(PredictReader, ReadsLinesJsonLinesAndArrays) {
  TempDir dir;
  EXPECT_EQ(
      read_all(dir.write("a.txt", "\xEF\xBB\xBF播放稻香\r\n\n  \n{\"text\": \"打开空调\"}\n末行")),
      (std::vector<std::string>{"播放稻香", "打开空调", "末行"}));
  EXPECT_EQ(read_all(dir.write("b.json",
                               "  [{\"text\": \"一\", \"domain\": \"d\", \"intent\": "
                               "\"i\", \"slots\": {}}]\n")),
            (std::vector<std::string>{"一"}));
  EXPECT_EQ(read_all(dir.write("empty.txt", "")), std::vector<std::string>{});
  EXPECT_EQ(read_all(dir.write("blank.txt", "\n \n")), std::vector<std::string>{});
  EXPECT_THROW({ PredictReader absent(dir.path() + "/absent.txt", 512); }, IoError);
}

TEST(PredictReader, BadRecordsComeBackWithTheirLine) {
  TempDir dir;
  const std::string huge(kMaxPredictLineBytes + 10, 'x');
  const std::string path =
      dir.write("bad.txt", "好\n{\"txt\": 1}\n{not json\n" + huge + "\n" + "\xff\xfe\n还有\n");
  PredictReader reader(path, 512);
  PredictItem item;
  std::vector<std::pair<std::size_t, std::string>> seen;  // line, text or problem
  while (reader.next(item) == PredictReader::Status::kItem)
    seen.emplace_back(item.where.line, item.problem ? "!" + *item.problem : item.text);
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[0], (std::pair<std::size_t, std::string>{1, "好"}));
  EXPECT_EQ(seen[1].first, 2u);
  EXPECT_NE(seen[1].second.find("string field \"text\""), std::string::npos) << seen[1].second;
  EXPECT_NE(seen[2].second.find("malformed JSON line"), std::string::npos) << seen[2].second;
  EXPECT_EQ(seen[3],
            (std::pair<std::size_t, std::string>{
                4, "!line longer than " + std::to_string(kMaxPredictLineBytes) + " bytes"}));
  EXPECT_EQ(seen[4].first, 5u);
  EXPECT_EQ(seen[4].second.rfind("!", 0), 0u);  // invalid UTF-8
  EXPECT_EQ(seen[5], (std::pair<std::size_t, std::string>{6, "还有"}));
}

TEST(PredictStream, SkipWritesErrorRecordsInOrderRejectKeepsTheLinesBefore) {
  TempDir dir;
  const std::string path = dir.write("in.txt", "一\n二\n{\"txt\": 1}\n三\n");
  {
    PredictReader reader(path, 512);
    std::ostringstream out;
    FakeParser parser;
    PredictStreamOptions options;
    options.on_error = OnError::kSkip;
    const auto report = stream_predictions(reader, out, std::ref(parser), options);
    EXPECT_EQ(report.predicted, 3u);
    EXPECT_EQ(report.skipped, 1u);
    const auto rows = json_lines(out.str());
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0]["text"], "一");
    EXPECT_EQ(rows[1]["text"], "二");
    EXPECT_EQ(rows[2]["line"], 3);
    EXPECT_EQ(rows[2]["record"], 3);
    EXPECT_EQ(rows[2]["error"].get<std::string>().rfind(path + ": record 3 (line 3): ", 0), 0u);
    EXPECT_EQ(rows[3]["text"], "三");
  }
  {
    PredictReader reader(path, 512);
    std::ostringstream out;
    FakeParser parser;
    try {
      stream_predictions(reader, out, std::ref(parser), {});
      FAIL() << "a bad record under reject must stop the stream";
    } catch (const DataError& e) {
      EXPECT_EQ(e.where().line, 3u);
    }
    const auto rows = json_lines(out.str());
    ASSERT_EQ(rows.size(), 2u);  // the lines before it, parsed and written
    EXPECT_EQ(rows[1]["text"], "二");
  }
  // To a file: the lines before the bad one are kept there, then the error comes.
  FakeParser parser;
  const std::string out = dir.path() + "/out.jsonl";
  EXPECT_THROW(predict_stream(path, out, 512, std::ref(parser), {}), DataError);
  EXPECT_EQ(json_lines(read_file(out)).size(), 2u);
}

TEST(PredictStream, ParsesInBatchesOfAtMostTheBatchSize) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 10; ++i) text += "句子" + std::to_string(i) + "\n";
  PredictReader reader(dir.write("in.txt", text), 512);
  std::ostringstream out;
  FakeParser parser;
  PredictStreamOptions options;
  options.batch = 4;
  EXPECT_EQ(stream_predictions(reader, out, std::ref(parser), options).predicted, 10u);
  EXPECT_EQ(parser.batch_sizes, (std::vector<std::size_t>{4, 4, 2}));
  const auto rows = json_lines(out.str());
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[9]["text"], "句子9");
  EXPECT_EQ(rows[9]["domain"], "batch3");
}

// A slow producer: the first line's result is written while the writer still holds the pipe open
// (the stream does not wait for a full batch or for the end of input).
TEST(PredictStream, WritesEachResultBeforeTheInputEnds) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int saved_stdin = ::dup(STDIN_FILENO);
  ASSERT_EQ(::dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
  ::close(fds[0]);
  std::ostringstream out;
  std::atomic<bool> first_parsed{false};
  bool first_parsed_before_end = false;
  std::thread producer([&] {
    const std::string first = "第一句\n";
    EXPECT_EQ(::write(fds[1], first.data(), first.size()), static_cast<ssize_t>(first.size()));
    // Wait (bounded) for the first result while the pipe stays open.
    for (int i = 0; i < 500 && !first_parsed; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    first_parsed_before_end = first_parsed;
    const std::string second = "第二句\n";
    EXPECT_EQ(::write(fds[1], second.data(), second.size()), static_cast<ssize_t>(second.size()));
    ::close(fds[1]);
  });
  PredictReader reader("-", 512);
  FakeParser parser;
  const ParseBatch parse = [&](const std::vector<std::string>& texts) {
    auto result = parser(texts);
    first_parsed = true;
    return result;
  };
  const auto report = stream_predictions(reader, out, parse, {});
  producer.join();
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  EXPECT_EQ(report.predicted, 2u);
  EXPECT_TRUE(first_parsed_before_end);
  EXPECT_EQ(parser.batch_sizes, (std::vector<std::size_t>{1, 1}));
}

}  // namespace
}  // namespace jointnlu
