// The official scorer on hand-made cases; every expected figure is worked out in the test itself.
#include "data/metrics.h"

#include <gtest/gtest.h>

namespace jointnlu {
namespace {

Frame F(std::string d, std::string i, SlotPairs s = {}) {
  return Frame{std::move(d), std::move(i), std::move(s)};
}

TEST(Scorer, PerfectPredictionsScoreOne) {
  Scorer sc;
  sc.add(F("music", "PLAY", {{"song", "稻香"}}), F("music", "PLAY", {{"song", "稻香"}}));
  sc.add(F("chat", "CHAT"), F("chat", "CHAT"));
  const auto& s = sc.scores();
  EXPECT_DOUBLE_EQ(s.domain_accuracy(), 1.0);
  EXPECT_DOUBLE_EQ(s.intent_accuracy(), 1.0);
  EXPECT_DOUBLE_EQ(s.slot_f1(), 1.0);
  EXPECT_DOUBLE_EQ(s.sentence_accuracy(), 1.0);
}

TEST(Scorer, IntentNeedsTheDomainRightToo) {
  Scorer sc;
  // Same intent string under a wrong domain: not a correct intent.
  sc.add(F("music", "PLAY"), F("video", "PLAY"));
  sc.add(F("music", "PLAY"), F("music", "PLAY"));
  const auto& s = sc.scores();
  EXPECT_DOUBLE_EQ(s.domain_accuracy(), 1.0 / 2);
  EXPECT_DOUBLE_EQ(s.intent_accuracy(), 1.0 / 2);
  EXPECT_EQ(s.domain_confusion.at({"music", "video"}), 1u);
  EXPECT_EQ(s.intent_confusion.at({"music/PLAY", "video/PLAY"}), 1u);
}

TEST(Scorer, SlotPairsCountOnlyUnderRightDomainAndIntent) {
  Scorer sc;
  // 1: right domain, wrong intent; the slot pair is right but cannot count. gold 1, pred 1, tp 0.
  sc.add(F("music", "PLAY", {{"song", "稻香"}}), F("music", "QUERY", {{"song", "稻香"}}));
  // 2: wrong domain; gold 1, pred 1, tp 0.
  sc.add(F("music", "PLAY", {{"song", "稻香"}}), F("video", "PLAY", {{"song", "稻香"}}));
  // 3: all right; gold 2, pred 2, tp 1 (artist wrong value).
  sc.add(F("music", "PLAY", {{"song", "稻香"}, {"artist", "周杰伦"}}),
         F("music", "PLAY", {{"song", "稻香"}, {"artist", "周杰"}}));
  const auto& s = sc.scores();
  EXPECT_EQ(s.slots.gold, 4u);
  EXPECT_EQ(s.slots.predicted, 4u);
  EXPECT_EQ(s.slots.tp, 1u);
  const double p = 1.0 / 4, r = 1.0 / 4;
  EXPECT_DOUBLE_EQ(s.slot_f1(), 2 * p * r / (p + r));
  EXPECT_DOUBLE_EQ(s.intent_accuracy(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(s.sentence_accuracy(), 0.0);
  EXPECT_EQ(s.slots_by_key.at("song").tp, 1u);
  EXPECT_EQ(s.slots_by_key.at("song").gold, 3u);
  EXPECT_EQ(s.slots_by_key.at("artist").tp, 0u);
}

TEST(Scorer, ListValuedSlotsAreOnePairPerValueMatchedAsMultisets) {
  Scorer sc;
  // gold city: [北京, 上海]; predicted city: [上海, 上海] — one of the two 上海 is a true positive.
  sc.add(F("weather", "QUERY", {{"city", "北京"}, {"city", "上海"}}),
         F("weather", "QUERY", {{"city", "上海"}, {"city", "上海"}}));
  // gold [A, B], predicted [B, A]: order does not matter, whole sentence right.
  sc.add(F("weather", "QUERY", {{"city", "A"}, {"city", "B"}}),
         F("weather", "QUERY", {{"city", "B"}, {"city", "A"}}));
  const auto& s = sc.scores();
  EXPECT_EQ(s.slots.gold, 4u);
  EXPECT_EQ(s.slots.predicted, 4u);
  EXPECT_EQ(s.slots.tp, 3u);
  EXPECT_DOUBLE_EQ(s.slot_f1(), 0.75);
  EXPECT_DOUBLE_EQ(s.sentence_accuracy(), 0.5);
}

TEST(Scorer, SentenceNeedsTheWholeSlotDict) {
  Scorer sc;
  sc.add(F("m", "P", {{"a", "x"}}), F("m", "P", {{"a", "x"}, {"b", "y"}}));  // extra pair
  sc.add(F("m", "P", {{"a", "x"}, {"b", "y"}}), F("m", "P", {{"a", "x"}}));  // missing pair
  sc.add(F("m", "P", {{"a", "x"}}), F("m", "P", {{"b", "x"}}));              // wrong key
  sc.add(F("m", "P"), F("m", "P"));                                          // no slots at all
  const auto& s = sc.scores();
  EXPECT_DOUBLE_EQ(s.sentence_accuracy(), 1.0 / 4);
  // tp = 1 + 1 + 0; predicted = 2 + 1 + 1; gold = 1 + 2 + 1.
  const double p = 2.0 / 4, r = 2.0 / 4;
  EXPECT_DOUBLE_EQ(s.slot_f1(), 2 * p * r / (p + r));
}

TEST(Scorer, UnseenGoldLabelsCountAsErrors) {
  // A model only predicts training labels; a gold label never seen in training never matches.
  Scorer sc;
  sc.add(F("unseen_domain", "X"), F("music", "PLAY"));
  EXPECT_DOUBLE_EQ(sc.scores().domain_accuracy(), 0.0);
}

TEST(Scorer, PrfEdgeCases) {
  PrfCounts none;
  EXPECT_DOUBLE_EQ(none.f1(), 1.0);  // nothing to find, nothing predicted
  PrfCounts missed{0, 0, 3};
  EXPECT_DOUBLE_EQ(missed.f1(), 0.0);
  EXPECT_DOUBLE_EQ(missed.precision(), 0.0);
}

TEST(Scorer, ScoreRecordsChecksCountsAndTexts) {
  Record a{"播放", "m", "P", {}, std::nullopt, {}};
  Record b{"暂停", "m", "P", {}, std::nullopt, {}};
  EXPECT_THROW(score_records({a}, {a, b}), std::invalid_argument);
  EXPECT_THROW(score_records({a}, {b}), std::invalid_argument);
  EXPECT_DOUBLE_EQ(score_records({a, b}, {a, b}).sentence_accuracy(), 1.0);
}

}  // namespace
}  // namespace jointnlu
