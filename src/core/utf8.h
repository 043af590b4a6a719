// UTF-8 text as Unicode code points with byte offsets, so character positions (what slot spans
// and tags index) and byte positions (what the original string indexes) never get confused.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jointnlu {

struct DecodedText {
  std::vector<char32_t> chars;       // one entry per code point
  std::vector<std::size_t> offsets;  // byte offset of each code point, plus the total length
};

// Decodes UTF-8. On invalid input returns std::nullopt and, if error is given, a message naming
// the byte offset of the first bad sequence.
std::optional<DecodedText> decode_utf8(std::string_view text, std::string* error = nullptr);

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(const std::u32string& cps);

// Unicode general category Cc (C0/C1 controls, including tab and newline).
bool is_control(char32_t cp);
// CJK ideographs (the BERT tokenizer's definition: each is a token of its own).
bool is_cjk(char32_t cp);
bool is_whitespace(char32_t cp);
bool is_punctuation(char32_t cp);

// Checks a record's text: valid UTF-8, not empty, no control characters, at most max_chars code
// points. Returns a description of the first problem, or std::nullopt when the text is fine.
std::optional<std::string> check_text(std::string_view text, std::size_t max_chars);

// Shortens text for error messages (at most max_chars code points, "..." appended).
std::string abbreviate(std::string_view text, std::size_t max_chars = 40);

}  // namespace jointnlu
