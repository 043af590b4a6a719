// Decoding: constrained Viterbi (valid and optimal), joint pair decoding (seen pairs only), tags
// back to slot values (substrings of the text), the model input positions, and the predict JSON
// line.
#include "core/decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "core/model_input.h"
#include "data/dataset.h"

namespace jointnlu {
namespace {

std::vector<std::string> tag_names() { return {"O", "B-a", "I-a", "B-b", "I-b", "B-c", "I-c"}; }

double path_score(const std::vector<float>& scores, const std::vector<int>& path, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < path.size(); ++i)
    s += scores[i * n + static_cast<std::size_t>(path[i])];
  return s;
}

bool valid(const std::vector<std::string>& names, const std::vector<int>& path) {
  std::vector<std::string> tags;
  for (int t : path) tags.push_back(names[static_cast<std::size_t>(t)]);
  try {
    tags_to_spans(tags, TagScheme::kBio);
    return true;
  } catch (const TaggingError&) {
    return false;
  }
}

TEST(LogSumExp, MatchesADoubleReferenceOverWideRanges) {
  std::mt19937 rng(11);
  for (const float spread : {0.01f, 1.0f, 10.0f, 60.0f, 200.0f}) {
    std::uniform_real_distribution<float> dist(-spread, spread);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<float> x(1 + static_cast<std::size_t>(trial) * 3);
      for (float& v : x) v = dist(rng) + 5.0f;
      double max = x[0], sum = 0.0;
      for (const float v : x) max = std::max<double>(max, v);
      for (const float v : x) sum += std::exp(static_cast<double>(v) - max);
      const double ref = std::log(sum) + max;
      // Probabilities are exp(logit - lse): 2e-6 absolute in the lse is 2e-6 relative in them.
      EXPECT_NEAR(log_sum_exp(x), ref, 2e-6 + 1e-7 * std::abs(ref)) << spread << " " << trial;
    }
  }
  EXPECT_EQ(log_sum_exp(std::vector<float>{}), -std::numeric_limits<float>::infinity());
  EXPECT_NEAR(log_sum_exp(std::vector<float>{0.0f, 0.0f}), std::log(2.0f), 1e-7);
  // A -inf logit (a masked class) contributes nothing.
  EXPECT_NEAR(log_sum_exp(std::vector<float>{-std::numeric_limits<float>::infinity(), 1.0f}), 1.0f,
              1e-7);
}

TEST(TagDecoder, TransitionMatrixFollowsBio) {
  const auto names = tag_names();
  const TagDecoder decoder(names);
  EXPECT_TRUE(decoder.allowed(1, 2));   // B-a I-a
  EXPECT_FALSE(decoder.allowed(1, 4));  // B-a I-b
  EXPECT_FALSE(decoder.allowed(0, 2));  // O I-a
  EXPECT_TRUE(decoder.allowed(2, 3));   // I-a B-b
  EXPECT_FALSE(decoder.allowed_first(2));
  EXPECT_TRUE(decoder.allowed_first(1));
  EXPECT_TRUE(decoder.allowed_last(2));
}

TEST(TagDecoder, FixesWhatGreedyGetsWrong) {
  // Greedy would pick I-a at position 0: not a valid start. Best valid: B-a I-a.
  const auto names = tag_names();
  const TagDecoder decoder(names);
  std::vector<float> scores(2 * names.size(), -10.0f);
  scores[2] = -0.1f;                 // pos 0: I-a
  scores[1] = -0.5f;                 // pos 0: B-a
  scores[names.size() + 2] = -0.1f;  // pos 1: I-a
  EXPECT_EQ(decoder.decode(scores, 2), (std::vector<int>{1, 2}));
  EXPECT_TRUE(decoder.decode({}, 0).empty());
  EXPECT_THROW(decoder.decode(scores, 3), std::invalid_argument);
}

