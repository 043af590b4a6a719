// The C API (include/jointnlu/jointnlu_c.h) over jointnlu::Parser: exceptions stop here.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "jointnlu/jointnlu.h"
#include "jointnlu/jointnlu_c.h"

struct jointnlu_context {
  jointnlu::Parser parser;
};

namespace {

thread_local std::string last_error;

template <typename F>
auto guarded(F&& f, decltype(f()) on_error) noexcept -> decltype(f()) {
  try {
    last_error.clear();
    return f();
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown error";
  }
  return on_error;
}

}  // namespace

extern "C" {

jointnlu_params jointnlu_default_params(void) {
  const jointnlu::ParserOptions defaults;
  return {defaults.threads, defaults.max_chars};
}

jointnlu_context* jointnlu_open(const char* path, jointnlu_params params) {
  return guarded(
      [&]() -> jointnlu_context* {
        if (!path) throw std::invalid_argument("jointnlu_open: path is NULL");
        jointnlu::ParserOptions options;
        options.threads = params.threads;
        options.max_chars = params.max_chars;
        return new jointnlu_context{jointnlu::Parser::open(path, options)};
      },
      nullptr);
}

char* jointnlu_parse(const jointnlu_context* ctx, const char* utf8_text) {
  return guarded(
      [&]() -> char* {
        if (!ctx || !utf8_text) throw std::invalid_argument("jointnlu_parse: NULL argument");
        const std::string json = jointnlu::to_json(ctx->parser.parse(utf8_text));
        char* out = static_cast<char*>(std::malloc(json.size() + 1));
        if (!out) throw std::bad_alloc();
        std::memcpy(out, json.c_str(), json.size() + 1);
        return out;
      },
      nullptr);
}

void jointnlu_free_string(char* s) { std::free(s); }

int jointnlu_lexicon_add(const jointnlu_context* ctx, const char* category, const char* entry) {
  return guarded(
      [&]() -> int {
        if (!ctx || !category || !entry)
          throw std::invalid_argument("jointnlu_lexicon_add: NULL argument");
        ctx->parser.add_lexicon_entries(category, {entry});
        return 0;
      },
      -1);
}

int jointnlu_lexicon_remove(const jointnlu_context* ctx, const char* category, const char* entry) {
  return guarded(
      [&]() -> int {
        if (!ctx || !category || !entry)
          throw std::invalid_argument("jointnlu_lexicon_remove: NULL argument");
        return ctx->parser.remove_lexicon_entries(category, {entry}) > 0 ? 1 : 0;
      },
      -1);
}

void jointnlu_close(jointnlu_context* ctx) { delete ctx; }

const char* jointnlu_last_error(void) { return last_error.c_str(); }

}  // extern "C"
