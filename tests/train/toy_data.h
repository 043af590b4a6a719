// A handful of hand-made utterances for the model tests (teacher, student, distillation).
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/example.h"
#include "core/tokenizer.h"
#include "core/utf8.h"
#include "data/dataset.h"

namespace jointnlu::testing {

inline std::vector<Record> toy_records() {
  const std::vector<std::tuple<std::string, std::string, std::string, SlotPairs>> rows = {
      {"播放周杰伦的稻香", "music", "PLAY", {{"artist", "周杰伦"}, {"song", "稻香"}}},
      {"来一首王菲的红豆", "music", "PLAY", {{"artist", "王菲"}, {"song", "红豆"}}},
      {"北京明天天气怎么样",
       "weather",
       "QUERY",
       {{"location_city", "北京"}, {"datetime_date", "明天"}}},
      {"上海今天下雨吗",
       "weather",
       "QUERY",
       {{"location_city", "上海"}, {"datetime_date", "今天"}}},
      {"明天早上七点叫我",
       "alarm",
       "CREATE",
       {{"datetime_date", "明天"}, {"datetime_time", "早上七点"}}},
      {"打开微信", "app", "LAUNCH", {{"name", "微信"}}},
      {"给妈妈打电话", "telephone", "DIAL", {{"name", "妈妈"}}},
      {"查一下上海的天气", "weather", "QUERY", {{"location_city", "上海"}}},
  };
  std::vector<Record> out;
  for (const auto& [text, domain, intent, slots] : rows) {
    Record r;
    r.text = text;
    r.domain = domain;
    r.intent = intent;
    r.slots = slots;
    out.push_back(r);
  }
  return out;
}

inline std::vector<Example> align_all(const std::vector<Record>& records) {
  std::vector<Example> out;
  for (const auto& r : records) out.push_back(align(r));
  return out;
}

inline Tokenizer toy_tokenizer(const std::vector<Record>& records) {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::set<std::string> seen;
  for (const auto& r : records) {
    const auto decoded = decode_utf8(r.text);
    for (char32_t c : decoded->chars) {
      std::string s;
      append_utf8(s, c);
      if (seen.insert(s).second) vocab.push_back(s);
    }
  }
  return Tokenizer(vocab);
}

}  // namespace jointnlu::testing