// Property: for random scores the path is always valid, and no valid path scores higher (checked by
// brute force over all 7^L paths for short lengths).
TEST(TagDecoder, RandomScoresGiveValidOptimalPaths) {
  const auto names = tag_names();
  const std::size_t n = names.size();
  const TagDecoder decoder(names);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t length = 1 + static_cast<std::size_t>(trial % 5);
    std::vector<float> scores(length * n);
    for (auto& s : scores) s = normal(rng);
    // Bias towards I- tags, which makes greedy decoding invalid most of the time.
    for (std::size_t i = 0; i < length; ++i) scores[i * n + 2] += 4.0f, scores[i * n + 4] += 3.0f;
    const auto path = decoder.decode(scores, length);
    ASSERT_EQ(path.size(), length);
    ASSERT_TRUE(valid(names, path)) << "trial " << trial;
    if (length > 4) continue;
    double best = -1e30;
    std::vector<int> candidate(length, 0);
    for (std::size_t code = 0; code < static_cast<std::size_t>(std::pow(n, length)); ++code) {
      std::size_t c = code;
      for (std::size_t i = 0; i < length; ++i) candidate[i] = static_cast<int>(c % n), c /= n;
      if (valid(names, candidate)) best = std::max(best, path_score(scores, candidate, n));
    }
    EXPECT_NEAR(path_score(scores, path, n), best, 1e-4) << "trial " << trial;
  }
}

// With integer scores most positions have tied best tags. The decoder must break ties exactly as a
// plain O(L T^2) Viterbi scanning tags in id order with a strict > does (the lowest id wins), so
// that its output does not depend on how it searches. 23 tags: more than one block of the
// decoder's interleaved scans, plus a remainder.
TEST(TagDecoder, TiesGoToTheLowestIdAsInAPlainViterbi) {
  std::vector<std::string> names{"O"};
  for (int k = 0; k < 11; ++k) {
    names.push_back("B-k" + std::to_string(k));
    names.push_back("I-k" + std::to_string(k));
  }
  const std::size_t n = names.size();
  const auto allowed = [&](int prev, int cur) {  // BIO: I-x only after B-x or I-x
    const std::string& c = names[static_cast<std::size_t>(cur)];
    if (!c.starts_with("I-")) return true;
    if (prev < 0) return false;
    const std::string& p = names[static_cast<std::size_t>(prev)];
    return p != "O" && p.substr(2) == c.substr(2);
  };
  const TagDecoder decoder(names);
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> value(-2, 2);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t length = 1 + static_cast<std::size_t>(trial % 7);
    std::vector<float> scores(length * n);
    for (auto& s : scores) s = static_cast<float>(value(rng));
    constexpr double kNone = -std::numeric_limits<double>::infinity();
    std::vector<std::vector<double>> best(length, std::vector<double>(n, kNone));
    std::vector<std::vector<int>> back(length, std::vector<int>(n, -1));
    for (std::size_t t = 0; t < n; ++t)
      if (allowed(-1, static_cast<int>(t))) best[0][t] = scores[t];
    for (std::size_t i = 1; i < length; ++i)
      for (std::size_t cur = 0; cur < n; ++cur)
        for (std::size_t prev = 0; prev < n; ++prev)
          if (allowed(static_cast<int>(prev), static_cast<int>(cur)) &&
              best[i - 1][prev] + scores[i * n + cur] > best[i][cur])
            best[i][cur] = best[i - 1][prev] + scores[i * n + cur],
            back[i][cur] = static_cast<int>(prev);
    int tag = -1;
    double top = kNone;
    for (std::size_t t = 0; t < n; ++t)
      if (best[length - 1][t] > top) top = best[length - 1][t], tag = static_cast<int>(t);
    std::vector<int> want(length);
    for (std::size_t i = length; i-- > 0;) {
      want[i] = tag;
      tag = back[i][static_cast<std::size_t>(tag)];
    }
    EXPECT_EQ(decoder.decode(scores, length), want) << "trial " << trial;
  }
}

LabelSpace space() {
  return LabelSpace({"music", "weather", "alarm"}, {"PLAY", "QUERY", "CREATE"}, {"artist", "song"},
                    {{"music", "PLAY"}, {"weather", "QUERY"}, {"alarm", "CREATE"}});
}

TEST(JointDecoding, PrefersTheBestSeenPair) {
  const auto labels = space();
  // The argmaxes, music and QUERY, form an unseen pair; of the seen ones music/PLAY (.7 x .3 = .21)
  // beats weather/QUERY (.2 x .6 = .12) and alarm/CREATE.
  const std::vector<float> domain = {std::log(0.7f), std::log(0.2f), std::log(0.1f)};
  const std::vector<float> intent = {std::log(0.3f), std::log(0.6f), std::log(0.1f)};
  const auto c = decode_joint(domain, intent, labels);
  EXPECT_EQ(labels.domains().name(c.domain), "music");
  EXPECT_EQ(labels.intents().name(c.intent), "PLAY");
  EXPECT_NEAR(c.domain_prob, 0.7, 1e-5);
  EXPECT_NEAR(c.intent_prob, 0.3, 1e-5);
  EXPECT_THROW(decode_joint(std::vector<float>{1, 2}, intent, labels), std::invalid_argument);
}

