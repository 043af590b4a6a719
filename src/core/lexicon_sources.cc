#include "core/lexicon_sources.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/error.h"
#include "core/file_io.h"
#include "core/utf8.h"

namespace jointnlu {
namespace {

// No entry needs more, and a longer line is a binary or mis-split file: report it rather than
// carry it into an error message or the lexicon.
constexpr std::size_t kMaxLineBytes = 4096;

// jieba's groups, in the order their categories are listed.
constexpr std::array<std::string_view, 10> kJiebaCategories = {
    "person", "place", "org", "proper", "noun", "verb", "idiom", "adjective", "time", "number"};

// Calls f(line, line_no) for every line of `content` (without "\n" or "\r\n"), after checking
// its length.
template <typename F>
void for_each_line(std::string_view content, const std::string& file, F&& f) {
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < content.size();) {
    std::size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (line.size() > kMaxLineBytes)
      throw DataError(SourceLocation{file, 0, line_no}, "line is " + std::to_string(line.size()) +
                                                            " bytes, longer than the limit of " +
                                                            std::to_string(kMaxLineBytes) +
                                                            " (is this a word list?)");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 BOM
    f(line, line_no);
  }
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Normalises an entry read from a file, turning a rejection into a DataError at its line.
std::string normalize_at(std::string_view entry, const std::string& file, std::size_t line_no) {
  try {
    return Lexicon::normalize_entry(entry);
  } catch (const std::invalid_argument& e) {
    std::string_view reason = e.what();
    if (reason.starts_with("lexicon: ")) reason.remove_prefix(9);
    throw DataError(SourceLocation{file, 0, line_no}, std::string(reason));
  }
}

// Entries in first-seen order, without duplicates.
class EntryList {
 public:
  void add(std::string entry) {
    if (seen_.insert(entry).second) entries_.push_back(std::move(entry));
  }
  std::vector<std::string> take() { return std::move(entries_); }
  bool empty() const { return entries_.empty(); }

 private:
  std::unordered_set<std::string> seen_;
  std::vector<std::string> entries_;
};

// A word list: one entry per line, anything after a tab ignored, blank lines skipped.
std::vector<std::string> read_word_list(const std::string& path) {
  const std::string content = read_file(path);
  EntryList entries;
  for_each_line(content, path, [&](std::string_view line, std::size_t line_no) {
    if (is_blank(line)) return;
    entries.add(normalize_at(line.substr(0, line.find('\t')), path, line_no));
  });
  return entries.take();
}

bool all_of_chars(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}
bool is_lower_alpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<LexiconCategory> read_jieba(const LexiconSource& source) {
  const std::string& path = source.path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw IoError(path,
                  "jieba dictionary not found; install Debian's python3-jieba (scripts/setup.sh "
                  "does), which puts it at " +
                      std::string(kJiebaDictionary) + ", or give jieba=FILE");
  const std::string content = read_file(path);
  std::array<EntryList, kJiebaCategories.size()> groups;
  for_each_line(content, path, [&](std::string_view line, std::size_t line_no) {
    if (is_blank(line)) return;
    // "word [freq] [pos]", read from the right as jieba does (a word may hold a space).
    std::string_view word = line;
    std::string_view pos;
    if (const std::size_t sp = word.rfind(' '); sp != std::string_view::npos && sp > 0 &&
                                                all_of_chars(word.substr(sp + 1), is_lower_alpha)) {
      pos = word.substr(sp + 1);
      word = word.substr(0, sp);
    }
    if (const std::size_t sp = word.rfind(' ');
        sp != std::string_view::npos && sp > 0 && all_of_chars(word.substr(sp + 1), is_digit))
      word = word.substr(0, sp);
    const std::string_view category = jieba_category(pos);
    std::string entry = normalize_at(word, path, line_no);  // checks skipped words too
    if (category.empty()) return;
    std::size_t chars = 0;
    for (const char c : entry) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (chars < 2) return;  // the character embedding already knows single characters
    const auto group = std::find(kJiebaCategories.begin(), kJiebaCategories.end(), category);
    groups[static_cast<std::size_t>(group - kJiebaCategories.begin())].add(std::move(entry));
  });
  const std::string prefix = source.name.empty() ? std::string("jieba") : source.name;
  std::vector<LexiconCategory> out;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].empty()) continue;
    out.push_back({prefix + "." + std::string(kJiebaCategories[g]), groups[g].take()});
  }
  return out;
}

