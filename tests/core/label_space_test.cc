#include "core/label_space.h"

#include <gtest/gtest.h>

#include "data/dataset.h"

namespace jointnlu {
namespace {

Example example(const std::string& text, const std::string& domain, const std::string& intent,
                const SlotPairs& slots) {
  Record r;
  r.text = text;
  r.domain = domain;
  r.intent = intent;
  r.slots = slots;
  return align(r);
}

std::vector<Example> sample() {
  return {example("播放周杰伦的稻香", "music", "PLAY", {{"artist", "周杰伦"}, {"song", "稻香"}}),
          example("北京天气", "weather", "QUERY", {{"location_city", "北京"}}),
          example("打开音乐", "app", "LAUNCH", {}), example("放首歌", "music", "PLAY", {})};
}

TEST(LabelSpace, FromExamplesSortsLabelsAndBuildsBioTags) {
  const auto space = LabelSpace::from_examples(sample());
  EXPECT_EQ(space.domains().labels(), (std::vector<std::string>{"app", "music", "weather"}));
  EXPECT_EQ(space.intents().labels(), (std::vector<std::string>{"LAUNCH", "PLAY", "QUERY"}));
  EXPECT_EQ(space.slot_keys(), (std::vector<std::string>{"artist", "location_city", "song"}));
  EXPECT_EQ(space.tags().labels(),
            (std::vector<std::string>{"O", "B-artist", "I-artist", "B-location_city",
                                      "I-location_city", "B-song", "I-song"}));
  EXPECT_EQ(space.tags().name(space.begin_tag(2)), "B-song");
  EXPECT_EQ(space.tags().name(space.inside_tag(1)), "I-location_city");
  EXPECT_EQ(space.key_of_tag(space.inside_tag(2)), 2);
  EXPECT_EQ(space.key_of_tag(LabelSpace::kOutside), -1);
}

TEST(LabelSpace, RemembersOnlySeenPairs) {
  const auto space = LabelSpace::from_examples(sample());
  const int music = space.domains().id("music"), weather = space.domains().id("weather");
  const int play = space.intents().id("PLAY"), query = space.intents().id("QUERY");
  EXPECT_EQ(space.pairs().size(), 3u);  // music/PLAY twice counts once
  EXPECT_TRUE(space.seen(music, play));
  EXPECT_TRUE(space.seen(weather, query));
  EXPECT_FALSE(space.seen(music, query));
  EXPECT_FALSE(space.seen(weather, play));
}

TEST(LabelSpace, JsonRoundTrip) {
  const auto space = LabelSpace::from_examples(sample());
  const auto j = space.to_json();
  EXPECT_EQ(j["tag_scheme"], "BIO");
  const auto back = LabelSpace::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.to_json(), j);
  EXPECT_EQ(back.pairs(), space.pairs());
  EXPECT_EQ(back.tags().labels(), space.tags().labels());
}

TEST(LabelSpace, RejectsBadJson) {
  auto j = LabelSpace::from_examples(sample()).to_json();
  auto unknown_pair = j;
  unknown_pair["pairs"].push_back({"music", "NAVIGATE"});
  EXPECT_THROW(LabelSpace::from_json(unknown_pair), std::invalid_argument);
  auto duplicate = j;
  duplicate["domains"].push_back("music");
  EXPECT_THROW(LabelSpace::from_json(duplicate), std::invalid_argument);
  auto missing = j;
  missing.erase("intents");
  EXPECT_THROW(LabelSpace::from_json(missing), std::invalid_argument);
  auto scheme = j;
  scheme["tag_scheme"] = "BIOES";
  EXPECT_THROW(LabelSpace::from_json(scheme), std::invalid_argument);
  auto bad_pair = j;
  bad_pair["pairs"].push_back("music");
  EXPECT_THROW(LabelSpace::from_json(bad_pair), std::invalid_argument);
}

}  // namespace
}  // namespace jointnlu
