#ifndef EDITLAB_LUASHIM_H
#define EDITLAB_LUASHIM_H
/*
 * The only C code of EditLab (DESIGN.md, hard rule 1).
 *
 *  1. Wrappers for Lua's macros and variadic functions, which Swift cannot import.
 *  2. Protected helpers: every API call that can raise an error or run a metamethod
 *     (lua_getfield, lua_settable, lua_len, luaL_tolstring, lua_next, lua_setglobal, ...)
 *     runs inside lua_pcall here. Each returns LUA_OK with its result on the stack, or an
 *     error status with the error value on the stack, or LUASHIM_ENOSTACK (nothing pushed)
 *     when the Lua stack cannot grow.
 *  3. The trampoline: every Swift function exposed to Lua is a C closure over
 *     luashim_trampoline. Swift pushes its results and returns their count, or pushes an
 *     error message and returns LUASHIM_RAISE; the trampoline calls lua_error only after
 *     Swift has returned, so no Lua error ever longjmps across a Swift frame.
 *  4. Boxed userdata: a block {magic, pointer to a retained Swift object}; __gc and __close
 *     clear the pointer and hand it to a Swift release callback; __index looks methods up in
 *     a table and falls back to a Swift function for fields.
 *  5. Ctrl-C: a SIGINT handler sets an atomic flag in the host of the interactive state; a
 *     count hook raises "interrupted!" when it finds the flag set; Swift polls the same flag
 *     (Tensors' Cancellation).
 *  6. Line editing through libedit (readline interface) for the REPL.
 *
 * Only functions marked [-o, +p, -] or [..., m] in the Lua manual (no metamethods, errors
 * only on memory exhaustion) are called directly from Swift.
 */