std::vector<LexiconCategory> read_directory(const LexiconSource& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(source.path, ec)) throw IoError(source.path, "not a directory");
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(source.path, ec))
    if (e.path().extension() == ".txt" && e.is_regular_file(ec)) files.push_back(e.path());
  if (ec) throw IoError(source.path, "cannot list: " + ec.message());
  if (files.empty())
    throw IoError(source.path,
                  "holds no *.txt word lists (each would be category " + source.name + ".STEM)");
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  std::vector<LexiconCategory> out;
  for (const fs::path& file : files)
    out.push_back({source.name + "." + file.stem().string(), read_word_list(file.string())});
  return out;
}

}  // namespace

LexiconSource LexiconSource::parse(std::string_view spec) {
  const std::string quoted = "lexicon source '" + abbreviate(spec) + "': ";
  LexiconSource source;
  if (spec == "jieba") {
    source.kind = Kind::kJieba;
    source.name = "jieba";
    source.path = std::string(kJiebaDictionary);
    return source;
  }
  const std::size_t eq = spec.find('=');
  if (eq == std::string_view::npos)
    throw std::invalid_argument(quoted + "expected NAME=FILE, PREFIX=DIR, jieba or jieba=FILE");
  source.name = std::string(spec.substr(0, eq));
  source.path = std::string(spec.substr(eq + 1));
  if (source.name.empty()) throw std::invalid_argument(quoted + "empty NAME before '='");
  if (source.path.empty()) throw std::invalid_argument(quoted + "empty PATH after '='");
  if (source.name.find_first_of("\t\n\r") != std::string::npos)
    throw std::invalid_argument(quoted + "NAME holds a tab or line break");
  std::error_code ec;
  if (source.name == "jieba")
    source.kind = Kind::kJieba;
  else if (std::filesystem::is_directory(source.path, ec))
    source.kind = Kind::kDirectory;
  else
    source.kind = Kind::kFile;
  return source;
}

std::string LexiconSource::to_string() const {
  if (kind == Kind::kJieba && name == "jieba" && path == kJiebaDictionary) return "jieba";
  return name + "=" + path;
}

std::string_view jieba_category(std::string_view pos) {
  static const std::unordered_map<std::string_view, std::string_view> kGroups = {
      {"nr", "person"},    {"nrfg", "person"},  {"nrt", "person"},  {"ns", "place"},
      {"nt", "org"},       {"nz", "proper"},    {"j", "proper"},    {"n", "noun"},
      {"ng", "noun"},      {"s", "noun"},       {"v", "verb"},      {"vn", "verb"},
      {"vg", "verb"},      {"vd", "verb"},      {"vi", "verb"},     {"vq", "verb"},
      {"i", "idiom"},      {"l", "idiom"},      {"a", "adjective"}, {"ad", "adjective"},
      {"an", "adjective"}, {"ag", "adjective"}, {"z", "adjective"}, {"b", "adjective"},
      {"t", "time"},       {"tg", "time"},      {"m", "number"},    {"mq", "number"},
      {"q", "number"}};
  const auto it = kGroups.find(pos);
  return it == kGroups.end() ? std::string_view() : it->second;
}

std::vector<LexiconCategory> read_lexicon_source(const LexiconSource& source) {
  switch (source.kind) {
    case LexiconSource::Kind::kJieba:
      return read_jieba(source);
    case LexiconSource::Kind::kDirectory:
      return read_directory(source);
    case LexiconSource::Kind::kFile:
      break;
  }
  return {{source.name, read_word_list(source.path)}};
}

Lexicon build_lexicon(const std::vector<LexiconSource>& sources) {
  std::vector<LexiconCategory> merged;
  std::unordered_map<std::string, std::size_t> index;
  for (const LexiconSource& source : sources) {
    for (LexiconCategory& category : read_lexicon_source(source)) {
      const auto [it, fresh] = index.emplace(category.name, merged.size());
      if (fresh) {
        merged.push_back(std::move(category));
      } else {
        std::vector<std::string>& entries = merged[it->second].entries;
        entries.insert(entries.end(), std::make_move_iterator(category.entries.begin()),
                       std::make_move_iterator(category.entries.end()));
      }
    }
  }
  std::vector<std::string> names;
  names.reserve(merged.size());
  for (const LexiconCategory& category : merged) names.push_back(category.name);
  Lexicon lexicon(std::move(names));
  std::vector<std::pair<int, std::span<const std::string>>> batches;
  for (std::size_t c = 0; c < merged.size(); ++c)
    batches.emplace_back(static_cast<int>(c), merged[c].entries);
  lexicon.add_batches(batches);
  lexicon.compact();
  return lexicon;
}

}  // namespace jointnlu
