// A dev set that shares no labels with training is named before training, not found out from 0s.
#include "data/label_overlap.h"

#include <gtest/gtest.h>

#include "data/dataset.h"

namespace jointnlu {
namespace {

Example example(const std::string& domain, const std::string& intent) {
  Example e;
  e.domain = domain;
  e.intent = intent;
  return e;
}

Record record(const std::string& domain, const std::string& intent, SlotPairs slots = {}) {
  Record r;
  r.domain = domain;
  r.intent = intent;
  r.slots = std::move(slots);
  return r;
}

TEST(LabelOverlap, NamesDisjointAndPartlyUnseenLabels) {
  const std::vector<Example> train = {example("music", "PLAY"), example("weather", "QUERY")};
  EXPECT_TRUE(label_overlap_warnings(train, {record("music", "PLAY")}, "dev.json").empty());
  EXPECT_TRUE(label_overlap_warnings(train, {}, "dev.json").empty());

  const auto disjoint =
      label_overlap_warnings(train, {record("O-B", "ATIS"), record("flight", "ATIS")}, "dev.json");
  ASSERT_EQ(disjoint.size(), 2u);
  EXPECT_EQ(disjoint[0],
            "dev.json: no domain in common with the training data: every domain will score 0 (are "
            "these files from the same task?)");
  EXPECT_NE(disjoint[1].find("no intent in common"), std::string::npos);

  std::vector<Record> partly(9, record("music", "PLAY"));
  partly.push_back(record("video", "PLAY", {{"film", "x"}}));
  const auto some = label_overlap_warnings(train, partly, "dev.json");
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0], "dev.json: 1 of 10 records (10%) have a domain the training data never has");
  EXPECT_EQ(some[1], "dev.json: 1 of 10 records (10%) have a slot key the training data never has");
}

}  // namespace
}  // namespace jointnlu