#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#ifdef __cplusplus
extern "C" {
#endif

int luashim_version(void);

/* ---- 1. Macros and variadic functions ---- */
int luashim_registryindex(void);
int luashim_upvalueindex(int i);
int luashim_ridx_globals(void);
int luashim_multret(void);
void luashim_pop(lua_State *L, int n);
void luashim_newtable(lua_State *L);
const char *luashim_tostring(lua_State *L, int idx, size_t *len); /* lua_tolstring: no metamethods */
int luashim_pcall(lua_State *L, int nargs, int nresults, int msgh);
int luashim_gc(lua_State *L, int what, int arg);
int luashim_gc_count_kb(lua_State *L);
void luashim_gc_step_kb(lua_State *L, int kb);
void luashim_pushglobaltable(lua_State *L);
void luashim_insert(lua_State *L, int idx);
void luashim_remove(lua_State *L, int idx);
void luashim_replace(lua_State *L, int idx);
void luashim_pushcfunction(lua_State *L, lua_CFunction f);
const char *luashim_pushfstring_s(lua_State *L, const char *fmt, const char *s);
void *luashim_getextraspace(lua_State *L);
/* luaL_traceback of L1 pushed on L; level as in the manual. */
void luashim_traceback(lua_State *L, lua_State *L1, const char *msg, int level);
/* The message handler of lua.c: appends a traceback to a string message. */
int luashim_msghandler(lua_State *L);
/* Calls the function below nargs arguments under lua_pcall with luashim_msghandler. */
int luashim_pcall_traceback(lua_State *L, int nargs, int nresults);
/* Writes to C's stdout (the same buffer Lua's io.write uses); flushes after a newline. */
void luashim_write_stdout(const char *s, size_t len);
void luashim_write_stderr(const char *s, size_t len);

/* ---- 2. Protected helpers ---- */
#define LUASHIM_ENOSTACK (-1)
int luashim_openlibs(lua_State *L);                           /* luaL_openlibs */
int luashim_getfield(lua_State *L, int idx, const char *k);   /* +1: t[k] (may run __index) */
int luashim_setfield(lua_State *L, int idx, const char *k);   /* pops value: t[k] = v */
int luashim_gettable(lua_State *L, int idx);                  /* key on top replaced by t[key] */
int luashim_settable(lua_State *L, int idx);                  /* pops key and value */
int luashim_getglobal(lua_State *L, const char *name);        /* +1 */
int luashim_setglobal(lua_State *L, const char *name);        /* pops value */
int luashim_len(lua_State *L, int idx);                       /* +1: #v (may run __len) */
int luashim_tolstring(lua_State *L, int idx);                 /* +1: luaL_tolstring (may run __tostring) */
/* +2 (key, value) and *more = 1, or +0 and *more = 0 at the end; the key on top is popped. */
int luashim_next(lua_State *L, int idx, int *more);
int luashim_compare(lua_State *L, int i1, int i2, int op, int *result);
int luashim_concat(lua_State *L, int n);
int luashim_require(lua_State *L, const char *name);          /* +1 */

/* ---- 3. Trampolines ---- */
#define LUASHIM_RAISE (-1)        /* message (a string) on top: raise it with position info */
#define LUASHIM_RAISE_VALUE (-2)  /* raise the value on top as it is */
/* Called by the trampoline with the id stored in its upvalue; returns the number of results,
   or LUASHIM_RAISE / LUASHIM_RAISE_VALUE. */
typedef int (*luashim_dispatch_fn)(lua_State *L, lua_Integer id);
void luashim_set_dispatcher(luashim_dispatch_fn fn);
/* Pushes a C closure over the trampoline for Swift function `id`. */
void luashim_pushfunction(lua_State *L, lua_Integer id);
/* Whether the value at idx is a trampoline closure; then *id is its function id. */
int luashim_functionid(lua_State *L, int idx, lua_Integer *id);

/* ---- 4. Boxed userdata ---- */
typedef void (*luashim_release_fn)(void *box);
void luashim_set_release(luashim_release_fn fn);
/* New full userdata holding `box` (already retained by the caller); +1. */
void luashim_newbox(lua_State *L, void *box);
/* The box of the value at idx, or NULL (not a boxed userdata, or already released). */
void *luashim_tobox(lua_State *L, int idx);
/* Whether the value at idx is a boxed userdata (released or not). */
int luashim_isbox(lua_State *L, int idx);
/* Releases the box of the value at idx now (as __gc would). */
void luashim_releasebox(lua_State *L, int idx);
/* C functions for metatables. */
int luashim_box_gc(lua_State *L);
/* Pushes the __index closure: methods table at `methods`, fallback function at `fallback`
   (or 0 for none). */
void luashim_pushindex(lua_State *L, int methods, int fallback);

/* ---- 5. Ctrl-C ---- */
typedef struct luashim_host luashim_host;
/* Creates the host record of a state (stored in its extra space); owner is opaque to C. */
luashim_host *luashim_host_attach(lua_State *L, void *owner);
void luashim_host_free(luashim_host *h);
void luashim_host_set_owner(luashim_host *h, void *owner);
luashim_host *luashim_host_of(lua_State *L);
void *luashim_owner(lua_State *L);
/* Installs the count hook that raises "interrupted!" when the host's flag is set. */
void luashim_install_interrupt_hook(lua_State *L);
void luashim_request_interrupt(luashim_host *h);
int luashim_interrupt_pending(luashim_host *h);
void luashim_clear_interrupt(luashim_host *h);
/* SIGINT sets the flag of `target` (NULL: none). restart: SA_RESTART for the handler. */
void luashim_sigint_target(luashim_host *target);
/* Clears the SIGINT target if it is h (a closing state). */
void luashim_sigint_untarget(luashim_host *h);
int luashim_sigint_install(int restart);
void luashim_sigint_restore(void);
/* The flag of the SIGINT target (0 when there is none), for Cancellation. */
int luashim_sigint_pending(void);
void luashim_sigint_clear(void);

/* ---- 6. Line editing (libedit) ---- */
/* Reads one line with editing; NULL at end of input or after Ctrl-C (then *interrupted = 1).
   The result is malloc'ed: free it with luashim_free. */
char *luashim_readline(const char *prompt, int *interrupted);
void luashim_free(void *p);
void luashim_history_add(const char *line);
int luashim_history_load(const char *path);
int luashim_history_save(const char *path, int max_entries);
/* Completion: the callback gets the whole line and the [start, end) byte range of the word
   being completed and calls luashim_completion_add for each candidate (a full replacement of
   the word). */
typedef void (*luashim_completer_fn)(const char *line, int start, int end);
void luashim_set_completer(luashim_completer_fn fn);
void luashim_completion_add(const char *candidate);

#ifdef __cplusplus
}
#endif
#endif
