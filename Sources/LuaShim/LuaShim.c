/* Wrappers, protected helpers, trampolines and boxed userdata. See include/LuaShim.h. */
#include "LuaShim.h"
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

int luashim_version(void) { return LUA_VERSION_NUM; }

/* ---- 1. Macros and variadic functions ---- */

int luashim_registryindex(void) { return LUA_REGISTRYINDEX; }
int luashim_upvalueindex(int i) { return lua_upvalueindex(i); }
int luashim_ridx_globals(void) { return LUA_RIDX_GLOBALS; }
int luashim_multret(void) { return LUA_MULTRET; }
void luashim_pop(lua_State *L, int n) { lua_pop(L, n); }
void luashim_newtable(lua_State *L) { lua_newtable(L); }
const char *luashim_tostring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
int luashim_pcall(lua_State *L, int nargs, int nresults, int msgh) { return lua_pcall(L, nargs, nresults, msgh); }
int luashim_gc(lua_State *L, int what, int arg) {
    switch (what) {
    case LUA_GCSTEP: return lua_gc(L, LUA_GCSTEP, arg);
    default: return lua_gc(L, what);
    }
}
int luashim_gc_count_kb(lua_State *L) { return lua_gc(L, LUA_GCCOUNT); }
void luashim_gc_step_kb(lua_State *L, int kb) { (void)lua_gc(L, LUA_GCSTEP, kb); }
void luashim_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
void luashim_insert(lua_State *L, int idx) { lua_insert(L, idx); }
void luashim_remove(lua_State *L, int idx) { lua_remove(L, idx); }
void luashim_replace(lua_State *L, int idx) { lua_replace(L, idx); }
void luashim_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }
const char *luashim_pushfstring_s(lua_State *L, const char *fmt, const char *s) { return lua_pushfstring(L, fmt, s); }
void *luashim_getextraspace(lua_State *L) { return lua_getextraspace(L); }
void luashim_traceback(lua_State *L, lua_State *L1, const char *msg, int level) { luaL_traceback(L, L1, msg, level); }

/* lua.c's msghandler: a string message gets a traceback; another value is converted with its
   __tostring when it has one. */
int luashim_msghandler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        /* __tostring runs under pcall: an error inside it must not recurse into this handler */
        if (luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL) {
            lua_pushvalue(L, 1);
            if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
                return 1;
            lua_pop(L, 1);
        }
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int luashim_pcall_traceback(lua_State *L, int nargs, int nresults) {
    if (!lua_checkstack(L, 2)) return LUASHIM_ENOSTACK;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, luashim_msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

void luashim_write_stdout(const char *s, size_t len) {
    fwrite(s, 1, len, stdout);
    if (len > 0 && memchr(s, '\n', len) != NULL) fflush(stdout);
}

void luashim_write_stderr(const char *s, size_t len) {
    fflush(stdout);
    fwrite(s, 1, len, stderr);
    fflush(stderr);
}

/* ---- 2. Protected helpers ---- */
/* Each k_* function runs under lua_pcall with its operands as arguments. */

static int k_openlibs(lua_State *L) { luaL_openlibs(L); return 0; }
static int k_gettable(lua_State *L) { lua_gettable(L, 1); return 1; }     /* (t, k) -> t[k] */
static int k_settable(lua_State *L) { lua_settable(L, 1); return 0; }     /* (t, k, v) */
static int k_len(lua_State *L) { lua_len(L, 1); return 1; }
static int k_tolstring(lua_State *L) { luaL_tolstring(L, 1, NULL); return 1; }
static int k_getglobal(lua_State *L) { lua_getglobal(L, lua_tostring(L, 1)); return 1; }
static int k_setglobal(lua_State *L) { lua_pushvalue(L, 2); lua_setglobal(L, lua_tostring(L, 1)); return 0; }
static int k_next(lua_State *L) {                                          /* (t, k) -> k', v' | nothing */
    lua_settop(L, 2);
    if (lua_next(L, 1)) return 2;
    return 0;
}
static int k_compare(lua_State *L) {
    int op = (int)lua_tointeger(L, 3);
    lua_pushboolean(L, lua_compare(L, 1, 2, op));
    return 1;
}
static int k_concat(lua_State *L) { lua_concat(L, lua_gettop(L)); return 1; }
static int k_require(lua_State *L) {
    lua_getglobal(L, "require");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

/* Runs k with the n values on top of the stack as arguments, leaving nres results (or the
   error value). */
static int protect(lua_State *L, lua_CFunction k, int n, int nres) {
    lua_pushcfunction(L, k);
    lua_insert(L, -(n + 1));
    return lua_pcall(L, n, nres, 0);
}

int luashim_openlibs(lua_State *L) {
    if (!lua_checkstack(L, 2)) return LUASHIM_ENOSTACK;
    return protect(L, k_openlibs, 0, 0);
}

int luashim_getfield(lua_State *L, int idx, const char *k) {
    if (!lua_checkstack(L, 4)) return LUASHIM_ENOSTACK;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    lua_pushstring(L, k);
    return protect(L, k_gettable, 2, 1);
}

int luashim_setfield(lua_State *L, int idx, const char *k) {
    if (!lua_checkstack(L, 4)) return LUASHIM_ENOSTACK;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);   /* v t */
    lua_pushstring(L, k);    /* v t k */
    lua_rotate(L, -3, 2);    /* t k v */
    return protect(L, k_settable, 3, 0);
}

int luashim_gettable(lua_State *L, int idx) {
    if (!lua_checkstack(L, 4)) return LUASHIM_ENOSTACK;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);   /* k t */
    lua_insert(L, -2);       /* t k */
    return protect(L, k_gettable, 2, 1);
}

