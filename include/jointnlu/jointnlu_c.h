/* jointnlu C API: joint domain / intent / slot parsing with a distilled BiLSTM student.
 *
 *   jointnlu_context* ctx;
 *   jointnlu_result* r;
 *   if (jointnlu_open("model.safetensors", jointnlu_default_params(), &ctx) != JOINTNLU_OK) {
 *     fprintf(stderr, "%s\n", jointnlu_last_error());
 *     return 1;
 *   }
 *   if (jointnlu_parse(ctx, "播放周杰伦的稻香", &r) == JOINTNLU_OK) {
 *     printf("%s %s\n", jointnlu_result_domain(r, 0), jointnlu_result_intent(r, 0));
 *     jointnlu_result_free(r);
 *   }
 *   jointnlu_close(ctx);
 *
 * Conventions
 *   - Strings are UTF-8 and NUL-terminated. Character positions (slot start / end) count Unicode
 *     code points of the input text.
 *   - No function throws or aborts. Every function that can fail returns a jointnlu_status; on
 *     failure its out-parameter is set to NULL (or left 0) and jointnlu_last_error() holds a
 *     message naming the problem (the file, the tensor, the text's index in a batch).
 *   - The result getters (jointnlu_result_*) cannot fail: an index out of range gives NULL, 0 or
 *     a negative number as documented, never undefined behaviour.
 *   - Texts that are not valid UTF-8, are empty, contain control characters or exceed
 *     params.max_chars fail with JOINTNLU_ERROR_INVALID_INPUT. A valid text with more tokens
 *     than the model reads (its max_length) is parsed from its beginning and flagged:
 *     jointnlu_result_truncated() is 1 and no slot lies in the part that was cut.
 *
 * Threads
 *   A context is immutable once opened, except for its lexicon, whose edits are synchronised:
 *   jointnlu_parse, jointnlu_parse_batch, jointnlu_parse_json, jointnlu_lexicon_add /
 *   _remove and jointnlu_model_info_json may be called from any number of threads on one context
 *   at once. jointnlu_close must not race with any other call on the same context. A
 *   jointnlu_result is immutable: its getters may be called from any thread; jointnlu_result_free
 *   must not race with them. jointnlu_last_error() is per thread.
 *
 * ABI rules (libjointnlu.so.MAJOR, MAJOR = JOINTNLU_VERSION_MAJOR)
 *   - Handles are opaque; applications never see their layout.
 *   - Within one SONAME, functions and enum values are only added, never changed or removed.
 *   - struct jointnlu_params is passed by value: its layout changes only together with the
 *     SONAME. Start from jointnlu_default_params() and set the fields you need.
 *   - Memory the library returns is released with the library's function named for it
 *     (jointnlu_free_string, jointnlu_result_free, jointnlu_close), never with free().
 *   - jointnlu_version() names the library actually loaded. */
#ifndef JOINTNLU_C_H
#define JOINTNLU_C_H

#include <stddef.h>

#include "jointnlu/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jointnlu_context jointnlu_context;
typedef struct jointnlu_result jointnlu_result; /* the parses of one call: one or a batch */

typedef enum jointnlu_status {
  JOINTNLU_OK = 0,
  JOINTNLU_ERROR_INVALID_ARGUMENT = 1, /* a NULL pointer, a bad parameter value */
  JOINTNLU_ERROR_INVALID_INPUT = 2,    /* a text (see Conventions) or a lexicon entry/category */
  JOINTNLU_ERROR_INVALID_MODEL = 3,    /* the model: malformed, wrong tensors, bad metadata */
  JOINTNLU_ERROR_IO = 4,               /* a file that cannot be read */
  JOINTNLU_ERROR_OUT_OF_MEMORY = 5,
  JOINTNLU_ERROR_INTERNAL = 6, /* anything else: a bug, please report it */
  /* Not a status: makes every int a valid value of the type (C++ callers and the library may
   * then hold codes a later version adds), and fixes its size to that of an int. */
  JOINTNLU_STATUS_INT_RANGE_ = 0x7fffffff
} jointnlu_status;

struct jointnlu_params {
  /* Threads jointnlu_parse_batch spreads a batch over; 1: the calling thread; 0: all cores. */
  int threads;
  /* Longest text accepted, in characters; longer ones are JOINTNLU_ERROR_INVALID_INPUT. */
  size_t max_chars;
  /* Lexicon files added at open to the model's categories of the same names, as
   * `jointnlu predict --lexicon`: "NAME=FILE", "PREFIX=DIR" or "jieba[=FILE]". May be NULL when
   * lexicon_count is 0. The strings are read during jointnlu_open only. */
  const char* const* lexicons;
  size_t lexicon_count;
};

/* "MAJOR.MINOR.PATCH" of the loaded library. Thread-safe. */
JOINTNLU_API const char* jointnlu_version(void);

/* A short constant name for a status ("ok", "invalid input", ...). Thread-safe. */
JOINTNLU_API const char* jointnlu_status_string(jointnlu_status status);

/* The defaults: threads 1, max_chars 512, no lexicons. Thread-safe. */
JOINTNLU_API struct jointnlu_params jointnlu_default_params(void);

/* Opens an exported .safetensors file (memory-mapped) or a student checkpoint directory into
 * *out. Thread-safe. */
