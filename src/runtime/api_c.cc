// The C API (include/jointnlu/jointnlu_c.h) over jointnlu::Parser: exceptions stop here and become
// a status plus the thread's last error message.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "jointnlu/jointnlu.h"
#include "jointnlu/jointnlu_c.h"

struct jointnlu_context {
  jointnlu::Parser parser;
};

struct jointnlu_result {
  std::vector<jointnlu::ParseResult> parses;
};

namespace {

thread_local std::string last_error;

// A NULL pointer or another misuse of the API by its caller.
struct ArgumentError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

jointnlu_status status_of(jointnlu::Error::Code code) {
  switch (code) {
    case jointnlu::Error::Code::kInvalidInput:
      return JOINTNLU_ERROR_INVALID_INPUT;
    case jointnlu::Error::Code::kInvalidModel:
      return JOINTNLU_ERROR_INVALID_MODEL;
    case jointnlu::Error::Code::kIo:
      return JOINTNLU_ERROR_IO;
    case jointnlu::Error::Code::kInternal:
      break;
  }
  return JOINTNLU_ERROR_INTERNAL;
}

// Runs f (which fills the out-parameter), mapping every exception to a status and a message.
template <typename F>
jointnlu_status guarded(F&& f) noexcept {
  try {
    last_error.clear();
    f();
    return JOINTNLU_OK;
  } catch (const jointnlu::Error& e) {
    last_error = e.what();
    return status_of(e.code());
  } catch (const ArgumentError& e) {
    last_error = e.what();
    return JOINTNLU_ERROR_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    last_error = "out of memory";
    return JOINTNLU_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown error";
  }
  return JOINTNLU_ERROR_INTERNAL;
}

template <typename T>
void require(const T* p, const char* function, const char* name) {
  if (!p) throw ArgumentError(std::string(function) + ": " + name + " is NULL");
}

// Clears an out-parameter first, so that it is NULL whatever happens next.
template <typename T>
void reset(T** out, const char* function) {
  require(out, function, "the out-parameter");
  *out = nullptr;
}

char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (!out) throw std::bad_alloc();
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

const jointnlu::ParseResult* parse_at(const jointnlu_result* r, size_t i) {
  return r && i < r->parses.size() ? &r->parses[i] : nullptr;
}

const jointnlu::SlotResult* slot_at(const jointnlu_result* r, size_t i, size_t j) {
  const auto* p = parse_at(r, i);
  return p && j < p->slots.size() ? &p->slots[j] : nullptr;
}

}  // namespace

extern "C" {

const char* jointnlu_version(void) { return jointnlu::version(); }

const char* jointnlu_status_string(jointnlu_status status) {
  switch (status) {
    case JOINTNLU_OK:
      return "ok";
    case JOINTNLU_ERROR_INVALID_ARGUMENT:
      return "invalid argument";
    case JOINTNLU_ERROR_INVALID_INPUT:
      return "invalid input";
    case JOINTNLU_ERROR_INVALID_MODEL:
      return "invalid model";
    case JOINTNLU_ERROR_IO:
      return "i/o error";
    case JOINTNLU_ERROR_OUT_OF_MEMORY:
      return "out of memory";
    case JOINTNLU_ERROR_INTERNAL:
      return "internal error";
    case JOINTNLU_STATUS_INT_RANGE_:
      break;
  }
  return "unknown status";
}

jointnlu_params jointnlu_default_params(void) {
  const jointnlu::ParserOptions defaults;
  return {defaults.threads, defaults.max_chars, nullptr, 0};
}

jointnlu_status jointnlu_open(const char* path, jointnlu_params params, jointnlu_context** out) {
  return guarded([&] {
    reset(out, "jointnlu_open");
    require(path, "jointnlu_open", "path");
    if (params.threads < 0) throw ArgumentError("jointnlu_open: params.threads is negative");
    if (params.max_chars == 0) throw ArgumentError("jointnlu_open: params.max_chars is 0");
    if (params.lexicon_count > 0) require(params.lexicons, "jointnlu_open", "params.lexicons");
    jointnlu::ParserOptions options;
    options.threads = params.threads;
    options.max_chars = params.max_chars;
    for (size_t i = 0; i < params.lexicon_count; ++i) {
      if (!params.lexicons[i])
        throw ArgumentError("jointnlu_open: params.lexicons[" + std::to_string(i) + "] is NULL");
      options.lexicons.emplace_back(params.lexicons[i]);
    }
    *out = new jointnlu_context{jointnlu::Parser::open(path, options)};
  });
}

void jointnlu_close(jointnlu_context* ctx) { delete ctx; }

jointnlu_status jointnlu_parse(const jointnlu_context* ctx, const char* text,
                               jointnlu_result** out) {
  return guarded([&] {
    reset(out, "jointnlu_parse");
    require(ctx, "jointnlu_parse", "ctx");
    require(text, "jointnlu_parse", "text");
    auto result = std::make_unique<jointnlu_result>();
    result->parses.push_back(ctx->parser.parse(text));
    *out = result.release();
  });
}

jointnlu_status jointnlu_parse_batch(const jointnlu_context* ctx, const char* const* texts,
                                     size_t count, jointnlu_result** out) {
  return guarded([&] {
    reset(out, "jointnlu_parse_batch");
    require(ctx, "jointnlu_parse_batch", "ctx");
    if (count > 0) require(texts, "jointnlu_parse_batch", "texts");
    std::vector<std::string> batch;
    batch.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (!texts[i])
        throw ArgumentError("jointnlu_parse_batch: texts[" + std::to_string(i) + "] is NULL");
      batch.emplace_back(texts[i]);
    }
    auto result = std::make_unique<jointnlu_result>();
    result->parses = ctx->parser.parse_batch(batch);
    *out = result.release();
  });
}

