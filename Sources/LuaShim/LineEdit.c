/* Line editing for the REPL through libedit's readline interface: prompt, history file, tab
   completion. The candidates come from Swift (luashim_set_completer). */
#include "LuaShim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <editline/readline.h>

static luashim_completer_fn completer = NULL;
static char **candidates = NULL;
static size_t candidate_count = 0, candidate_capacity = 0;
static int initialised = 0;

void luashim_completion_add(const char *candidate) {
    if (candidate == NULL) return;
    if (candidate_count == candidate_capacity) {
        size_t cap = candidate_capacity ? candidate_capacity * 2 : 32;
        char **grown = (char **)realloc(candidates, cap * sizeof(char *));
        if (grown == NULL) return;
        candidates = grown;
        candidate_capacity = cap;
    }
    char *copy = strdup(candidate);
    if (copy != NULL) candidates[candidate_count++] = copy;
}

static void clear_candidates(void) {
    for (size_t i = 0; i < candidate_count; i++) free(candidates[i]);
    candidate_count = 0;
}

/* readline's contract: matches[0] is the text that replaces the word (the longest common
   prefix), matches[1...] the candidates, then NULL; libedit frees them. */
static char **attempted_completion(const char *text, int start, int end) {
    (void)text;
    rl_attempted_completion_over = 1;
    if (completer == NULL) return NULL;
    clear_candidates();
    size_t n = (rl_line_buffer != NULL && rl_end > 0) ? (size_t)rl_end : 0;
    char *line = (char *)malloc(n + 1);
    if (line == NULL) return NULL;
    if (n > 0) memcpy(line, rl_line_buffer, n);
    line[n] = '\0';
    completer(line, start, end);
    free(line);
    if (candidate_count == 0) return NULL;
    char **matches = (char **)calloc(candidate_count + 2, sizeof(char *));
    if (matches == NULL) { clear_candidates(); return NULL; }
    size_t prefix = strlen(candidates[0]);
    for (size_t i = 1; i < candidate_count; i++) {
        size_t j = 0;
        while (j < prefix && candidates[i][j] == candidates[0][j]) j++;
        prefix = j;
    }
    if (candidate_count == 1) {
        matches[0] = candidates[0];
    } else {
        matches[0] = strndup(candidates[0], prefix);
        for (size_t i = 0; i < candidate_count; i++) matches[i + 1] = candidates[i];
    }
    candidate_count = 0; /* ownership passed to libedit */
    return matches;
}

static void initialise(void) {
    if (initialised) return;
    initialised = 1;
    rl_readline_name = "editlab";
    rl_attempted_completion_function = attempted_completion;
    /* '.' and ':' are not word breaks: "m:add_" and "tensor.ze" complete as one word. */
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^#~[]";
    rl_completer_word_break_characters = (char *)rl_basic_word_break_characters;
    rl_completion_append_character = '\0';
    using_history();
}

void luashim_set_completer(luashim_completer_fn fn) {
    initialise();
    completer = fn;
}

char *luashim_readline(const char *prompt, int *interrupted) {
    initialise();
    *interrupted = 0;
    luashim_sigint_clear();
    char *line = readline(prompt);
    /* Ctrl-C ends the read with no line. A Ctrl-C that came before libedit took the terminal
       (the tty driver already discarded what was typed) does not cancel the line typed after. */
    if (line == NULL && luashim_sigint_pending()) *interrupted = 1;
    luashim_sigint_clear();
    return line;
}

void luashim_free(void *p) { free(p); }

void luashim_history_add(const char *line) {
    initialise();
    add_history(line);
}

int luashim_history_load(const char *path) {
    initialise();
    return read_history(path);
}

int luashim_history_save(const char *path, int max_entries) {
    initialise();
    if (max_entries > 0) stifle_history(max_entries);
    return write_history(path);
}
