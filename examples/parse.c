/* Parses utterances with the jointnlu C API, all in one batch: one JSON object per line on stdout.
 *
 *   parse_c MODEL TEXT...      (MODEL: an exported .safetensors file or a student directory)
 *   parse_c MODEL < texts.txt  (one text per line)
 *
 * Exit status: 0 if every text parsed, 1 otherwise (the error on stderr), 2 for bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jointnlu/jointnlu_c.h"

/* The lines of stdin, without their line ends: *count of them, malloc'ed. */
static char** read_lines(size_t* count) {
  char** lines = NULL;
  size_t n = 0, capacity = 0;
  char buffer[65536];
  while (fgets(buffer, sizeof buffer, stdin)) {
    buffer[strcspn(buffer, "\r\n")] = '\0';
    if (n == capacity) {
      char** grown;
      capacity = capacity ? 2 * capacity : 64;
      grown = realloc(lines, capacity * sizeof *lines);
      if (!grown) break;
      lines = grown;
    }
    lines[n] = malloc(strlen(buffer) + 1);
    if (!lines[n]) break;
    strcpy(lines[n++], buffer);
  }
  *count = n;
  return lines;
}

int main(int argc, char** argv) {
  jointnlu_context* ctx = NULL;
  jointnlu_result* result = NULL;
  jointnlu_status status;
  const char* const* texts;
  char** lines = NULL;
  size_t count, i;
  int exit_code = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL [TEXT...]   (no TEXT: one per line on stdin)\n", argv[0]);
    return 2;
  }
  status = jointnlu_open(argv[1], jointnlu_default_params(), &ctx);
  if (status != JOINTNLU_OK) {
    fprintf(stderr, "error (%s): %s\n", jointnlu_status_string(status), jointnlu_last_error());
    return 1;
  }
  if (argc > 2) {
    texts = (const char* const*)(argv + 2);
    count = (size_t)(argc - 2);
  } else {
    lines = read_lines(&count);
    texts = (const char* const*)lines;
  }
  status = jointnlu_parse_batch(ctx, texts, count, &result);
  if (status != JOINTNLU_OK) {
    fprintf(stderr, "error (%s): %s\n", jointnlu_status_string(status), jointnlu_last_error());
    exit_code = 1;
  }
  for (i = 0; i < jointnlu_result_count(result); ++i) {
    char* json = NULL;
    if (jointnlu_result_json(result, i, &json) != JOINTNLU_OK) {
      fprintf(stderr, "error: %s\n", jointnlu_last_error());
      exit_code = 1;
      continue;
    }
    puts(json);
    jointnlu_free_string(json);
  }
  jointnlu_result_free(result);
  if (lines) {
    for (i = 0; i < count; ++i) free(lines[i]);
    free(lines);
  }
  jointnlu_close(ctx);
  return exit_code;
}
