#include "data/corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/tokenizer.h"
#include "test_util.h"

namespace jointnlu {
namespace {

using testing::TempDir;

// Specials, digits as word starts and continuations, and two CJK characters.
Tokenizer digit_tokenizer() {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "甲", "乙"};
  for (char c = '0'; c <= '9'; ++c) vocab.push_back(std::string(1, c));
  for (char c = '0'; c <= '9'; ++c) vocab.push_back("##" + std::string(1, c));
  return Tokenizer(vocab);
}

// Lines "100000", "100001", ...: every line is 6 tokens and tells its position in the file.
std::string numbered_lines(int first, int count) {
  std::string s;
  for (int i = 0; i < count; ++i) s += std::to_string(first + i) + "\n";
  return s;
}

// The text of each [SEP]-terminated segment of a sequence (WordPiece pieces joined).
std::vector<std::string> segments(const Sequence& s, const Tokenizer& t) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 1; i < s.ids.size(); ++i) {
    if (s.ids[i] == t.sep_id()) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    std::string tok = t.token(s.ids[i]);
    if (tok.rfind("##", 0) == 0) tok = tok.substr(2);
    cur += tok;
  }
  return out;
}

TEST(CorpusSpec, PathAndWeight) {
  EXPECT_EQ(parse_corpus_spec("a.txt").path, "a.txt");
  EXPECT_DOUBLE_EQ(parse_corpus_spec("a.txt").weight, 1.0);
  const auto f = parse_corpus_spec("dir/a.txt:3");
  EXPECT_EQ(f.path, "dir/a.txt");
  EXPECT_DOUBLE_EQ(f.weight, 3.0);
  EXPECT_DOUBLE_EQ(parse_corpus_spec("a.txt:0.5").weight, 0.5);
  EXPECT_EQ(parse_corpus_spec("c:/x/a.txt").path, "c:/x/a.txt");  // not a number: part of the path
  EXPECT_THROW(parse_corpus_spec("a.txt:0"), std::invalid_argument);
  EXPECT_THROW(parse_corpus_spec("a.txt:-2"), std::invalid_argument);
  EXPECT_THROW(parse_corpus_spec("a.txt:1e"), std::invalid_argument);
}

TEST(Heldout, AboutOnePercentAndDeterministic) {
  int held = 0;
  for (int i = 0; i < 50000; ++i) held += is_heldout_line("line " + std::to_string(i));
  EXPECT_GT(held, 350);
  EXPECT_LT(held, 650);
  EXPECT_EQ(is_heldout_line("你好"), is_heldout_line("你好"));
}