int luashim_settable(lua_State *L, int idx) {
    if (!lua_checkstack(L, 4)) return LUASHIM_ENOSTACK;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);   /* k v t */
    lua_insert(L, -3);       /* t k v */
    return protect(L, k_settable, 3, 0);
}

int luashim_getglobal(lua_State *L, const char *name) {
    if (!lua_checkstack(L, 4)) return LUASHIM_ENOSTACK;
    lua_pushstring(L, name);
    return protect(L, k_getglobal, 1, 1);
}

int luashim_setglobal(lua_State *L, const char *name) {
    if (!lua_checkstack(L, 4)) return LUASHIM_ENOSTACK;
    lua_pushstring(L, name);  /* v name */
    lua_insert(L, -2);        /* name v */
    return protect(L, k_setglobal, 2, 0);
}

int luashim_len(lua_State *L, int idx) {
    if (!lua_checkstack(L, 3)) return LUASHIM_ENOSTACK;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    return protect(L, k_len, 1, 1);
}

int luashim_tolstring(lua_State *L, int idx) {
    if (!lua_checkstack(L, 4)) return LUASHIM_ENOSTACK;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    return protect(L, k_tolstring, 1, 1);
}

int luashim_next(lua_State *L, int idx, int *more) {
    *more = 0;
    if (!lua_checkstack(L, 4)) { lua_pop(L, 1); return LUASHIM_ENOSTACK; }
    idx = lua_absindex(L, idx);
    int top = lua_gettop(L) - 1;       /* below the key */
    lua_pushvalue(L, idx);             /* k t */
    lua_insert(L, -2);                 /* t k */
    int status = protect(L, k_next, 2, LUA_MULTRET);
    if (status != LUA_OK) return status;
    *more = lua_gettop(L) - top == 2;
    return LUA_OK;
}

