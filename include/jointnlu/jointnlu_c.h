/* jointnlu C API: joint domain / intent / slot parsing with a distilled BiLSTM student.
 *
 *   struct jointnlu_params params = jointnlu_default_params();
 *   jointnlu_context* ctx = jointnlu_open("model.safetensors", params);
 *   if (!ctx) { fprintf(stderr, "%s\n", jointnlu_last_error()); return 1; }
 *   char* json = jointnlu_parse(ctx, "播放周杰伦的稻香");
 *   if (json) { puts(json); jointnlu_free_string(json); }
 *   jointnlu_close(ctx);
 *
 * A context may be used by several threads at once (jointnlu_parse does not modify it). Strings
 * are UTF-8. No function throws; failures return NULL (or a negative value) and set the calling
 * thread's jointnlu_last_error(). */
#ifndef JOINTNLU_C_H
#define JOINTNLU_C_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jointnlu_context jointnlu_context;

struct jointnlu_params {
  int threads;      /* threads for batch parsing; 1: the calling thread; 0: all cores */
  size_t max_chars; /* longest text accepted, in characters; longer ones fail */
};

/* The defaults: threads 1, max_chars 512. */
struct jointnlu_params jointnlu_default_params(void);

/* An exported .safetensors file or a student checkpoint directory. NULL on failure. */
jointnlu_context* jointnlu_open(const char* path, struct jointnlu_params params);

/* One utterance to a JSON object (see to_json in jointnlu.h):
 *   {"text", "domain", "intent", "domain_confidence", "intent_confidence",
 *    "slots": [{"key", "value", "start", "end", "confidence"}]}
 * malloc'ed: release it with jointnlu_free_string. NULL on failure (invalid UTF-8, empty, too
 * long, NULL arguments). */
char* jointnlu_parse(const jointnlu_context* ctx, const char* utf8_text);

void jointnlu_free_string(char* s);

/* Run-time lexicon edits of a model trained with a lexicon (no retraining): adds / removes one
 * entry of a category, e.g. jointnlu_lexicon_add(ctx, "contact", "林晓峰"). Safe while other
 * threads parse with the same context. add returns 0, or -1 on failure (no such category, a model
 * without a lexicon, an invalid entry, NULL arguments); remove returns 1 if the entry was present,
 * 0 if not, -1 on failure. */
int jointnlu_lexicon_add(const jointnlu_context* ctx, const char* category, const char* entry);
int jointnlu_lexicon_remove(const jointnlu_context* ctx, const char* category, const char* entry);

/* Releases the context (NULL is fine). */
void jointnlu_close(jointnlu_context* ctx);

/* The message of the calling thread's last failure; "" if none. Valid until the thread's next
 * jointnlu call. */
const char* jointnlu_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* JOINTNLU_C_H */
