// Lossless conversions on the real datasets beside the checkout (skipped when ../shared is absent):
// dict -> spans -> tags -> spans -> dict must reproduce every record.
#include <gtest/gtest.h>

#include "core/tagging.h"
#include "data/dataset.h"
#include "data/stats.h"
#include "test_util.h"

namespace jointnlu {
namespace {

// Returns a description of every record whose slot dict does not survive the round trip.
std::vector<std::string> round_trip_failures(const std::vector<Record>& records, TagScheme scheme,
                                             std::size_t* nested_records) {
  std::vector<std::string> failures;
  for (const auto& r : records) {
    const Example ex = align(r);
    *nested_records += !ex.nested.empty();
    const auto tags = spans_to_tags(ex.size(), ex.spans, scheme);
    Example back = ex;
    back.spans = tags_to_spans(tags, scheme);
    // The dict as read must equal the dict recovered from the tags plus the nested pairs the reader
    // reported (those are the only ones flat tags cannot carry).
    SlotPairs recovered = back.slots();
    recovered.insert(recovered.end(), ex.nested.begin(), ex.nested.end());
    if (canonical(recovered) != canonical(r.slots) || back.spans != ex.spans)
      failures.push_back(r.where.to_string() + ": " + r.text);
  }
  return failures;
}

class SharedData : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedData, SlotDictRoundTripsThroughTags) {
  const std::string path = testing::shared_path(GetParam());
  JOINTNLU_REQUIRE_FILE(path);
  ReadReport report;
  const auto records = read_records(path, {}, &report);
  EXPECT_EQ(records.size(), report.records);
  for (auto scheme : {TagScheme::kBio, TagScheme::kBioes}) {
    std::size_t nested = 0;
    const auto failures = round_trip_failures(records, scheme, &nested);
    for (const auto& f : failures) ADD_FAILURE() << "round trip failed: " << f;
    EXPECT_TRUE(failures.empty());
    if (scheme == TagScheme::kBio)
      std::cout << "[ info ] " << GetParam() << ": " << records.size()
                << " records, 0 round-trip failures, " << nested << " with nested slot values\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Files, SharedData,
                         ::testing::Values("data/smp2019/train.json", "data/smp2019/dev.json",
                                           "data/smp2019/test.json", "data/cais/ch.train",
                                           "data/cais/ch.valid"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(SharedDataStats, Smp2019TrainAsTheIssueStates) {
  const std::string path = testing::shared_path("data/smp2019/train.json");
  JOINTNLU_REQUIRE_FILE(path);
  const auto st = compute_stats(path, {});
  EXPECT_EQ(st.records, 2053u);
  EXPECT_EQ(st.aligned, 2053u);
  EXPECT_EQ(st.domains.size(), 28u);  // the file has 28 distinct domains
  EXPECT_TRUE(st.problems.empty());
  // Exactly two records nest one value inside another; both are named.
  ASSERT_EQ(st.nested.size(), 2u);
  EXPECT_EQ(st.nested[0].where().record, 10u);
  EXPECT_EQ(st.nested[1].where().record, 1899u);
}

TEST(SharedDataStats, CaisLoadsCompletely) {
  const std::string path = testing::shared_path("data/cais/ch.train");
  JOINTNLU_REQUIRE_FILE(path);
  const auto st = compute_stats(path, {});
  EXPECT_EQ(st.records, 7995u);
  EXPECT_EQ(st.aligned, 7995u);
  EXPECT_TRUE(st.problems.empty());
  EXPECT_TRUE(st.nested.empty());
}

TEST(DemoData, IsCleanAndCoversEnoughDomains) {
  for (const char* split : {"train", "dev", "test"}) {
    const auto st =
        compute_stats(testing::source_path(std::string("data/demo/") + split + ".json"), {});
    EXPECT_GT(st.records, 50u) << split;
    EXPECT_EQ(st.aligned, st.records) << split;
    EXPECT_TRUE(st.problems.empty()) << split;
    EXPECT_TRUE(st.nested.empty()) << split;
    EXPECT_GE(st.domains.size(), 6u) << split;
  }
}

}  // namespace
}  // namespace jointnlu