int luashim_compare(lua_State *L, int i1, int i2, int op, int *result) {
    if (!lua_checkstack(L, 5)) return LUASHIM_ENOSTACK;
    i1 = lua_absindex(L, i1);
    i2 = lua_absindex(L, i2);
    lua_pushvalue(L, i1);
    lua_pushvalue(L, i2);
    lua_pushinteger(L, op);
    int status = protect(L, k_compare, 3, 1);
    if (status == LUA_OK) {
        *result = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    return status;
}

int luashim_concat(lua_State *L, int n) {
    if (!lua_checkstack(L, 2)) return LUASHIM_ENOSTACK;
    return protect(L, k_concat, n, 1);
}

int luashim_require(lua_State *L, const char *name) {
    if (!lua_checkstack(L, 5)) return LUASHIM_ENOSTACK;
    lua_pushstring(L, name);
    return protect(L, k_require, 1, 1);
}

/* ---- 3. Trampolines ---- */

/* Set by every new VM (always to the same Swift function), possibly from several threads. */
static _Atomic(luashim_dispatch_fn) dispatcher = NULL;

void luashim_set_dispatcher(luashim_dispatch_fn fn) { atomic_store(&dispatcher, fn); }

/* The position of the nearest Lua caller (at most three levels up: a Swift function reached
   through __index or pcall is called from C), as luaL_where formats it. */
static void where(lua_State *L) {
    lua_Debug ar;
    for (int level = 1; level <= 3; level++) {
        if (!lua_getstack(L, level, &ar)) break;
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline > 0) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
            return;
        }
    }
    lua_pushliteral(L, "");
}

static int trampoline(lua_State *L) {
    lua_Integer id = lua_tointeger(L, lua_upvalueindex(1));
    luashim_dispatch_fn fn = atomic_load(&dispatcher);
    if (fn == NULL) return luaL_error(L, "EditLab: no dispatcher installed");
    int n = fn(L, id);
    /* Swift has returned: raising is safe now. */
    if (n >= 0) return n;
    if (n == LUASHIM_RAISE) {
        if (lua_type(L, -1) == LUA_TSTRING) {
            where(L);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
    }
    return lua_error(L);
}

void luashim_pushfunction(lua_State *L, lua_Integer id) {
    lua_pushinteger(L, id);
    lua_pushcclosure(L, trampoline, 1);
}

int luashim_functionid(lua_State *L, int idx, lua_Integer *id) {
    if (lua_tocfunction(L, idx) != trampoline) return 0;
    if (lua_getupvalue(L, idx, 1) == NULL) return 0;
    int isnum = 0;
    *id = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    return isnum;
}

/* ---- 4. Boxed userdata ---- */

#define LUASHIM_BOX_MAGIC 0x45646974426f7821ULL /* "EditBox!" */

typedef struct {
    uint64_t magic;
    void *box;
} luashim_box;

static _Atomic(luashim_release_fn) release_box = NULL;

void luashim_set_release(luashim_release_fn fn) { atomic_store(&release_box, fn); }

static luashim_box *getbox(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA) return NULL;
    if (lua_rawlen(L, idx) != sizeof(luashim_box)) return NULL;
    luashim_box *b = (luashim_box *)lua_touserdata(L, idx);
    if (b == NULL || b->magic != LUASHIM_BOX_MAGIC) return NULL;
    return b;
}

void luashim_newbox(lua_State *L, void *box) {
    luashim_box *b = (luashim_box *)lua_newuserdatauv(L, sizeof(luashim_box), 0);
    b->magic = LUASHIM_BOX_MAGIC;
    b->box = box;
}

void *luashim_tobox(lua_State *L, int idx) {
    luashim_box *b = getbox(L, idx);
    return b ? b->box : NULL;
}

int luashim_isbox(lua_State *L, int idx) { return getbox(L, idx) != NULL; }

void luashim_releasebox(lua_State *L, int idx) {
    luashim_box *b = getbox(L, idx);
    if (b && b->box) {
        void *p = b->box;
        b->box = NULL;
        luashim_release_fn fn = atomic_load(&release_box);
        if (fn) fn(p);
    }
}

int luashim_box_gc(lua_State *L) {
    luashim_releasebox(L, 1);
    return 0;
}

static int box_index(lua_State *L) {
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
        lua_pop(L, 1);
    }
    if (lua_isnil(L, lua_upvalueindex(2))) return 0;
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    return 1;
}

void luashim_pushindex(lua_State *L, int methods, int fallback) {
    methods = lua_absindex(L, methods);
    if (fallback != 0) fallback = lua_absindex(L, fallback);
    lua_pushvalue(L, methods);
    if (fallback != 0) lua_pushvalue(L, fallback); else lua_pushnil(L);
    lua_pushcclosure(L, box_index, 2);
}