JOINTNLU_API jointnlu_status jointnlu_open(const char* path, struct jointnlu_params params,
                                           jointnlu_context** out);

/* Releases the context (NULL is fine). Not concurrently with other calls on it. */
JOINTNLU_API void jointnlu_close(jointnlu_context* ctx);

/* Parses one utterance into *out (a result of count 1). */
JOINTNLU_API jointnlu_status jointnlu_parse(const jointnlu_context* ctx, const char* text,
                                            jointnlu_result** out);

/* Parses count utterances into *out (a result of that count, in order). Every text is checked
 * before any is parsed: one invalid text fails the batch, and the message names its index.
 * Texts of similar length run through the network together, on params.threads threads; the
 * parses are the same as jointnlu_parse's. count 0 gives an empty result. */
JOINTNLU_API jointnlu_status jointnlu_parse_batch(const jointnlu_context* ctx,
                                                  const char* const* texts, size_t count,
                                                  jointnlu_result** out);

/* Convenience: one utterance straight to a JSON object (the same as jointnlu_result_json):
 *   {"text", "domain", "intent", "domain_confidence", "intent_confidence", "truncated",
 *    "slots": [{"key", "value", "start", "end", "confidence"}]}
 * Release *out_json with jointnlu_free_string. */
JOINTNLU_API jointnlu_status jointnlu_parse_json(const jointnlu_context* ctx, const char* text,
                                                 char** out_json);

/* The model's description as JSON (see to_json(ModelInfo) in jointnlu.h). */
JOINTNLU_API jointnlu_status jointnlu_model_info_json(const jointnlu_context* ctx, char** out_json);

JOINTNLU_API void jointnlu_free_string(char* s);

/* ---- result getters: i indexes the parses of a result, j the slots of parse i ---- */

/* Number of parses (0 for NULL). */
JOINTNLU_API size_t jointnlu_result_count(const jointnlu_result* r);
/* The input text, domain, intent of parse i; NULL if i is out of range. Valid until
 * jointnlu_result_free. */
JOINTNLU_API const char* jointnlu_result_text(const jointnlu_result* r, size_t i);
JOINTNLU_API const char* jointnlu_result_domain(const jointnlu_result* r, size_t i);
JOINTNLU_API const char* jointnlu_result_intent(const jointnlu_result* r, size_t i);
/* Softmax probabilities in [0, 1]; -1 if i is out of range. */
JOINTNLU_API double jointnlu_result_domain_confidence(const jointnlu_result* r, size_t i);
JOINTNLU_API double jointnlu_result_intent_confidence(const jointnlu_result* r, size_t i);
/* 1 if the text had more tokens than the model reads (see Conventions), 0 if not, -1 if i is
 * out of range. */
JOINTNLU_API int jointnlu_result_truncated(const jointnlu_result* r, size_t i);
/* Number of slots of parse i (0 if i is out of range); slots are in text order and disjoint. */
JOINTNLU_API size_t jointnlu_result_slot_count(const jointnlu_result* r, size_t i);
/* Slot j of parse i: key ("artist"), value (the text of [start, end)); NULL if out of range. */
JOINTNLU_API const char* jointnlu_result_slot_key(const jointnlu_result* r, size_t i, size_t j);
JOINTNLU_API const char* jointnlu_result_slot_value(const jointnlu_result* r, size_t i, size_t j);
/* The slot's characters [start, end), code point indices into the text; 0 if out of range. */
JOINTNLU_API size_t jointnlu_result_slot_start(const jointnlu_result* r, size_t i, size_t j);
JOINTNLU_API size_t jointnlu_result_slot_end(const jointnlu_result* r, size_t i, size_t j);
/* The lowest tag probability over the span, in [0, 1]; -1 if out of range. */
JOINTNLU_API double jointnlu_result_slot_confidence(const jointnlu_result* r, size_t i, size_t j);
/* Parse i as JSON (see jointnlu_parse_json); release with jointnlu_free_string. */
JOINTNLU_API jointnlu_status jointnlu_result_json(const jointnlu_result* r, size_t i,
                                                  char** out_json);
/* Releases a result (NULL is fine). */
JOINTNLU_API void jointnlu_result_free(jointnlu_result* r);

/* ---- run-time lexicon edits of a model trained with a lexicon (no retraining) ---- */

/* Adds one entry to a category, e.g. jointnlu_lexicon_add(ctx, "contact", "林晓峰"): parses that
 * start afterwards match it like a trained-in entry. JOINTNLU_ERROR_INVALID_INPUT for a category
 * the model lacks (or a model without a lexicon) and for an empty, non-UTF-8, over-256-byte or
 * control-character entry; nothing changes then. */
JOINTNLU_API jointnlu_status jointnlu_lexicon_add(const jointnlu_context* ctx, const char* category,
                                                  const char* entry);
/* Removes one entry; *removed (may be NULL) is 1 if it was present, 0 if not. */
JOINTNLU_API jointnlu_status jointnlu_lexicon_remove(const jointnlu_context* ctx,
                                                     const char* category, const char* entry,
                                                     int* removed);

/* The message of the calling thread's last failure; "" after a call that succeeded. Valid until
 * the thread's next jointnlu call. */
JOINTNLU_API const char* jointnlu_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* JOINTNLU_C_H */
