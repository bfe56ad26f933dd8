/* Ctrl-C: an atomic flag per Lua host, set by the SIGINT handler (for the host registered as
   the target) or by luashim_request_interrupt; a count hook raises "interrupted!" in Lua code,
   and Swift computations poll luashim_sigint_pending through Tensors' Cancellation. */
#include "LuaShim.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct luashim_host {
    void *owner;
    atomic_int interrupt;
};

/* How many VM instructions run between two looks at the flag. */
#define LUASHIM_HOOK_COUNT 1000

luashim_host *luashim_host_attach(lua_State *L, void *owner) {
    luashim_host *h = (luashim_host *)calloc(1, sizeof(luashim_host));
    if (h == NULL) return NULL;
    h->owner = owner;
    atomic_init(&h->interrupt, 0);
    memcpy(lua_getextraspace(L), &h, sizeof(h));
    return h;
}

void luashim_host_free(luashim_host *h) { free(h); }

void luashim_host_set_owner(luashim_host *h, void *owner) { if (h) h->owner = owner; }

luashim_host *luashim_host_of(lua_State *L) {
    luashim_host *h;
    memcpy(&h, lua_getextraspace(L), sizeof(h));
    return h;
}

void *luashim_owner(lua_State *L) {
    luashim_host *h = luashim_host_of(L);
    return h ? h->owner : NULL;
}

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    luashim_host *h = luashim_host_of(L);
    if (h != NULL && atomic_exchange(&h->interrupt, 0) != 0) {
        luaL_where(L, 0);  /* in a hook, level 0 is the interrupted Lua function */
        lua_pushliteral(L, "interrupted!");
        lua_concat(L, 2);
        lua_error(L);
    }
}

void luashim_install_interrupt_hook(lua_State *L) {
    lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, LUASHIM_HOOK_COUNT);
}

void luashim_request_interrupt(luashim_host *h) { if (h) atomic_store(&h->interrupt, 1); }
int luashim_interrupt_pending(luashim_host *h) { return h ? atomic_load(&h->interrupt) : 0; }
void luashim_clear_interrupt(luashim_host *h) { if (h) atomic_store(&h->interrupt, 0); }

static _Atomic(luashim_host *) sigint_host = NULL;
static struct sigaction previous_action;
static int installed = 0;

static void on_sigint(int sig) {
    (void)sig;
    luashim_host *h = atomic_load(&sigint_host);
    if (h != NULL) atomic_store(&h->interrupt, 1);
}

void luashim_sigint_target(luashim_host *target) { atomic_store(&sigint_host, target); }

void luashim_sigint_untarget(luashim_host *h) {
    luashim_host *expected = h;
    atomic_compare_exchange_strong(&sigint_host, &expected, NULL);
}

int luashim_sigint_install(int restart) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = restart ? SA_RESTART : 0;
    struct sigaction old;
    if (sigaction(SIGINT, &sa, &old) != 0) return -1;
    /* A parent may hand us SIGINT blocked (the mask is inherited): Ctrl-C must still arrive. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    if (!installed) {
        previous_action = old;
        installed = 1;
    }
    return 0;
}

void luashim_sigint_restore(void) {
    if (installed) {
        sigaction(SIGINT, &previous_action, NULL);
        installed = 0;
    }
}

void luashim_sigint_clear(void) {
    luashim_host *h = atomic_load(&sigint_host);
    if (h) atomic_store(&h->interrupt, 0);
}

int luashim_sigint_pending(void) {
    luashim_host *h = atomic_load(&sigint_host);
    return h ? atomic_load(&h->interrupt) : 0;
}
