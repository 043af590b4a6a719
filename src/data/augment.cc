#include "data/augment.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "core/utf8.h"
#include "data/corpus.h"

namespace jointnlu {
namespace {

namespace fs = std::filesystem;

double uniform(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0, 1)(rng); }

std::size_t below(std::mt19937_64& rng, std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

// The example rebuilt from characters and spans (text, offsets and spans consistent).
Example rebuild(const Example& source, const std::vector<char32_t>& chars,
                std::vector<Span> spans) {
  Example e;
  e.domain = source.domain;
  e.intent = source.intent;
  e.where = source.where;
  e.decoded.chars = chars;
  e.decoded.offsets.reserve(chars.size() + 1);
  for (char32_t c : chars) {
    e.decoded.offsets.push_back(e.text.size());
    append_utf8(e.text, c);
  }
  e.decoded.offsets.push_back(e.text.size());
  e.spans = std::move(spans);
  return e;
}

std::vector<char32_t> chars_of(const std::string& value) {
  const auto decoded = decode_utf8(value);
  return decoded ? decoded->chars : std::vector<char32_t>{};
}

// Replaces some spans' values by other values of the same key; the text around them is kept.
Example substitute(const Example& in, const SlotValueBank& bank, double prob, std::mt19937_64& rng,
                   std::size_t* count) {
  std::vector<char32_t> chars;
  std::vector<Span> spans;
  std::size_t pos = 0;
  for (const Span& s : in.spans) {
    chars.insert(chars.end(), in.decoded.chars.begin() + static_cast<std::ptrdiff_t>(pos),
                 in.decoded.chars.begin() + static_cast<std::ptrdiff_t>(s.begin));
    std::vector<char32_t> value(in.decoded.chars.begin() + static_cast<std::ptrdiff_t>(s.begin),
                                in.decoded.chars.begin() + static_cast<std::ptrdiff_t>(s.end));
    const auto* options = bank.values(s.key);
    if (options && options->size() > 1 && uniform(rng) < prob) {
      const auto replacement = chars_of((*options)[below(rng, options->size())]);
      if (!replacement.empty() && replacement != value) {
        value = replacement;
        ++*count;
      }
    }
    spans.push_back({chars.size(), chars.size() + value.size(), s.key});
    chars.insert(chars.end(), value.begin(), value.end());
    pos = s.end;
  }
  chars.insert(chars.end(), in.decoded.chars.begin() + static_cast<std::ptrdiff_t>(pos),
               in.decoded.chars.end());
  return rebuild(in, chars, std::move(spans));
}

// Keeps characters [begin, end): spans wholly inside stay (shifted), spans cut by the window are
// dropped, since a partial value is not a value.
Example window(const Example& in, std::size_t begin, std::size_t end) {
  std::vector<char32_t> chars(in.decoded.chars.begin() + static_cast<std::ptrdiff_t>(begin),
                              in.decoded.chars.begin() + static_cast<std::ptrdiff_t>(end));
  std::vector<Span> spans;
  for (const Span& s : in.spans)
    if (s.begin >= begin && s.end <= end) spans.push_back({s.begin - begin, s.end - begin, s.key});
  return rebuild(in, chars, std::move(spans));
}

// Mask marks as a string, so that variants differing only in masking are told apart.
std::string identity(const Variant& v) {
  std::string id = v.example.text;
  id += '\x1f';
  for (std::size_t m : v.masked) id += std::to_string(m) + ",";
  return id;
}

}  // namespace

void SlotValueBank::add(const std::string& key, const std::string& value) {
  if (value.empty()) return;
  auto& seen = seen_[key];
  if (seen.emplace(value, true).second) values_[key].push_back(value);
}

void SlotValueBank::add_examples(const std::vector<Example>& examples) {
  for (const auto& e : examples)
    for (const auto& s : e.spans) add(s.key, e.value(s));
}

std::vector<std::string> SlotValueBank::add_gazetteer(const std::string& path,
                                                      const std::string& stem,
                                                      const std::vector<std::string>& keys,
                                                      std::size_t max_chars) {
  std::vector<std::string> joined;
  for (const auto& k : keys)
    if (k == stem || (k.size() > stem.size() + 1 && k.ends_with("_" + stem))) joined.push_back(k);
  if (joined.empty()) return joined;
  std::vector<std::string> values;
  for_each_line(
      path,
      [&](std::string_view line, std::size_t line_no) {
        std::string value(line);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        if (value.empty()) return true;
        if (const auto problem = check_text(value, max_chars)) {
          problems_.push_back(DataError(SourceLocation{path, 0, line_no}, *problem).what());
          return true;
        }
        values.push_back(std::move(value));
        return true;
      },
      [&](const std::string& message) { problems_.push_back(message); });
  for (const auto& k : joined)
    for (const auto& v : values) add(k, v);
  return joined;
}

std::map<std::string, std::vector<std::string>> SlotValueBank::add_gazetteer_dir(
    const std::string& dir, const std::vector<std::string>& keys) {
  if (!fs::is_directory(dir)) throw IoError(dir, "not a directory of gazetteers");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".txt")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, std::vector<std::string>> report;
  for (const auto& f : files)
    report[f.filename().string()] = add_gazetteer(f.string(), f.stem().string(), keys);
  return report;
}

