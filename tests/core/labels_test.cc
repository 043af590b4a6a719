#include "core/labels.h"

#include <gtest/gtest.h>

namespace jointnlu {
namespace {

TEST(LabelVocab, SortedDistinctLabelsFromObservations) {
  auto v = LabelVocab::from_observed({"music", "chat", "music", "weather"});
  EXPECT_EQ(v.labels(), (std::vector<std::string>{"chat", "music", "weather"}));
  EXPECT_EQ(v.id("music"), 1);
  EXPECT_EQ(v.name(2), "weather");
}

TEST(LabelVocab, UnseenLabelsMapToUnknown) {
  auto v = LabelVocab::from_observed({"a"});
  EXPECT_EQ(v.id("never_seen"), LabelVocab::kUnknown);
  EXPECT_EQ(v.name(LabelVocab::kUnknown), "<unk>");
  EXPECT_FALSE(v.contains("never_seen"));
  EXPECT_THROW(v.name(5), std::out_of_range);
}

TEST(LabelVocab, RejectsDuplicatesAndTheReservedName) {
  EXPECT_THROW(LabelVocab({"a", "a"}), std::invalid_argument);
  EXPECT_THROW(LabelVocab({"<unk>"}), std::invalid_argument);
}

}  // namespace
}  // namespace jointnlu