jointnlu_status jointnlu_parse_json(const jointnlu_context* ctx, const char* text,
                                    char** out_json) {
  return guarded([&] {
    reset(out_json, "jointnlu_parse_json");
    require(ctx, "jointnlu_parse_json", "ctx");
    require(text, "jointnlu_parse_json", "text");
    *out_json = copy_string(jointnlu::to_json(ctx->parser.parse(text)));
  });
}

jointnlu_status jointnlu_model_info_json(const jointnlu_context* ctx, char** out_json) {
  return guarded([&] {
    reset(out_json, "jointnlu_model_info_json");
    require(ctx, "jointnlu_model_info_json", "ctx");
    *out_json = copy_string(jointnlu::to_json(ctx->parser.info()));
  });
}

void jointnlu_free_string(char* s) { std::free(s); }

size_t jointnlu_result_count(const jointnlu_result* r) { return r ? r->parses.size() : 0; }

const char* jointnlu_result_text(const jointnlu_result* r, size_t i) {
  const auto* p = parse_at(r, i);
  return p ? p->text.c_str() : nullptr;
}

const char* jointnlu_result_domain(const jointnlu_result* r, size_t i) {
  const auto* p = parse_at(r, i);
  return p ? p->domain.c_str() : nullptr;
}

const char* jointnlu_result_intent(const jointnlu_result* r, size_t i) {
  const auto* p = parse_at(r, i);
  return p ? p->intent.c_str() : nullptr;
}

double jointnlu_result_domain_confidence(const jointnlu_result* r, size_t i) {
  const auto* p = parse_at(r, i);
  return p ? p->domain_confidence : -1.0;
}

double jointnlu_result_intent_confidence(const jointnlu_result* r, size_t i) {
  const auto* p = parse_at(r, i);
  return p ? p->intent_confidence : -1.0;
}

int jointnlu_result_truncated(const jointnlu_result* r, size_t i) {
  const auto* p = parse_at(r, i);
  return p ? (p->truncated ? 1 : 0) : -1;
}

size_t jointnlu_result_slot_count(const jointnlu_result* r, size_t i) {
  const auto* p = parse_at(r, i);
  return p ? p->slots.size() : 0;
}

const char* jointnlu_result_slot_key(const jointnlu_result* r, size_t i, size_t j) {
  const auto* s = slot_at(r, i, j);
  return s ? s->key.c_str() : nullptr;
}

const char* jointnlu_result_slot_value(const jointnlu_result* r, size_t i, size_t j) {
  const auto* s = slot_at(r, i, j);
  return s ? s->value.c_str() : nullptr;
}

size_t jointnlu_result_slot_start(const jointnlu_result* r, size_t i, size_t j) {
  const auto* s = slot_at(r, i, j);
  return s ? s->start : 0;
}

size_t jointnlu_result_slot_end(const jointnlu_result* r, size_t i, size_t j) {
  const auto* s = slot_at(r, i, j);
  return s ? s->end : 0;
}

double jointnlu_result_slot_confidence(const jointnlu_result* r, size_t i, size_t j) {
  const auto* s = slot_at(r, i, j);
  return s ? s->confidence : -1.0;
}

jointnlu_status jointnlu_result_json(const jointnlu_result* r, size_t i, char** out_json) {
  return guarded([&] {
    reset(out_json, "jointnlu_result_json");
    require(r, "jointnlu_result_json", "r");
    const auto* p = parse_at(r, i);
    if (!p)
      throw ArgumentError("jointnlu_result_json: index " + std::to_string(i) +
                          " out of range (the result holds " + std::to_string(r->parses.size()) +
                          ")");
    *out_json = copy_string(jointnlu::to_json(*p));
  });
}

void jointnlu_result_free(jointnlu_result* r) { delete r; }

jointnlu_status jointnlu_lexicon_add(const jointnlu_context* ctx, const char* category,
                                     const char* entry) {
  return guarded([&] {
    require(ctx, "jointnlu_lexicon_add", "ctx");
    require(category, "jointnlu_lexicon_add", "category");
    require(entry, "jointnlu_lexicon_add", "entry");
    ctx->parser.add_lexicon_entries(category, {entry});
  });
}

jointnlu_status jointnlu_lexicon_remove(const jointnlu_context* ctx, const char* category,
                                        const char* entry, int* removed) {
  if (removed) *removed = 0;
  return guarded([&] {
    require(ctx, "jointnlu_lexicon_remove", "ctx");
    require(category, "jointnlu_lexicon_remove", "category");
    require(entry, "jointnlu_lexicon_remove", "entry");
    const bool was_there = ctx->parser.remove_lexicon_entries(category, {entry}) > 0;
    if (removed) *removed = was_there ? 1 : 0;
  });
}

const char* jointnlu_last_error(void) { return last_error.c_str(); }

}  // extern "C"