const std::vector<std::string>* SlotValueBank::values(const std::string& key) const {
  const auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

std::size_t SlotValueBank::total_values() const {
  std::size_t n = 0;
  for (const auto& [k, v] : values_) n += v.size();
  return n;
}

Variant make_variant(const Example& example, const SlotValueBank* bank,
                     const AugmentOptions& options, std::mt19937_64& rng, AugmentStats* stats) {
  AugmentStats local;
  AugmentStats& s = stats ? *stats : local;
  Variant v;
  v.example = options.substitute && bank
                  ? substitute(example, *bank, options.substitute_prob, rng, &s.substituted_spans)
                  : example;
  const std::size_t n = v.example.size();
  if (options.ngram && n > static_cast<std::size_t>(options.ngram_min) &&
      uniform(rng) < options.ngram_prob) {
    const auto lo = static_cast<std::size_t>(std::max(1, options.ngram_min));
    const auto hi =
        std::min(n - 1, static_cast<std::size_t>(std::max(options.ngram_min, options.ngram_max)));
    if (lo <= hi) {
      const std::size_t len = lo + below(rng, hi - lo + 1);
      const std::size_t begin = below(rng, n - len + 1);
      v.example = window(v.example, begin, begin + len);
      ++s.ngram_cuts;
    }
  }
  if (options.mask) {
    for (std::size_t i = 0; i < v.example.size(); ++i)
      if (uniform(rng) < options.mask_prob) v.masked.push_back(i);
    s.masked_chars += v.masked.size();
  }
  return v;
}

std::vector<Variant> augment(const std::vector<Example>& examples, const SlotValueBank* bank,
                             const AugmentOptions& options, AugmentStats* stats) {
  AugmentStats local;
  AugmentStats& s = stats ? *stats : local;
  std::vector<Variant> out;
  if (options.per_example <= 0) return out;
  std::mt19937_64 rng(options.seed);
  std::set<std::string> seen;
  for (const auto& e : examples) seen.insert(e.text + '\x1f');
  for (std::size_t i = 0; i < examples.size(); ++i) {
    int made = 0;
    for (int attempt = 0; made < options.per_example &&
                          attempt < options.per_example * std::max(1, options.max_attempts);
         ++attempt) {
      Variant v = make_variant(examples[i], bank, options, rng, &s);
      v.source = i;
      if (v.example.size() == 0 || !seen.insert(identity(v)).second) {
        ++s.duplicates_skipped;
        continue;
      }
      out.push_back(std::move(v));
      ++made;
    }
  }
  s.variants = out.size();
  return out;
}

std::vector<std::string> sample_lines(const std::vector<std::string>& paths, std::size_t k,
                                      std::uint64_t seed, std::size_t max_chars,
                                      std::size_t* skipped) {
  std::vector<std::string> reservoir;
  if (k == 0) return reservoir;
  std::mt19937_64 rng(seed);
  std::size_t seen = 0, bad = 0;
  for (const auto& path : paths) {
    bad += for_each_line(path, [&](std::string_view line, std::size_t) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
      if (check_text(line, max_chars)) {
        ++bad;
        return true;
      }
      ++seen;
      if (reservoir.size() < k) {
        reservoir.emplace_back(line);
      } else {
        const std::size_t j = below(rng, seen);
        if (j < k) reservoir[j].assign(line);
      }
      return true;
    });
  }
  if (skipped) *skipped = bad;
  return reservoir;
}

}  // namespace jointnlu