TEST(JointDecoding, RandomLogitsOnlyYieldSeenPairs) {
  const auto labels = space();
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 5.0f);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<float> d(3), i(3);
    for (auto& x : d) x = normal(rng);
    for (auto& x : i) x = normal(rng);
    const auto c = decode_joint(d, i, labels);
    ASSERT_TRUE(labels.seen(c.domain, c.intent)) << "trial " << trial;
    ASSERT_GE(c.domain_prob, 0.0);
    ASSERT_LE(c.intent_prob, 1.0);
  }
}

Tokenizer char_tokenizer() {
  return Tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "播", "放", "周", "杰", "伦",
                    "的", "稻", "香", "a", "##b", "##c", "b", "c"});
}

TEST(ModelInput, AddsSpecialTokensTruncatesAndLabelsFirstTokens) {
  const auto tok = char_tokenizer();
  const auto in = make_model_input(tok, "播放 abc", 16);
  // [CLS] 播 放 a ##b ##c [SEP]
  ASSERT_EQ(in.ids.size(), 7u);
  EXPECT_EQ(in.ids.front(), tok.cls_id());
  EXPECT_EQ(in.ids.back(), tok.sep_id());
  EXPECT_EQ(in.labelled, (std::vector<std::size_t>{1, 2, 3, 4, 5}));
  const auto cut = make_model_input(tok, "播放 abc", 4);
  EXPECT_EQ(cut.ids.size(), 4u);
  EXPECT_EQ(cut.kept_tokens, 2u);
  EXPECT_EQ(cut.labelled, (std::vector<std::size_t>{1, 2}));
  EXPECT_THROW(make_model_input(tok, "播放", 2), std::invalid_argument);
}

TEST(ModelInput, GoldTagsFromSpans) {
  const auto labels = space();
  const auto tok = char_tokenizer();
  Record r;
  r.text = "播放周杰伦的稻香";
  r.slots = {{"artist", "周杰伦"}, {"song", "稻香"}};
  const Example e = align(r);
  const auto in = make_model_input(tok, e.text, 32);
  const auto tags = gold_tags(in, e.spans, labels);
  const int B_a = labels.begin_tag(0), I_a = labels.inside_tag(0), B_s = labels.begin_tag(1),
            I_s = labels.inside_tag(1);
  EXPECT_EQ(tags, (std::vector<int>{0, 0, B_a, I_a, I_a, 0, B_s, I_s}));
  // A key the label space does not know is marked unknown (ignored by losses), not "O".
  const auto other = gold_tags(in, {Span{0, 2, "action"}}, labels);
  EXPECT_EQ(other[0], LabelVocab::kUnknown);
  EXPECT_EQ(other[1], LabelVocab::kUnknown);
  EXPECT_EQ(other[2], 0);
}

TEST(TagsToSlots, SpansCoverWholeTokensAndValuesAreSubstrings) {
  const auto labels = space();
  const auto tok = char_tokenizer();
  const std::string text = "播放 abc的稻香";
  const auto in = make_model_input(tok, text, 32);  // 播 放 a ##b ##c 的 稻 香
  ASSERT_EQ(in.labelled.size(), 8u);
  const std::vector<int> tags = {0,
                                 0,
                                 labels.begin_tag(0),
                                 labels.inside_tag(0),
                                 labels.inside_tag(0),
                                 0,
                                 labels.begin_tag(1),
                                 labels.inside_tag(1)};
  const std::vector<float> probs = {1, 1, 0.9f, 0.8f, 0.95f, 1, 0.7f, 0.99f};
  const auto slots = tags_to_slots(text, in, tags, probs, labels);
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].span, (Span{3, 6, "artist"}));
  EXPECT_EQ(slots[0].value, "abc");
  EXPECT_NEAR(slots[0].score, 0.8, 1e-6);
  EXPECT_EQ(slots[1].value, "稻香");
  EXPECT_NEAR(slots[1].score, 0.7, 1e-6);
}

