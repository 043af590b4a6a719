/* Parses utterances with the jointnlu C API: one JSON object per line on stdout.
 *
 *   parse_example MODEL TEXT...      (MODEL: an exported .safetensors file or a student directory)
 *
 * Exit status: 0 if every text parsed, 1 otherwise (the error on stderr), 2 for bad usage. */
#include <stdio.h>

#include "jointnlu/jointnlu_c.h"

int main(int argc, char** argv) {
  struct jointnlu_params params;
  jointnlu_context* ctx;
  int status = 0;
  int i;

  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL TEXT...\n", argv[0]);
    return 2;
  }
  params = jointnlu_default_params();
  ctx = jointnlu_open(argv[1], params);
  if (ctx == NULL) {
    fprintf(stderr, "error: %s\n", jointnlu_last_error());
    return 1;
  }
  for (i = 2; i < argc; ++i) {
    char* json = jointnlu_parse(ctx, argv[i]);
    if (json == NULL) {
      fprintf(stderr, "error: %s\n", jointnlu_last_error());
      status = 1;
      continue;
    }
    puts(json);
    jointnlu_free_string(json);
  }
  jointnlu_close(ctx);
  return status;
}