TEST(ForEachLine, StripsLineEndsAndReportsInvalidUtf8WithFileAndLine) {
  TempDir dir;
  const auto path = dir.write("c.txt", "\xEF\xBB\xBFone\r\ntwo\nbad\xff\xfeline\n\nthree");
  std::vector<std::pair<std::string, std::size_t>> lines;
  std::vector<std::string> warnings;
  const std::size_t invalid = for_each_line(
      path,
      [&](std::string_view l, std::size_t n) {
        lines.emplace_back(std::string(l), n);
        return true;
      },
      [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(invalid, 1u);
  const std::vector<std::pair<std::string, std::size_t>> expected = {
      {"one", 1}, {"two", 2}, {"", 4}, {"three", 5}};
  EXPECT_EQ(lines, expected);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(path + ": line 3: invalid UTF-8"), std::string::npos) << warnings[0];
}

TEST(ForEachLine, MissingFileNamesThePath) {
  try {
    for_each_line("/nonexistent/corpus.txt", [](std::string_view, std::size_t) { return true; });
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/corpus.txt"), std::string::npos);
  }
}

TEST(Masking, SelectsFifteenPercentNeverSpecialsAndIsDeterministic) {
  TokenIds ids;
  ids.vocab_size = 100;
  MaskConfig config;
  std::size_t selected = 0, masked = 0, kept = 0, positions = 0;  // positions: 60 per sequence
  for (int r = 0; r < 200; ++r) {
    Sequence s;
    s.ids.push_back(ids.cls);
    for (int i = 0; i < 40; ++i) s.ids.push_back(10 + i);
    s.ids.push_back(ids.sep);
    for (int i = 0; i < 20; ++i) s.ids.push_back(50 + i);
    s.ids.push_back(ids.sep);
    const Sequence original = s;
    std::mt19937_64 rng(r), rng2(r);
    mask_sequence(s, ids, config, rng);
    Sequence again = original;
    mask_sequence(again, ids, config, rng2);
    EXPECT_EQ(s.ids, again.ids);
    EXPECT_EQ(s.mlm_labels, again.mlm_labels);
    std::size_t here = 0;
    for (std::size_t i = 0; i < s.ids.size(); ++i) {
      if (original.ids[i] == ids.cls || original.ids[i] == ids.sep) {
        EXPECT_EQ(s.ids[i], original.ids[i]);
        EXPECT_EQ(s.mlm_labels[i], kIgnoreLabel);
        continue;
      }
      if (s.mlm_labels[i] == kIgnoreLabel) {
        EXPECT_EQ(s.ids[i], original.ids[i]);
        continue;
      }
      ++here;
      EXPECT_EQ(s.mlm_labels[i], original.ids[i]);
      masked += s.ids[i] == ids.mask;
      kept += s.ids[i] == original.ids[i];
      EXPECT_GE(s.ids[i], ids.mask);
    }
    EXPECT_EQ(here, 9u);  // round(0.15 * 60)
    selected += here;
    positions += 60;
  }
  EXPECT_EQ(selected * 60, positions * 9);  // 15% of the positions, in every sequence
  EXPECT_NEAR(static_cast<double>(masked) / selected, 0.8, 0.05);
  EXPECT_NEAR(static_cast<double>(kept) / selected, 0.1,
              0.04);  // random replacements may hit the same id
}

TEST(Masking, SpansAreContiguousWithMaxNgram) {
  TokenIds ids;
  ids.vocab_size = 100;
  MaskConfig config;
  config.replace_mask = 1.0;  // every selected token becomes [MASK], so spans are visible
  auto longest_run = [&](int max_ngram) {
    config.max_ngram = max_ngram;
    std::size_t best = 0;
    for (int r = 0; r < 100; ++r) {
      Sequence s;
      s.ids.push_back(ids.cls);
      for (int i = 0; i < 62; ++i) s.ids.push_back(10 + i);
      s.ids.push_back(ids.sep);
      std::mt19937_64 rng(r);
      mask_sequence(s, ids, config, rng);
      std::size_t run = 0;
      for (const auto id : s.ids) {
        run = id == ids.mask ? run + 1 : 0;
        best = std::max(best, run);
      }
    }
    return best;
  };
  EXPECT_GE(longest_run(3), 3u);
  EXPECT_LE(longest_run(1), 4u);  // single tokens may still touch, but rarely form long runs
}

PipelineConfig small_config() {
  PipelineConfig c;
  c.max_length = 32;
  c.batch_size = 8;
  c.shuffle_buffer = 16;
  c.block_bytes = 256;
  c.seed = 7;
  return c;
}

TEST(Pipeline, PacksFullSequencesAndNeverTrainsOnHeldoutLines) {
  TempDir dir;
  const auto path = dir.write("a.txt", numbered_lines(100000, 3000));
  const Tokenizer tok = digit_tokenizer();
  PipelineConfig config = small_config();
  config.sop = false;
  PretrainPipeline p({{path, 1.0}}, tok, config);
  std::set<std::string> heldout;
  for (int i = 0; i < 3000; ++i)
    if (is_heldout_line(std::to_string(100000 + i))) heldout.insert(std::to_string(100000 + i));
  ASSERT_FALSE(heldout.empty());
  std::size_t full = 0;
  for (int i = 0; i < 300; ++i) {
    const Sequence s = p.next_sequence();
    ASSERT_LE(s.ids.size(), 32u);
    EXPECT_EQ(s.ids.front(), tok.cls_id());
    EXPECT_EQ(s.ids.back(), tok.sep_id());
    EXPECT_EQ(s.sop_label, kIgnoreLabel);
    full += s.ids.size() >= 31;
    for (const auto& seg : segments(s, tok)) EXPECT_EQ(heldout.count(seg), 0u) << seg;
  }
  EXPECT_GE(full, 295u);
  EXPECT_GT(p.stats().heldout_lines, 0u);
}

TEST(Pipeline, IsolatedLinesGetTheirOwnBlocksAndPositions) {
  Sequence s;
  s.ids = {2, 7, 8, 3, 9, 3, 10, 11, 3};  // [CLS] 7 8 [SEP] 9 [SEP] 10 11 [SEP]
  isolate_lines(s, 3);
  EXPECT_EQ(s.blocks, (std::vector<std::int32_t>{0, 0, 0, 0, 1, 1, 2, 2, 2}));
  EXPECT_EQ(s.positions, (std::vector<std::int32_t>{0, 1, 2, 3, 1, 2, 1, 2, 3}));
  Sequence plain;
  plain.ids = {2, 7, 3};
  const Batch b = make_batch({s, plain}, 0);
  EXPECT_TRUE(b.isolated);
  ASSERT_EQ(b.length, 9);
  // The plain row is one block at running positions; padding is block -1 at position 0.
  EXPECT_EQ(std::vector<std::int64_t>(b.attention_blocks.begin() + 9, b.attention_blocks.end()),
            (std::vector<std::int64_t>{0, 0, 0, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(std::vector<std::int64_t>(b.position_ids.begin() + 9, b.position_ids.end()),
            (std::vector<std::int64_t>{0, 1, 2, 0, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(make_batch({plain}, 0).isolated);

  // The pipeline isolates lines without SOP (its default) and never with it.
  TempDir dir;
  const auto path = dir.write("a.txt", numbered_lines(100000, 2000));
  const Tokenizer tok = digit_tokenizer();
  PipelineConfig config = small_config();
  config.sop = false;
  PretrainPipeline p({{path, 1.0}}, tok, config);
  for (int i = 0; i < 20; ++i) {
    const Sequence q = p.next_sequence();
    ASSERT_EQ(q.blocks.size(), q.ids.size());
    const auto seps = std::count(q.ids.begin(), q.ids.end(), tok.sep_id());
    EXPECT_EQ(q.blocks.back(), seps - 1);
    for (std::size_t t = 1; t < q.ids.size(); ++t)
      if (q.ids[t - 1] == tok.sep_id()) {
        EXPECT_EQ(q.positions[t], 1);
      }
  }
  config.sop = true;
  PretrainPipeline with_sop({{path, 1.0}}, tok, config);
  EXPECT_TRUE(with_sop.next_sequence().blocks.empty());
}

TEST(Pipeline, SentenceOrderPairsAreConsecutiveLinesAndSwappedHalfTheTime) {
  TempDir dir;
  const auto path = dir.write("a.txt", numbered_lines(100000, 2000));
  const Tokenizer tok = digit_tokenizer();
  PipelineConfig config = small_config();
  config.block_bytes = 1 << 20;  // one block: lines stay consecutive
  PretrainPipeline p({{path, 1.0}}, tok, config);
  int swapped = 0, pairs = 0;
  for (int i = 0; i < 200; ++i) {
    const Sequence s = p.next_sequence();
    if (s.sop_label == kIgnoreLabel) continue;
    ++pairs;
    swapped += s.sop_label;
    // Token types: 0 ... 0 1 ... 1.
    const auto first_b = std::find(s.token_types.begin(), s.token_types.end(), 1);
    ASSERT_NE(first_b, s.token_types.end());
    EXPECT_TRUE(std::all_of(first_b, s.token_types.end(), [](auto t) { return t == 1; }));
    // The segment boundary: the first number of B follows the last of A (in order) or precedes it.
    const auto segs = segments(s, tok);
    std::size_t a_segments = 0;
    for (std::size_t j = 1; j < s.ids.size(); ++j)
      if (s.ids[j] == tok.sep_id() && s.token_types[j] == 0) ++a_segments;
    ASSERT_GT(a_segments, 0u);
    ASSERT_LT(a_segments, segs.size());
    const auto& last_a = segs[a_segments - 1];
    const auto& first_b_text = segs[a_segments];
    if (last_a.size() != 6 || first_b_text.size() != 6) continue;  // a cut line
    const int a = std::stoi(last_a), b = std::stoi(first_b_text);
    // In order, B starts with the next line (or the one after, when the next is held out).
    const bool next = b == a + 1 || (b == a + 2 && is_heldout_line(std::to_string(a + 1)));
    if (s.sop_label == 0) {
      EXPECT_TRUE(next) << a << " then " << b;
    } else {
      EXPECT_LT(b, a);
    }
  }
  EXPECT_GT(pairs, 150);
  EXPECT_NEAR(static_cast<double>(swapped) / pairs, 0.5, 0.15);
}

TEST(Pipeline, WeightsOversampleAFile) {
  TempDir dir;
  std::string a, b;
  for (int i = 0; i < 2000; ++i) {
    a += "甲甲甲" + std::to_string(i % 10) + "\n";
    b += "乙乙乙" + std::to_string(i % 10) + "\n";
  }
  const auto pa = dir.write("a.txt", a);
  const auto pb = dir.write("b.txt", b);
  const Tokenizer tok = digit_tokenizer();
  PretrainPipeline p({{pa, 1.0}, {pb, 3.0}}, tok, small_config());
  EXPECT_NEAR(p.file_shares()[1], 0.75, 1e-9);
  std::size_t na = 0, nb = 0;
  for (int i = 0; i < 400; ++i) {
    const Sequence s = p.next_sequence();
    for (const auto id : s.ids) {
      na += id == tok.token_id("甲");
      nb += id == tok.token_id("乙");
    }
  }
  EXPECT_NEAR(static_cast<double>(nb) / static_cast<double>(na + nb), 0.75, 0.06);
}

TEST(Pipeline, StateRestoreContinuesWithTheSameBatches) {
  TempDir dir;
  const auto pa = dir.write("a.txt", numbered_lines(100000, 1500));
  const auto pb = dir.write("b.txt", numbered_lines(500000, 700));
  const Tokenizer tok = digit_tokenizer();
  const std::vector<CorpusFile> files = {{pa, 1.0}, {pb, 2.0}};
  PretrainPipeline p(files, tok, small_config());
  for (int i = 0; i < 30; ++i) p.next_batch();                 // several epochs of b.txt's blocks
  const auto state = nlohmann::json::parse(p.state().dump());  // through text, as on disk
  std::vector<Batch> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(p.next_batch());

  PretrainPipeline q(files, tok, small_config());
  q.restore(state);
  for (int i = 0; i < 5; ++i) {
    const Batch b = q.next_batch();
    EXPECT_EQ(b.input_ids, expected[i].input_ids) << "batch " << i;
    EXPECT_EQ(b.mlm_labels, expected[i].mlm_labels) << "batch " << i;
    EXPECT_EQ(b.token_type_ids, expected[i].token_type_ids) << "batch " << i;
    EXPECT_EQ(b.sop_labels, expected[i].sop_labels) << "batch " << i;
  }
  // A different seed gives different batches (the state is what makes them equal).
  PipelineConfig other = small_config();
  other.seed = 8;
  PretrainPipeline r(files, tok, other);
  EXPECT_NE(r.next_batch().input_ids,
            PretrainPipeline(files, tok, small_config()).next_batch().input_ids);
}

TEST(Pipeline, RestoreRejectsAChangedFile) {
  TempDir dir;
  const auto pa = dir.write("a.txt", numbered_lines(100000, 500));
  const Tokenizer tok = digit_tokenizer();
  PretrainPipeline p({{pa, 1.0}}, tok, small_config());
  p.next_batch();
  const auto state = p.state();
  dir.write("a.txt", numbered_lines(100000, 400));
  PretrainPipeline q({{pa, 1.0}}, tok, small_config());
  EXPECT_THROW(q.restore(state), std::invalid_argument);
}

TEST(Pipeline, InvalidLinesAreSkippedCountedAndReported) {
  TempDir dir;
  std::string text = numbered_lines(100000, 300);
  text += "12\xff\n";  // line 301
  text += numbered_lines(200000, 300);
  const auto path = dir.write("bad.txt", text);
  const Tokenizer tok = digit_tokenizer();
  std::vector<std::string> warnings;
  PipelineConfig config = small_config();
  config.block_bytes = 1 << 20;
  PretrainPipeline p({{path, 1.0}}, tok, config,
                     [&](const std::string& w) { warnings.push_back(w); });
  for (int i = 0; i < 20; ++i) p.next_batch();
  EXPECT_EQ(p.stats().invalid_lines, 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(path + ": line 301: invalid UTF-8"), std::string::npos) << warnings[0];
}

TEST(Pipeline, MissingAndEmptyFilesAreErrors) {
  TempDir dir;
  const Tokenizer tok = digit_tokenizer();
  EXPECT_THROW(PretrainPipeline({{dir.path() + "/missing.txt", 1.0}}, tok, small_config()),
               IoError);
  const auto empty = dir.write("empty.txt", "");
  EXPECT_THROW(PretrainPipeline({{empty, 1.0}}, tok, small_config()), std::invalid_argument);
}

TEST(Pipeline, BatchesArePaddedAndMasked) {
  TempDir dir;
  const auto path = dir.write("a.txt", numbered_lines(100000, 1000));
  const Tokenizer tok = digit_tokenizer();
  PretrainPipeline p({{path, 1.0}}, tok, small_config());
  const Batch b = p.next_batch();
  EXPECT_EQ(b.batch, 8);
  EXPECT_LE(b.length, 32);
  EXPECT_EQ(b.input_ids.size(), static_cast<std::size_t>(b.batch * b.length));
  EXPECT_GT(b.masked_tokens, 8 * 3);
  EXPECT_EQ(b.sop_labels.size(), 8u);
}

TEST(Heldout, SequencesComeFromHeldoutLinesOnlyAndAreStable) {
  TempDir dir;
  const auto path = dir.write("a.txt", numbered_lines(100000, 5000));
  const Tokenizer tok = digit_tokenizer();
  MaskConfig mask;
  const auto a = heldout_sequences({{path, 1.0}}, tok, 32, 10, mask, 1);
  const auto b = heldout_sequences({{path, 1.0}}, tok, 32, 10, mask, 1);
  ASSERT_FALSE(a.empty());
  EXPECT_LE(a.size(), 10u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].ids, b[i].ids);
    EXPECT_EQ(a[i].mlm_labels, b[i].mlm_labels);
  }
  // Unmask and check each complete segment is a held-out line.
  for (auto s : a) {
    for (std::size_t i = 0; i < s.ids.size(); ++i)
      if (s.mlm_labels[i] != kIgnoreLabel) s.ids[i] = s.mlm_labels[i];
    for (const auto& seg : segments(s, tok))
      if (seg.size() == 6) {
        EXPECT_TRUE(is_heldout_line(seg)) << seg;
      }
  }
}

}  // namespace
}  // namespace jointnlu