// Property: for random logits every decoded slot value is the substring of the text at its span,
// and spans do not overlap.
TEST(JointDecoder, RandomLogitsGiveSubstringSlotsAndSeenPairs) {
  const auto labels = space();
  const auto tok = char_tokenizer();
  const JointDecoder decoder(labels);
  const std::vector<std::string> texts = {"播放周杰伦的稻香", "abc 播放", "稻香", "",
                                          "播 放 a b c 香"};
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  const std::size_t n = static_cast<std::size_t>(labels.tags().size());
  for (int trial = 0; trial < 200; ++trial) {
    const std::string& text = texts[static_cast<std::size_t>(trial) % texts.size()];
    const auto in = make_model_input(tok, text, 32);
    std::vector<float> d(3), i(3), s(in.ids.size() * n);
    for (auto* v : {&d, &i, &s})
      for (auto& x : *v) x = normal(rng);
    const auto p = decoder.decode(text, in, d, i, s);
    ASSERT_TRUE(
        labels.seen(labels.domains().id(p.frame.domain), labels.intents().id(p.frame.intent)));
    ASSERT_EQ(p.slots.size(), p.frame.slots.size());
    // The decoder skips log_softmax (a per-position constant): same slots and confidences as
    // Viterbi over log-probabilities.
    std::vector<float> log_probs, probs;
    for (std::size_t pos : in.labelled) {
      const auto row = log_softmax(std::span<const float>(s).subspan(pos * n, n));
      log_probs.insert(log_probs.end(), row.begin(), row.end());
    }
    const auto ref_tags = TagDecoder(labels.tags().labels()).decode(log_probs, in.labelled.size());
    for (std::size_t k = 0; k < ref_tags.size(); ++k)
      probs.push_back(std::exp(log_probs[k * n + static_cast<std::size_t>(ref_tags[k])]));
    const auto ref = tags_to_slots(text, in, ref_tags, probs, labels);
    ASSERT_EQ(ref.size(), p.slots.size()) << text;
    for (std::size_t k = 0; k < ref.size(); ++k) {
      EXPECT_EQ(ref[k].span.key, p.slots[k].span.key);
      EXPECT_EQ(ref[k].value, p.slots[k].value);
      EXPECT_NEAR(ref[k].score, p.slots[k].score, 1e-5);
    }
    const auto decoded = decode_utf8(text);
    std::size_t previous_end = 0;
    for (const auto& slot : p.slots) {
      ASSERT_LT(slot.span.begin, slot.span.end);
      ASSERT_GE(slot.span.begin, previous_end);
      previous_end = slot.span.end;
      const auto begin = decoded->offsets[slot.span.begin], end = decoded->offsets[slot.span.end];
      ASSERT_EQ(slot.value, text.substr(begin, end - begin));
      ASSERT_NE(text.find(slot.value), std::string::npos);
      ASSERT_GT(slot.score, 0.0);
      ASSERT_LE(slot.score, 1.0);
    }
  }
}

TEST(PredictionJson, SmpShapePlusScores) {
  Prediction p;
  p.frame = {"music", "PLAY", {{"artist", "周杰伦"}, {"artist", "王菲"}}};
  p.domain_score = 0.98765;
  p.intent_score = 0.5;
  p.slots = {{Span{0, 3, "artist"}, "周杰伦", 0.9}, {Span{4, 6, "artist"}, "王菲", 0.8}};
  const auto j = nlohmann::json::parse(prediction_json_line("周杰伦和王菲", p));
  EXPECT_EQ(j["text"], "周杰伦和王菲");
  EXPECT_EQ(j["domain"], "music");
  EXPECT_EQ(j["slots"]["artist"], nlohmann::json::array({"周杰伦", "王菲"}));
  EXPECT_DOUBLE_EQ(j["scores"]["domain"].get<double>(), 0.9877);
  ASSERT_EQ(j["scores"]["slots"].size(), 2u);
  EXPECT_EQ(j["scores"]["slots"][1]["value"], "王菲");
  // The line parses back as a record (extra fields ignored).
  const auto records = parse_records("pred.jsonl", prediction_json_line("周杰伦和王菲", p) + "\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].slots.size(), 2u);
}

}  // namespace
}  // namespace jointnlu
