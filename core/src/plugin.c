/* SPDX-License-Identifier: MIT
 * core/src/plugin.c - loading user plugins (contracts.md section 1), building them from C
 * source on demand into a cache, and binding them to a problem spec.
 *
 * Loading: dlopen(RTLD_NOW | RTLD_LOCAL), then dlsym for every symbol of the ABI; the version
 * check comes first, as in Lua's luaL_checkversion_, so a plugin built for another ABI gets that
 * message rather than a missing-symbol one.
 *
 * Building: the compiler is run with fork/execvp, never through a shell (paths may contain
 * spaces), in a process group of its own under a time limit, with its stdout and stderr
 * captured through a pipe for the error message. Outputs are written to a fresh temporary
 * folder beside the target, synced and renamed into place, so readers only ever see complete
 * files; concurrent batch jobs building the same plugin take turns on a lock per cache entry,
 * so it is compiled once.
 *
 * Trust: the cache is private (0700), and nothing in it that another user could have written
 * is compiled against or loaded: the folders are opened with O_NOFOLLOW and checked with fstat,
 * the folders above it must not be changeable by other users, and cached objects and lock
 * files are opened relative to the checked folders.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock */

#include "ivp/plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ivp/sha256.h"
#include "plugin_header.h"

/* dlsym returns a data pointer; it is copied into function pointers with memcpy (a cast warns
 * under -Wpedantic), which needs both to have the same size (POSIX guarantees it). */
_Static_assert(sizeof(ivp_rhs_fn *) == sizeof(void *), "function and data pointers differ");

/* Lines of compiler output kept in an IVP_ERR_BUILD message. */
#define PLUGIN_BUILD_LOG_LINES 20

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------ */

/* a + b + c, malloc'ed; NULL when out of memory. */
static char *plugin_concat(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (s != NULL) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb);
        memcpy(s + la + lb, c, lc + 1);
    }
    return s;
}

static int plugin_ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* Writes names (NULL-terminated; NULL means none) as "a, b, c" into buf, "..." when cut. */
static void plugin_join_names(const char *const *names, char *buf, size_t size)
{
    size_t used = 0, i;

    buf[0] = '\0';
    if (names == NULL || names[0] == NULL) {
        snprintf(buf, size, "none");
        return;
    }
    for (i = 0; names[i] != NULL; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= size - used) {
            if (size > 4) {
                memcpy(buf + size - 4, "...", 4);
            }
            return;
        }
        used += (size_t)w;
    }
}

/* mkdir that also succeeds when path is already a folder. What ivp creates for its cache is
 * private (0700). */
static int plugin_mkdir(const char *path)
{
    struct stat sb;
    int e;
    if (mkdir(path, 0700) == 0) {
        return 0;
    }
    e = errno;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return 0;
    }
    errno = e == EEXIST ? ENOTDIR : e;
    return -1;
}

/* Creates dir and its missing parents (mkdir -p). status is what a failure returns. */
static ivp_status plugin_mkdirs(const char *dir, ivp_status status, ivp_error *err)
{
    char *p = malloc(strlen(dir) + 1);
    ivp_status st = IVP_OK;
    size_t i;

    if (p == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory creating %s", dir);
    }
    strcpy(p, dir);
    for (i = 1; p[i] != '\0'; i++) {
        if (p[i] == '/' && p[i - 1] != '/') {
            p[i] = '\0';
            if (plugin_mkdir(p) != 0) {
                st = ivp_error_set(err, status, "%s: cannot create folder: %s", p, strerror(errno));
                goto fail;
            }
            p[i] = '/';
        }
    }
    if (plugin_mkdir(p) != 0) {
        st = ivp_error_set(err, status, "%s: cannot create folder: %s", p, strerror(errno));
        goto fail;
    }
fail:
    free(p);
    return st;
}

/* Reads the whole file into *data (malloc'ed, *len bytes). */
static ivp_status plugin_read_file(const char *path, unsigned char **data, size_t *len,
                                   ivp_status status, ivp_error *err)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, used = 0, got;
    ivp_status st = IVP_OK;

    *data = NULL;
    *len = 0;
    if (f == NULL) {
        return ivp_error_set(err, status, "%s: cannot open plugin source: %s", path,
                             strerror(errno));
    }
    for (;;) {
        if (used == cap) {
            size_t ncap = cap == 0 ? 16384 : 2 * cap;
            unsigned char *nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                st = ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory reading", path);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        st = ivp_error_set(err, status, "%s: cannot read plugin source: %s", path, strerror(errno));
        goto fail;
    }
    *data = buf;
    *len = used;
    buf = NULL;
fail:
    free(buf);
    fclose(f);
    return st;
}

/* The cache folder: cache_dir, else $IVP_CACHE_DIR, else $XDG_CACHE_HOME/ivp, else
 * $HOME/.cache/ivp (empty variables count as unset). *root is malloc'ed. */
static ivp_status plugin_cache_root(const char *cache_dir, char **root, ivp_error *err)
{
    const char *env;

    *root = NULL;
    if (cache_dir != NULL && cache_dir[0] != '\0') {
        *root = plugin_concat(cache_dir, "", "");
    } else if ((env = getenv("IVP_CACHE_DIR")) != NULL && env[0] != '\0') {
        *root = plugin_concat(env, "", "");
    } else if ((env = getenv("XDG_CACHE_HOME")) != NULL && env[0] != '\0') {
        *root = plugin_concat(env, "/ivp", "");
    } else if ((env = getenv("HOME")) != NULL && env[0] != '\0') {
        *root = plugin_concat(env, "/.cache/ivp", "");
    } else {
        return ivp_error_set(err, IVP_ERR_BUILD,
                             "no cache folder for plugin builds: set IVP_CACHE_DIR (or HOME)");
    }
    if (*root == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    return IVP_OK;
}

/* ------------------------------------------------------------------------------------------
 * Trust: the cache holds code ivp compiles against and loads, so another user must not be able
 * to have written any of it (README "Plugin cache")
 * ------------------------------------------------------------------------------------------ */

#define PLUGIN_TRUST "ivp loads nothing another user could have written"
#define PLUGIN_FIX_DIR                                                                             \
    "make it yours and private (chmod 700), or set IVP_CACHE_DIR to a private folder"
#define PLUGIN_FIX_FILE "remove it; ivp builds it again"

/* IVP_ERR_PLUGIN unless sb, of path (the `what`), is a folder (is_dir) or a regular file owned
 * by this user and writable by no one else. */
static ivp_status plugin_check_private(const char *path, const struct stat *sb, int is_dir,
                                       const char *what, ivp_error *err)
{
    const char *fix = is_dir ? PLUGIN_FIX_DIR : PLUGIN_FIX_FILE;
    uid_t me = geteuid();
    if (is_dir ? !S_ISDIR(sb->st_mode) : !S_ISREG(sb->st_mode)) {
        return ivp_error_set(err, IVP_ERR_PLUGIN, "%s: the %s is not a %s; %s (%s)", path, what,
                             is_dir ? "folder" : "regular file", PLUGIN_TRUST, fix);
    }
    if (sb->st_uid != me) {
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: the %s is owned by uid %ld, not by you (uid %ld); %s (%s)", path,
                             what, (long)sb->st_uid, (long)me, PLUGIN_TRUST, fix);
    }
    if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: the %s is writable by group or others (mode %03o); %s (%s)", path,
                             what, (unsigned)(sb->st_mode & 07777), PLUGIN_TRUST, fix);
    }
    return IVP_OK;
}

/* Every folder above path (absolute, no trailing slash) must be changeable only by this user or
 * root, or be sticky (as /tmp is): otherwise another user could put a cache of their own in
 * the place of ours between the checks and the use. */
static ivp_status plugin_check_parents(const char *path, ivp_error *err)
{
    char *p = plugin_concat(path, "", "");
    uid_t me = geteuid();
    ivp_status st = IVP_OK;
    struct stat sb;
    size_t i;

    if (p == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    for (i = 0; p[i] != '\0' && st == IVP_OK; i++) {
        char keep;
        if (p[i] != '/') {
            continue;
        }
        keep = p[i + 1];
        p[i + 1] = '\0';
        if (i > 0) {
            p[i] = '\0'; /* "/a/b" rather than "/a/b/" in messages */
        }
        if (stat(p, &sb) != 0) {
            st = ivp_error_set(err, IVP_ERR_BUILD,
                               "%s: cannot check the folders above the "
                               "plugin cache: %s",
                               p, strerror(errno));
        } else if (sb.st_uid != 0 && sb.st_uid != me) {
            st = ivp_error_set(err, IVP_ERR_PLUGIN,
                               "%s: this folder above the plugin cache %s is owned by uid %ld, "
                               "who could replace the cache; %s (set IVP_CACHE_DIR to a "
                               "private folder)",
                               p, path, (long)sb.st_uid, PLUGIN_TRUST);
        } else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (sb.st_mode & S_ISVTX) == 0) {
            st = ivp_error_set(err, IVP_ERR_PLUGIN,
                               "%s: this folder above the plugin cache %s is writable by group "
                               "or others (mode %03o), who could replace the cache; %s (set "
                               "IVP_CACHE_DIR to a private folder)",
                               p, path, (unsigned)(sb.st_mode & 07777), PLUGIN_TRUST);
        }
        p[i] = '/';
        p[i + 1] = keep;
    }
    free(p);
    return st;
}

/* Opens (creating it first if create) the folder name in the folder at (an fd, or AT_FDCWD),
 * refusing a symbolic link, and checks it is private (plugin_check_private). path names it in
 * messages. */
static ivp_status plugin_open_private_dir(int at, const char *name, const char *path, int create,
                                          int *fd, ivp_error *err)
{
    struct stat sb;
    ivp_status st;

    *fd = -1;
    if (create && mkdirat(at, name, 0700) != 0 && errno != EEXIST) {
        return ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot create folder: %s", path,
                             strerror(errno));
    }
    *fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: the plugin cache folder is a symbolic link or not a "
                                 "folder; %s (%s)",
                                 path, PLUGIN_TRUST, PLUGIN_FIX_DIR);
        }
        return ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot open folder: %s", path,
                             strerror(errno));
    }
    if (fstat(*fd, &sb) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot check folder: %s", path,
                           strerror(errno));
    } else {
        st = plugin_check_private(path, &sb, 1, "plugin cache folder", err);
    }
    if (st != IVP_OK) {
        close(*fd);
        *fd = -1;
    }
    return st;
}

/* The cache, checked: root/include holds the ABI header, root/plugins the built objects
 * (<key>.so), root/locks one lock file per key. */
typedef struct plugin_cache {
    char *root; /* resolved (realpath) */
    char *inc;
    char *plugins;
    int plugins_fd; /* open on plugins, else -1 */
    int locks_fd;   /* open on root/locks, else -1 */
} plugin_cache;

static void plugin_cache_free(plugin_cache *c)
{
    free(c->root);
    free(c->inc);
    free(c->plugins);
    if (c->plugins_fd >= 0) {
        close(c->plugins_fd);
    }
    if (c->locks_fd >= 0) {
        close(c->locks_fd);
    }
    memset(c, 0, sizeof *c);
    c->plugins_fd = -1;
    c->locks_fd = -1;
}

/* Resolves the cache folder, creates what is missing (private, 0700), checks that no other user
 * can have written the folder, its parents, include/, plugins/ and locks/ (IVP_ERR_PLUGIN,
 * naming the path and what is wrong), and writes the ABI header into include/. */
static ivp_status plugin_prepare_cache(const char *cache_dir, plugin_cache *c, ivp_error *err)
{
    char *given = NULL, *abs = NULL, *locks = NULL, cwd[4096];
    int root_fd = -1, inc_fd = -1;
    size_t len;
    ivp_status st;

    memset(c, 0, sizeof *c);
    c->plugins_fd = -1;
    c->locks_fd = -1;
    st = plugin_cache_root(cache_dir, &given, err);
    if (st != IVP_OK) {
        goto fail;
    }
    len = strlen(given);
    while (len > 1 && given[len - 1] == '/') {
        given[--len] = '\0';
    }
    st = plugin_mkdirs(given, IVP_ERR_BUILD, err);
    if (st != IVP_OK) {
        goto fail;
    }
    /* The folders on the way as given (where symbolic links are), then as resolved. */
    if (given[0] == '/') {
        abs = plugin_concat(given, "", "");
    } else if (getcwd(cwd, sizeof cwd) != NULL) {
        abs = plugin_concat(cwd, strcmp(cwd, "/") == 0 ? "" : "/", given);
    } else {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot resolve the plugin cache folder: %s",
                           given, strerror(errno));
        goto fail;
    }
    c->root = realpath(given, NULL);
    if (abs == NULL || c->root == NULL) {
        st = abs == NULL ? ivp_error_set(err, IVP_ERR_NOMEM, "out of memory")
                         : ivp_error_set(err, IVP_ERR_BUILD,
                                         "%s: cannot resolve the plugin cache folder: %s", given,
                                         strerror(errno));
        goto fail;
    }
    st = plugin_check_parents(abs, err);
    if (st == IVP_OK) {
        st = plugin_check_parents(c->root, err);
    }
    if (st == IVP_OK) {
        st = plugin_open_private_dir(AT_FDCWD, c->root, c->root, 0, &root_fd, err);
    }
    if (st != IVP_OK) {
        goto fail;
    }
    c->inc = plugin_concat(c->root, "/include", "");
    c->plugins = plugin_concat(c->root, "/plugins", "");
    locks = plugin_concat(c->root, "/locks", "");
    if (c->inc == NULL || c->plugins == NULL || locks == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = plugin_open_private_dir(root_fd, "include", c->inc, 1, &inc_fd, err);
    if (st == IVP_OK) {
        st = plugin_open_private_dir(root_fd, "plugins", c->plugins, 1, &c->plugins_fd, err);
    }
    if (st == IVP_OK) {
        st = plugin_open_private_dir(root_fd, "locks", locks, 1, &c->locks_fd, err);
    }
    if (st == IVP_OK) {
        st = ivp_plugin_header_install(c->inc, err);
    }
fail:
    if (root_fd >= 0) {
        close(root_fd);
    }
    if (inc_fd >= 0) {
        close(inc_fd);
    }
    free(locks);
    free(abs);
    free(given);
    if (st != IVP_OK) {
        plugin_cache_free(c);
    }
    return st;
}

/* ------------------------------------------------------------------------------------------
 * The compiler command: $CC -O2 -shared -fPIC -I<include> -o OUT SRC -lm
 * ------------------------------------------------------------------------------------------ */

typedef struct plugin_cmd {
    char **argv; /* NULL-terminated; every element malloc'ed (execvp wants char *const[]) */
    size_t argc;
    size_t i_out; /* index of the -o argument */
    size_t i_src; /* index of the source file */
} plugin_cmd;

static void cmd_free(plugin_cmd *c)
{
    size_t i;
    if (c->argv != NULL) {
        for (i = 0; i < c->argc; i++) {
            free(c->argv[i]);
        }
        free(c->argv);
    }
    c->argv = NULL;
    c->argc = 0;
}

/* Replaces argument i by a copy of value; a value starting with '-' gets "./" in front, so a
 * file name is never taken for an option. */
static ivp_status cmd_set(plugin_cmd *c, size_t i, const char *value, ivp_error *err)
{
    char *v = plugin_concat(value[0] == '-' ? "./" : "", value, "");
    if (v == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    free(c->argv[i]);
    c->argv[i] = v;
    return IVP_OK;
}

/* Builds the command with the placeholders "<out>" and "<src>" (what the cache key hashes).
 * $CC is split at blanks, as make does, so CC="ccache gcc" works; a compiler whose path
 * contains a blank must be reached through PATH or a symlink. */
static ivp_status cmd_init(plugin_cmd *c, const char *inc_dir, ivp_error *err)
{
    static const char *const blanks = " \t\n";
    const char *cc = getenv("CC");
    const char *tail[] = {"-O2", "-shared", "-fPIC", NULL /* -I */, "-o", "<out>", "<src>", "-lm"};
    size_t n_tail = sizeof tail / sizeof tail[0];
    size_t n_words = 0, i, k = 0;
    const char *p;
    ivp_status st = IVP_OK;

    c->argv = NULL;
    c->argc = 0;
    if (cc == NULL || cc[strspn(cc, blanks)] == '\0') {
        cc = "cc";
    }
    for (p = cc + strspn(cc, blanks); *p != '\0'; p += strspn(p, blanks)) {
        n_words++;
        p += strcspn(p, blanks);
    }
    c->argv = calloc(n_words + n_tail + 1, sizeof *c->argv);
    if (c->argv == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    c->argc = n_words + n_tail;
    for (p = cc + strspn(cc, blanks); *p != '\0'; p += strspn(p, blanks)) {
        size_t len = strcspn(p, blanks);
        c->argv[k] = malloc(len + 1);
        if (c->argv[k] == NULL) {
            st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
            goto fail;
        }
        memcpy(c->argv[k], p, len);
        c->argv[k][len] = '\0';
        k++;
        p += len;
    }
    for (i = 0; i < n_tail; i++, k++) {
        c->argv[k] = tail[i] != NULL ? plugin_concat(tail[i], "", "")
                                     : plugin_concat("-I", inc_dir, "");
        if (c->argv[k] == NULL) {
            st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    c->i_out = n_words + 5;
    c->i_src = n_words + 6;
    return IVP_OK;
fail:
    cmd_free(c);
    return st;
}

/* Hashes a length-prefixed field, so field boundaries are part of the key. */
static void cmd_hash_field(ivp_sha256 *s, const void *data, size_t len)
{
    unsigned char pre[8];
    uint64_t l = len;
    size_t i;
    for (i = 0; i < 8; i++) {
        pre[i] = (unsigned char)(l >> (56 - 8 * i));
    }
    ivp_sha256_update(s, pre, sizeof pre);
    ivp_sha256_update(s, data, len);
}

/* ------------------------------------------------------------------------------------------
 * Signals and the time limit while building
 * ------------------------------------------------------------------------------------------ */

/* Seconds the compiler may run unless IVP_BUILD_TIMEOUT says otherwise. */
#define PLUGIN_BUILD_TIMEOUT 300.0
/* Seconds between SIGTERM and SIGKILL when the compiler is stopped. */
#define PLUGIN_KILL_GRACE 2.0

/* Set by the handlers installed while building: the last signal, and how many arrived. A
 * handler has no user data, so these are static; plugin_build_mutex makes builds from several
 * threads take turns. */
static volatile sig_atomic_t plugin_signal_caught;
static volatile sig_atomic_t plugin_signal_count;
static pthread_mutex_t plugin_build_mutex = PTHREAD_MUTEX_INITIALIZER;
static const int plugin_signal_numbers[3] = {SIGINT, SIGTERM, SIGHUP};

static void plugin_on_signal(int sig)
{
    plugin_signal_caught = sig;
    plugin_signal_count = plugin_signal_count + 1;
}

typedef struct plugin_guard {
    struct sigaction old[3];
    int installed[3];
} plugin_guard;

/* From here to plugin_guard_end, SIGINT, SIGTERM and SIGHUP (unless ignored) only set
 * plugin_signal_caught: the build stops its compiler, removes its temporary folder and returns
 * IVP_ERR_INTERRUPTED. No SA_RESTART, so a wait for the lock returns EINTR. */
static void plugin_guard_begin(plugin_guard *g)
{
    struct sigaction sa;
    size_t i;

    pthread_mutex_lock(&plugin_build_mutex);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plugin_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    plugin_signal_caught = 0;
    plugin_signal_count = 0;
    for (i = 0; i < 3; i++) {
        g->installed[i] = 0;
        if (sigaction(plugin_signal_numbers[i], NULL, &g->old[i]) == 0 &&
            ((g->old[i].sa_flags & SA_SIGINFO) != 0 || g->old[i].sa_handler != SIG_IGN) &&
            sigaction(plugin_signal_numbers[i], &sa, NULL) == 0) {
            g->installed[i] = 1;
        }
    }
}

/* Puts the caller's handlers back and returns the signal caught meanwhile (0 if none). A caller
 * that had a handler of its own for it gets the signal raised again, so it learns of it too. */
static int plugin_guard_end(plugin_guard *g)
{
    int sig = plugin_signal_caught;
    size_t i;
    for (i = 0; i < 3; i++) {
        if (g->installed[i]) {
            sigaction(plugin_signal_numbers[i], &g->old[i], NULL);
        }
    }
    for (i = 0; i < 3 && sig != 0; i++) {
        if (plugin_signal_numbers[i] == sig && g->installed[i] &&
            ((g->old[i].sa_flags & SA_SIGINFO) != 0 || g->old[i].sa_handler != SIG_DFL)) {
            raise(sig);
        }
    }
    plugin_signal_caught = 0;
    pthread_mutex_unlock(&plugin_build_mutex);
    return sig;
}

/* $IVP_BUILD_TIMEOUT in seconds (0: no limit); PLUGIN_BUILD_TIMEOUT when unset or empty. */
static ivp_status plugin_build_timeout(double *seconds, ivp_error *err)
{
    const char *env = getenv("IVP_BUILD_TIMEOUT");
    char *end = NULL;
    double v;

    *seconds = PLUGIN_BUILD_TIMEOUT;
    if (env == NULL || env[0] == '\0') {
        return IVP_OK;
    }
    v = strtod(env, &end);
    if (end == env || *end != '\0' || !(v >= 0.0 && v <= 1e9)) {
        return ivp_error_set(err, IVP_ERR_BUILD,
                             "IVP_BUILD_TIMEOUT: must be a number of seconds >= 0 (0: no limit), "
                             "got '%.40s'",
                             env);
    }
    *seconds = v;
    return IVP_OK;
}

static double plugin_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Stops the compiler's process group: SIGTERM, then SIGKILL after PLUGIN_KILL_GRACE seconds or
 * at a further signal, and reaps the compiler. The group also holds what the compiler driver
 * started (cc1, as, ld). */
static void cmd_stop(pid_t pid, int *wstatus)
{
    double until = plugin_now() + PLUGIN_KILL_GRACE;
    int count = plugin_signal_count;
    siginfo_t si;

    kill(-pid, SIGTERM);
    for (;;) {
        memset(&si, 0, sizeof si);
        /* WNOWAIT: a zombie leader keeps the group's id from being reused until the SIGKILL. */
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (si.si_pid == pid || plugin_now() >= until || plugin_signal_count != count) {
            break;
        }
        poll(NULL, 0, 10);
    }
    kill(-pid, SIGKILL);
    while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR) {
    }
}

/* Appends what the pipe holds now to log (keeping the first bytes) and discards the rest;
 * returns 0 at end of file, 1 otherwise. */
static int cmd_drain(int fd, char *log, size_t size, size_t *used)
{
    char sink[4096];
    ssize_t got;
    for (;;) {
        size_t room = size - 1 - *used;
        got = room > 0 ? read(fd, log + *used, room) : read(fd, sink, sizeof sink);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got == 0) {
            return 0;
        }
        if (got < 0) {
            return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : 0;
        }
        if (room > 0) {
            *used += (size_t)got;
        }
    }
}

/* Runs the command in a process group of its own, with stdin from /dev/null and its output
 * captured, and waits for it: at most timeout seconds (0: no limit; IVP_ERR_BUILD after), and
 * until a signal arrives (IVP_ERR_INTERRUPTED; needs plugin_guard_begin). Either way the
 * compiler's whole group is stopped. A failure is IVP_ERR_BUILD with the first lines of its
 * output. src names the source in messages. */
static ivp_status cmd_run(const plugin_cmd *c, const char *src, double timeout, ivp_error *err)
{
    char log[4096];
    size_t used = 0, i, lines = 0;
    int out_pipe[2] = {-1, -1}, exec_pipe[2] = {-1, -1};
    int exec_errno = 0, wstatus = 0, pipe_open = 1, timed_out = 0, interrupted = 0;
    double deadline = plugin_now() + timeout;
    pid_t pid = -1;
    ivp_status st = IVP_OK;
    ssize_t got;

    if (pipe(out_pipe) != 0 || pipe(exec_pipe) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot create a pipe for the compiler: %s", src,
                           strerror(errno));
        goto fail;
    }
    /* Close-on-exec everywhere: the child's dup2'ed stdout/stderr do not inherit the flag, and
     * exec_pipe's write end closing on a successful exec is how the parent learns exec worked;
     * processes forked by other threads meanwhile inherit none of them. */
    for (i = 0; i < 2; i++) {
        if (fcntl(out_pipe[i], F_SETFD, FD_CLOEXEC) != 0 ||
            fcntl(exec_pipe[i], F_SETFD, FD_CLOEXEC) != 0) {
            st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot set up the compiler's pipes: %s",
                               src, strerror(errno));
            goto fail;
        }
    }
    if (fcntl(out_pipe[0], F_SETFL, O_NONBLOCK) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot set up the compiler's pipes: %s", src,
                           strerror(errno));
        goto fail;
    }
    pid = fork();
    if (pid < 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot start the compiler: %s", src,
                           strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls until exec. Its own process group, so it can be
         * stopped with everything it starts, and a terminal's Ctrl-C reaches ivp only. */
        int e, null_fd;
        setpgid(0, 0);
        null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) {
            dup2(null_fd, STDIN_FILENO);
        }
        if (dup2(out_pipe[1], STDOUT_FILENO) >= 0 && dup2(out_pipe[1], STDERR_FILENO) >= 0) {
            execvp(c->argv[0], c->argv);
        }
        e = errno;
        if (write(exec_pipe[1], &e, sizeof e) != (ssize_t)sizeof e) {
            _exit(126); /* cannot even say why; the exit status says something failed */
        }
        _exit(127);
    }
    setpgid(pid, pid); /* as well, so the group exists before any kill below */
    close(out_pipe[1]);
    out_pipe[1] = -1;
    close(exec_pipe[1]);
    exec_pipe[1] = -1;

    /* Read the output (the compiler never blocks on a full pipe) until the compiler exits, a
     * signal arrives or time is up; wake at least every 100 ms to look. */
    for (;;) {
        int wait_ms = 100;
        pid_t r;
        if (plugin_signal_caught != 0) {
            interrupted = 1;
            cmd_stop(pid, &wstatus);
            break;
        }
        if (timeout > 0.0) {
            double left = deadline - plugin_now();
            if (left <= 0.0) {
                timed_out = 1;
                cmd_stop(pid, &wstatus);
                break;
            }
            if (left < 0.1) {
                wait_ms = (int)(left * 1000.0) + 1;
            }
        }
        if (pipe_open) {
            struct pollfd pfd;
            pfd.fd = out_pipe[0];
            pfd.events = POLLIN;
            pfd.revents = 0;
            if (poll(&pfd, 1, wait_ms) > 0) {
                pipe_open = cmd_drain(out_pipe[0], log, sizeof log, &used);
            }
        } else {
            poll(NULL, 0, wait_ms < 10 ? wait_ms : 10);
        }
        r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid) {
            if (pipe_open) {
                cmd_drain(out_pipe[0], log, sizeof log, &used);
            }
            break;
        }
        if (r < 0 && errno != EINTR) {
            st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot wait for the compiler '%s': %s", src,
                               c->argv[0], strerror(errno));
            kill(-pid, SIGKILL);
            goto fail;
        }
    }
    log[used] = '\0';
    if (interrupted) {
        st = ivp_error_set(err, IVP_ERR_INTERRUPTED,
                           "%s: interrupted by signal %d while compiling; the compiler '%s' was "
                           "stopped",
                           src, (int)plugin_signal_caught, c->argv[0]);
        goto fail;
    }
    if (timed_out) {
        st = ivp_error_set(err, IVP_ERR_BUILD,
                           "%s: compilation took longer than %g s, so the compiler '%s' was "
                           "stopped (IVP_BUILD_TIMEOUT sets the limit in seconds, 0 for none)",
                           src, timeout, c->argv[0]);
        goto fail;
    }
    do {
        got = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof exec_errno) {
        exec_errno = 0;
    }
    if (exec_errno != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD,
                           "%s: cannot run the C compiler '%s': %s (set CC to a C compiler)", src,
                           c->argv[0], strerror(exec_errno));
        goto fail;
    }
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        goto fail; /* success */
    }
    /* Keep the first lines, without the trailing newline. */
    for (i = 0; i < used; i++) {
        if (log[i] == '\n' && ++lines == PLUGIN_BUILD_LOG_LINES) {
            log[i] = '\0';
            used = i;
            break;
        }
    }
    while (used > 0 && log[used - 1] == '\n') {
        log[--used] = '\0';
    }
    if (WIFEXITED(wstatus)) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: compilation failed (%s exited with %d):\n%s",
                           src, c->argv[0], WEXITSTATUS(wstatus), log);
    } else {
        st = ivp_error_set(err, IVP_ERR_BUILD,
                           "%s: compilation failed (%s was killed by signal %d):\n%s", src,
                           c->argv[0], WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0, log);
    }
fail:
    for (i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0) {
            close(out_pipe[i]);
        }
        if (exec_pipe[i] >= 0) {
            close(exec_pipe[i]);
        }
    }
    return st;
}

/* Removes the temporary build folder tmp and whatever the compiler left in it. */
static void plugin_remove_tmp_dir(const char *tmp)
{
    DIR *d = opendir(tmp);
    struct dirent *e;
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                unlinkat(dirfd(d), e->d_name, 0);
            }
        }
        closedir(d);
    }
    rmdir(tmp);
}

/* fsync of the file or folder at path (opened read-only, which Linux allows); with mode_off,
 * those permission bits are cleared first. */
static int plugin_sync(const char *path, int is_dir, mode_t mode_off)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC | (is_dir ? O_DIRECTORY : 0)), rc = 0;
    if (fd < 0) {
        return -1;
    }
    if (mode_off != 0 && (fstat(fd, &sb) != 0 || fchmod(fd, sb.st_mode & 07777 & ~mode_off) != 0)) {
        rc = -1;
    }
    if (rc == 0 && fsync(fd) != 0 && !(is_dir && (errno == EINVAL || errno == EBADF))) {
        rc = -1;
    }
    if (close(fd) != 0) {
        rc = -1;
    }
    return rc;
}

/* Compiles src into out atomically: the compiler writes into a fresh private temporary folder
 * beside out (same file system), the result is synced and renamed into place, and the folder
 * is synced, so readers (and concurrent batch jobs) only ever see complete files, even after a
 * crash. A folder rather than a mkstemp file, because the linker keeps an existing file's
 * permission bits (0600). For the cache (private), the object is made writable by its owner
 * only. The temporary folder is removed on every path, signals included. */
static ivp_status plugin_compile(plugin_cmd *c, const char *src, const char *out, int private_out,
                                 double timeout, ivp_error *err)
{
    const char *slash = strrchr(out, '/');
    char *dir = NULL, *tmp_dir = NULL, *tmp_out = NULL;
    ivp_status st = IVP_OK;
    int made_dir = 0;

    if (slash == NULL) {
        dir = plugin_concat(".", "", "");
    } else {
        size_t len = slash == out ? 1 : (size_t)(slash - out);
        dir = malloc(len + 1);
        if (dir != NULL) {
            memcpy(dir, out, len);
            dir[len] = '\0';
        }
    }
    if (dir == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    tmp_dir = plugin_concat(dir, strcmp(dir, "/") == 0 ? "" : "/", ".ivp-build.XXXXXX");
    if (tmp_dir == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (mkdtemp(tmp_dir) == NULL) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot create a temporary folder in %s: %s",
                           src, dir, strerror(errno));
        goto fail;
    }
    made_dir = 1;
    tmp_out = plugin_concat(tmp_dir, "/", slash == NULL ? out : slash + 1);
    if (tmp_out == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = cmd_set(c, c->i_out, tmp_out, err);
    if (st == IVP_OK) {
        st = cmd_set(c, c->i_src, src, err);
    }
    if (st == IVP_OK) {
        st = cmd_run(c, src, timeout, err);
    }
    if (st != IVP_OK) {
        goto fail;
    }
    if (plugin_sync(tmp_out, 0, private_out ? (mode_t)(S_IWGRP | S_IWOTH) : 0) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot write the built plugin: %s", tmp_out,
                           strerror(errno));
        goto fail;
    }
    if (rename(tmp_out, out) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot move the built plugin into place: %s",
                           out, strerror(errno));
        goto fail;
    }
    if (plugin_sync(dir, 1, 0) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot sync the folder: %s", dir,
                           strerror(errno));
        goto fail;
    }
fail:
    if (made_dir) {
        plugin_remove_tmp_dir(tmp_dir);
    }
    free(tmp_out);
    free(tmp_dir);
    free(dir);
    return st;
}

/* ELF headers of this machine's word size. */
#if UINTPTR_MAX > 0xffffffffu
typedef Elf64_Ehdr plugin_ehdr;
typedef Elf64_Phdr plugin_phdr;
#define PLUGIN_ELFCLASS ELFCLASS64
#else
typedef Elf32_Ehdr plugin_ehdr;
typedef Elf32_Phdr plugin_phdr;
#define PLUGIN_ELFCLASS ELFCLASS32
#endif

/* Non-zero if the file open at fd (size bytes) is a complete shared object of this machine's
 * word size: ELF magic, and the program headers, the segments they load and the section
 * headers all inside the file. A truncated or overwritten object fails this (dlopen may
 * crash on one rather than fail). */
static int plugin_elf_complete(int fd, off_t size)
{
    plugin_ehdr eh;
    plugin_phdr ph;
    uint64_t fsize = (uint64_t)size, end;
    size_t i;

    if (size < (off_t)sizeof eh || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) {
        return 0;
    }
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != PLUGIN_ELFCLASS ||
        eh.e_type != ET_DYN || eh.e_phentsize != sizeof ph) {
        return 0;
    }
    end = (uint64_t)eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
    if (eh.e_phoff > fsize || (uint64_t)eh.e_phnum * sizeof ph > fsize - eh.e_phoff ||
        end > fsize) {
        return 0;
    }
    for (i = 0; i < eh.e_phnum; i++) {
        off_t at = (off_t)(eh.e_phoff + i * sizeof ph);
        if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph) {
            return 0;
        }
        if (ph.p_type == PT_LOAD &&
            ((uint64_t)ph.p_offset > fsize || (uint64_t)ph.p_filesz > fsize - ph.p_offset)) {
            return 0;
        }
    }
    return 1;
}

/* Looks at the cached object name in the plugins folder (path in messages). *usable is 1 when it
 * is a complete shared object, 0 when absent or damaged (build it again); *id receives its
 * stat. IVP_ERR_PLUGIN when another user could have written it (never loaded). */
static ivp_status plugin_cached_object(const plugin_cache *c, const char *name, const char *path,
                                       int *usable, struct stat *id, ivp_error *err)
{
    ivp_status st;
    int fd;

    *usable = 0;
    fd = openat(c->plugins_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            return IVP_OK;
        }
        if (errno == ELOOP) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: the cached plugin is a symbolic link; %s (%s)", path,
                                 PLUGIN_TRUST, PLUGIN_FIX_FILE);
        }
        return ivp_error_set(err, IVP_ERR_PLUGIN, "%s: cannot open the cached plugin: %s", path,
                             strerror(errno));
    }
    if (fstat(fd, id) != 0) {
        st = ivp_error_set(err, IVP_ERR_PLUGIN, "%s: cannot check the cached plugin: %s", path,
                           strerror(errno));
    } else {
        st = plugin_check_private(path, id, 0, "cached plugin", err);
    }
    if (st == IVP_OK) {
        *usable = plugin_elf_complete(fd, id->st_size);
    }
    close(fd);
    return st;
}

/* Takes the lock of one cache entry: an flock on locks/<key>.lock (created private, never
 * removed, so every process locks the same file). *fd is the open lock file. Waiting ends with
 * IVP_ERR_INTERRUPTED on a signal (needs plugin_guard_begin). */
static ivp_status plugin_lock_entry(const plugin_cache *c, const char *key, int *fd, ivp_error *err)
{
    char *name = plugin_concat(key, ".lock", ""), *path = NULL;
    struct stat sb;
    ivp_status st = IVP_OK;

    *fd = -1;
    if (name == NULL || (path = plugin_concat(c->root, "/locks/", name)) == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto done;
    }
    *fd = openat(c->locks_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (*fd < 0) {
        st = ivp_error_set(err, errno == ELOOP ? IVP_ERR_PLUGIN : IVP_ERR_BUILD,
                           "%s: cannot open the lock file: %s", path, strerror(errno));
        goto done;
    }
    if (fstat(*fd, &sb) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot check the lock file: %s", path,
                           strerror(errno));
        goto done;
    }
    st = plugin_check_private(path, &sb, 0, "lock file", err);
    while (st == IVP_OK && flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot lock: %s", path, strerror(errno));
        } else if (plugin_signal_caught != 0) {
            st = ivp_error_set(err, IVP_ERR_INTERRUPTED,
                               "%s: interrupted by signal %d while waiting for another build", path,
                               (int)plugin_signal_caught);
        }
    }
done:
    if (st != IVP_OK && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    free(path);
    free(name);
    return st;
}

/* Builds src into the cache unless a complete object is already there; *so_path (malloc'ed) is
 * the shared object, *id its stat, *built non-zero if this call compiled it. stale, if not NULL,
 * is an object that failed to load: if the entry still holds that file, it is built again.
 *
 * The key is the SHA-256 of the source bytes, the ABI header's bytes and the compiler command
 * (with placeholders for the output and source paths, which vary). Headers that the source
 * itself #includes are NOT part of the key: editing such a header does not trigger a rebuild
 * (clear the cache, or touch the source). Nor is the compiler's version.
 *
 * Concurrent callers (batch jobs) compile once: the build runs under the entry's lock, and
 * whoever gets the lock looks again before compiling. */
/* Writes len bytes of generated source into the cache's plugins/ as name (private, 0600). */
static ivp_status plugin_write_source(const plugin_cache *c, const char *name, const char *text,
                                      size_t len, const char *display, ivp_error *err)
{
    int fd = openat(c->plugins_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    size_t done = 0;
    if (fd < 0) {
        return ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot write the generated source %s/%s: %s",
                             display, c->plugins, name, strerror(errno));
    }
    while (done < len) {
        ssize_t k = write(fd, text + done, len - done);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            int e = errno;
            close(fd);
            return ivp_error_set(err, IVP_ERR_BUILD,
                                 "%s: cannot write the generated source %s/%s: %s", display,
                                 c->plugins, name, strerror(e));
        }
        done += (size_t)k;
    }
    if (close(fd) != 0) {
        return ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot write the generated source %s/%s: %s",
                             display, c->plugins, name, strerror(errno));
    }
    return IVP_OK;
}

/* src is the .c file, or with mem_text (generated source, mem_len bytes) the name messages use:
 * the text is keyed like a file's and written as <key>.c beside the object when it is built. */
static ivp_status plugin_build_cached(const char *src, const char *cache_dir,
                                      const struct stat *stale, char **so_path, struct stat *id,
                                      int *built, const char *mem_text, size_t mem_len,
                                      ivp_error *err)
{
    char *mem_src = NULL;
    plugin_cache cache = {NULL, NULL, NULL, -1, -1};
    unsigned char *text = NULL;
    const unsigned char *header;
    size_t text_len, header_len, i;
    plugin_cmd cmd = {NULL, 0, 0, 0};
    char hex[65], name[72];
    ivp_sha256 sha;
    plugin_guard guard;
    double timeout = 0.0;
    int usable = 0, guarded = 0, lock_fd = -1, sig;
    ivp_status st;

    *so_path = NULL;
    *built = 0;
    if (mem_text == NULL) {
        st = plugin_read_file(src, &text, &text_len, IVP_ERR_PLUGIN, err);
        if (st != IVP_OK) {
            goto fail;
        }
    }
    st = plugin_prepare_cache(cache_dir, &cache, err);
    if (st != IVP_OK) {
        goto fail;
    }
    st = cmd_init(&cmd, cache.inc, err);
    if (st != IVP_OK) {
        goto fail;
    }
    header = ivp_plugin_header_data(&header_len);
    ivp_sha256_init(&sha);
    if (mem_text != NULL) {
        cmd_hash_field(&sha, mem_text, mem_len);
    } else {
        cmd_hash_field(&sha, text, text_len);
    }
    cmd_hash_field(&sha, header, header_len);
    for (i = 0; i < cmd.argc; i++) {
        cmd_hash_field(&sha, cmd.argv[i], strlen(cmd.argv[i]));
    }
    ivp_sha256_final_hex(&sha, hex);
    snprintf(name, sizeof name, "%s.so", hex);
    *so_path = plugin_concat(cache.plugins, "/", name);
    if (*so_path == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
#define PLUGIN_IS_STALE(sb)                                                                        \
    (stale != NULL && (sb).st_dev == stale->st_dev && (sb).st_ino == stale->st_ino)
    st = plugin_cached_object(&cache, name, *so_path, &usable, id, err);
    if (st != IVP_OK || (usable && !PLUGIN_IS_STALE(*id))) {
        goto fail; /* a cache hit, or an object that must not be loaded */
    }
    st = plugin_build_timeout(&timeout, err);
    if (st != IVP_OK) {
        goto fail;
    }
    plugin_guard_begin(&guard);
    guarded = 1;
    st = plugin_lock_entry(&cache, hex, &lock_fd, err);
    if (st == IVP_OK) { /* another job may have built it meanwhile */
        st = plugin_cached_object(&cache, name, *so_path, &usable, id, err);
    }
    if (st == IVP_OK && (!usable || PLUGIN_IS_STALE(*id)) && mem_text != NULL) {
        char c_name[72];
        snprintf(c_name, sizeof c_name, "%s.c", hex);
        mem_src = plugin_concat(cache.plugins, "/", c_name);
        st = mem_src == NULL ? ivp_error_set(err, IVP_ERR_NOMEM, "out of memory")
                             : plugin_write_source(&cache, c_name, mem_text, mem_len, src, err);
    }
    if (st == IVP_OK && (!usable || PLUGIN_IS_STALE(*id))) {
        st = plugin_compile(&cmd, mem_src != NULL ? mem_src : src, *so_path, 1, timeout, err);
        *built = st == IVP_OK;
        if (st == IVP_OK) {
            st = plugin_cached_object(&cache, name, *so_path, &usable, id, err);
        }
        if (st == IVP_OK && !usable) {
            st = ivp_error_set(err, IVP_ERR_BUILD,
                               "%s: the compiler '%s' did not produce a complete shared object "
                               "(%s)",
                               src, cmd.argv[0], *so_path);
        }
    }
#undef PLUGIN_IS_STALE
fail:
    if (lock_fd >= 0) {
        close(lock_fd); /* releases the lock */
    }
    if (guarded) {
        sig = plugin_guard_end(&guard);
        if (sig != 0 && st != IVP_ERR_INTERRUPTED) {
            st = ivp_error_set(err, IVP_ERR_INTERRUPTED, "%s: interrupted by signal %d", src, sig);
        }
    }
    if (st != IVP_OK) {
        free(*so_path);
        *so_path = NULL;
    }
    cmd_free(&cmd);
    free(text);
    free(mem_src);
    plugin_cache_free(&cache);
    return st;
}

ivp_status ivp_plugin_build(const char *source, const char *out_so, const char *cache_dir,
                            ivp_error *err)
{
    plugin_cache cache = {NULL, NULL, NULL, -1, -1};
    plugin_cmd cmd = {NULL, 0, 0, 0};
    plugin_guard guard;
    double timeout = 0.0;
    char *out = NULL;
    ivp_status st;
    int sig;

    if (source == NULL || source[0] == '\0') {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_plugin_build: no source file given");
    }
    if (out_so != NULL) {
        out = plugin_concat(out_so, "", "");
    } else if (plugin_ends_with(source, ".c")) {
        size_t stem = strlen(source) - 2;
        out = malloc(stem + sizeof ".so");
        if (out != NULL) {
            memcpy(out, source, stem);
            memcpy(out + stem, ".so", sizeof ".so");
        }
    } else {
        out = plugin_concat(source, ".so", "");
    }
    if (out == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (strcmp(out, source) == 0) {
        st = ivp_error_set(err, IVP_ERR_ARG, "%s: the output would replace the source", source);
        goto fail;
    }
    if (access(source, R_OK) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot read plugin source: %s", source,
                           strerror(errno));
        goto fail;
    }
    st = plugin_build_timeout(&timeout, err);
    if (st == IVP_OK) {
        st = plugin_prepare_cache(cache_dir, &cache, err);
    }
    if (st == IVP_OK) {
        st = cmd_init(&cmd, cache.inc, err);
    }
    if (st == IVP_OK) {
        plugin_guard_begin(&guard);
        st = plugin_compile(&cmd, source, out, 0, timeout, err);
        sig = plugin_guard_end(&guard);
        if (sig != 0 && st != IVP_ERR_INTERRUPTED) {
            st = ivp_error_set(err, IVP_ERR_INTERRUPTED, "%s: interrupted by signal %d", source,
                               sig);
        }
    }
fail:
    cmd_free(&cmd);
    plugin_cache_free(&cache);
    free(out);
    return st;
}

/* ------------------------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------------------------ */

/* Looks sym up; NULL when absent, with dlerror's text (or a reason) in why. */
static void *plugin_sym(void *handle, const char *sym, char *why, size_t why_size)
{
    const char *e;
    void *p;

    dlerror(); /* clear any earlier error */
    p = dlsym(handle, sym);
    e = dlerror();
    if (e != NULL) {
        snprintf(why, why_size, "%s", e);
        return NULL;
    }
    if (p == NULL) {
        snprintf(why, why_size, "its address is NULL");
    }
    return p;
}

/* Longest name in ivp_param_names / ivp_event_names (MATLAB's namelengthmax). */
#define PLUGIN_NAME_MAX 63

/* Writes name into buf for a message, cut at 40 bytes, with bytes outside printable ASCII (and
 * the quote) as \xNN, so a bad name cannot garble the terminal. */
static void plugin_quote_name(const char *name, char *buf, size_t size)
{
    size_t used = 0, i;
    for (i = 0; name[i] != '\0' && i < 40 && used + 5 < size; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '\'' || ch == '\\') {
            snprintf(buf + used, size - used, "\\x%02x", ch);
            used += 4;
        } else {
            buf[used++] = (char)ch;
        }
    }
    if (name[i] != '\0' && used + 4 <= size) {
        memcpy(buf + used, "...", 3);
        used += 3;
    }
    buf[used] = '\0';
}

/* Why name is not a valid name, or NULL. The names become HDF5 group names (/events/<name>),
 * keys of the spec ("params", "events") that --set reaches with dotted paths, -o template keys
 * and table headers, so they are C identifiers: a letter or '_', then letters, digits or '_',
 * at most PLUGIN_NAME_MAX bytes. State names (indexed != 0) may end in one index in brackets,
 * "u[12]", as expression models name the components of an array. */
static const char *plugin_name_problem(const char *name, int indexed)
{
    size_t i;
    const char *open = indexed ? strchr(name, '[') : NULL;
    if (open != NULL) {
        const char *d = open + 1;
        if (open == name) {
            return "does not start with a letter or '_'";
        }
        if (*d < '0' || *d > '9' || (*d == '0' && d[1] != ']')) {
            return "has an index that is not a number without leading zeros";
        }
        while (*d >= '0' && *d <= '9') {
            d++;
        }
        if (d[0] != ']' || d[1] != '\0') {
            return "has characters after its index other than one closing ']'";
        }
        if ((size_t)(d + 1 - name) > PLUGIN_NAME_MAX) {
            return "is longer than 63 characters";
        }
    }
    if (name[0] == '\0') {
        return "is an empty string";
    }
    if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
          name[0] == '_')) {
        return "does not start with a letter or '_'";
    }
    for (i = 0; name[i] != '\0' && name + i != open; i++) {
        char ch = name[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_')) {
            return "has a character other than letters, digits and '_'";
        }
        if (i == PLUGIN_NAME_MAX) {
            return "is longer than 63 characters";
        }
    }
    return NULL;
}

/* Counts a NULL-terminated name list and checks each name is valid (plugin_name_problem) and
 * unique. */
static ivp_status plugin_count_names(const char *name, const char *sym, const char *const *list,
                                     int indexed, size_t *count, ivp_error *err)
{
    char shown[200];
    const char *why;
    size_t i, j;
    for (i = 0; list[i] != NULL; i++) {
        why = plugin_name_problem(list[i], indexed);
        if (why != NULL) {
            plugin_quote_name(list[i], shown, sizeof shown);
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: %s[%zu] '%s' %s (names are C identifiers of at most %d "
                                 "characters: a letter or '_', then letters, digits or '_'%s)",
                                 name, sym, i, shown, why, PLUGIN_NAME_MAX,
                                 indexed ? "; a state name may end in an index, as u[12]" : "");
        }
        for (j = 0; j < i; j++) {
            if (strcmp(list[i], list[j]) == 0) {
                return ivp_error_set(err, IVP_ERR_PLUGIN, "%s: %s lists '%s' twice", name, sym,
                                     list[i]);
            }
        }
    }
    *count = i;
    return IVP_OK;
}

/* dlopens pl->path and fills pl from its symbols. name is how messages call the plugin. */
static ivp_status plugin_open(ivp_plugin *pl, const char *name, ivp_error *err)
{
    char why[256];
    const char *e;
    const int *abi;
    const size_t *dim;
    void *p;
    ivp_status st;

    pl->handle = dlopen(pl->path, RTLD_NOW | RTLD_LOCAL);
    if (pl->handle == NULL) {
        e = dlerror();
        return ivp_error_set(err, IVP_ERR_PLUGIN, "%s: cannot open plugin: %s", name,
                             e != NULL ? e : "unknown error");
    }

    abi = plugin_sym(pl->handle, "ivp_abi_version", why, sizeof why);
    if (abi == NULL) {
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: required symbol 'ivp_abi_version' not found: %s (define it "
                             "with 'IVP_PLUGIN_ABI;' from ivp_plugin.h)",
                             name, why);
    }
    if (*abi != IVP_PLUGIN_ABI_VERSION) {
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: plugin ABI version %d, but this ivp supports version %d "
                             "(rebuild the plugin with this ivp's ivp_plugin.h: ivp build)",
                             name, *abi, IVP_PLUGIN_ABI_VERSION);
    }

    p = plugin_sym(pl->handle, "rhs", why, sizeof why);
    if (p == NULL) {
        return ivp_error_set(err, IVP_ERR_PLUGIN, "%s: required symbol 'rhs' not found: %s", name,
                             why);
    }
    memcpy(&pl->rhs, &p, sizeof pl->rhs);

    if ((p = plugin_sym(pl->handle, "jac", why, sizeof why)) != NULL) {
        memcpy(&pl->jac, &p, sizeof pl->jac);
    }
    if ((p = plugin_sym(pl->handle, "jac_sparsity", why, sizeof why)) != NULL) {
        memcpy(&pl->jac_sparsity, &p, sizeof pl->jac_sparsity);
    }
    if ((p = plugin_sym(pl->handle, "jac_values", why, sizeof why)) != NULL) {
        memcpy(&pl->jac_values, &p, sizeof pl->jac_values);
    }
    if ((p = plugin_sym(pl->handle, "ivp_init", why, sizeof why)) != NULL) {
        memcpy(&pl->init, &p, sizeof pl->init);
    }
    if ((p = plugin_sym(pl->handle, "ivp_fini", why, sizeof why)) != NULL) {
        memcpy(&pl->fini, &p, sizeof pl->fini);
    }
    if ((p = plugin_sym(pl->handle, "events", why, sizeof why)) != NULL) {
        memcpy(&pl->events, &p, sizeof pl->events);
    }
    pl->event_names = plugin_sym(pl->handle, "ivp_event_names", why, sizeof why);
    if (pl->events != NULL && pl->event_names == NULL) {
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: 'events' is defined, so symbol 'ivp_event_names' is required, "
                             "but it was not found: %s",
                             name, why);
    }
    if (pl->events == NULL && pl->event_names != NULL) {
        plugin_sym(pl->handle, "events", why, sizeof why);
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: 'ivp_event_names' is defined, so symbol 'events' is required, "
                             "but it was not found: %s",
                             name, why);
    }
    if (pl->jac_values != NULL && pl->jac_sparsity == NULL) {
        plugin_sym(pl->handle, "jac_sparsity", why, sizeof why);
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: 'jac_values' is defined, so symbol 'jac_sparsity' is required "
                             "(it gives the positions of the values), but it was not found: %s",
                             name, why);
    }
    if (pl->event_names != NULL) {
        st = plugin_count_names(name, "ivp_event_names", pl->event_names, 0, &pl->n_events, err);
        if (st != IVP_OK) {
            return st;
        }
        if (pl->n_events == 0) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: 'ivp_event_names' is empty, but 'events' is defined "
                                 "(give one name per event function)",
                                 name);
        }
    }
    pl->param_names = plugin_sym(pl->handle, "ivp_param_names", why, sizeof why);
    if (pl->param_names != NULL) {
        st = plugin_count_names(name, "ivp_param_names", pl->param_names, 0, &pl->n_params, err);
        if (st != IVP_OK) {
            return st;
        }
    }
    dim = plugin_sym(pl->handle, "ivp_dim", why, sizeof why);
    if (dim != NULL) {
        if (*dim == 0) {
            return ivp_error_set(err, IVP_ERR_PLUGIN, "%s: ivp_dim is 0 (it must be >= 1)", name);
        }
        pl->has_dim = 1;
        pl->dim = *dim;
    }
    pl->state_names = plugin_sym(pl->handle, "ivp_state_names", why, sizeof why);
    if (pl->state_names != NULL) {
        st = plugin_count_names(name, "ivp_state_names", pl->state_names, 1, &pl->n_states, err);
        if (st != IVP_OK) {
            return st;
        }
        if (pl->n_states == 0) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: 'ivp_state_names' is empty (give one name per state "
                                 "component, or leave the symbol out)",
                                 name);
        }
        if (pl->has_dim && pl->n_states != pl->dim) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: 'ivp_state_names' lists %zu names but ivp_dim is %zu", name,
                                 pl->n_states, pl->dim);
        }
    }

    st = ivp_sha256_file(pl->path, pl->sha256, err);
    if (st != IVP_OK) {
        if (err != NULL) {
            err->status = IVP_ERR_PLUGIN;
        }
        return IVP_ERR_PLUGIN;
    }
    return IVP_OK;
}

ivp_status ivp_plugin_load(const char *path, const char *cache_dir, ivp_plugin **out,
                           ivp_error *err)
{
    ivp_plugin *pl = NULL;
    struct stat obj;
    int built = 0;
    ivp_status st;

    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return ivp_error_set(err, IVP_ERR_PLUGIN, "no plugin path given");
    }
    pl = calloc(1, sizeof *pl);
    if (pl == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory loading %s", path);
    }
    if (plugin_ends_with(path, ".c")) {
        pl->source = plugin_concat(path, "", "");
        if (pl->source == NULL) {
            st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory loading %s", path);
            goto fail;
        }
        st = plugin_build_cached(path, cache_dir, NULL, &pl->path, &obj, &built, NULL, 0, err);
        if (st != IVP_OK) {
            goto fail;
        }
    } else {
        /* Without a slash dlopen would search the library path; the user means this file. */
        pl->path = plugin_concat(strchr(path, '/') != NULL ? "" : "./", path, "");
        if (pl->path == NULL) {
            st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory loading %s", path);
            goto fail;
        }
    }
    st = plugin_open(pl, path, err);
    if (st != IVP_OK && pl->handle == NULL && pl->source != NULL && !built) {
        /* A cached object that dlopen refuses (damaged in a way the ELF check misses): build it
         * again, once, rather than fail until someone clears the cache. */
        free(pl->path);
        pl->path = NULL;
        st = plugin_build_cached(path, cache_dir, &obj, &pl->path, &obj, &built, NULL, 0, err);
        if (st == IVP_OK) {
            st = plugin_open(pl, path, err);
        }
    }
    if (st != IVP_OK) {
        goto fail;
    }
    *out = pl;
    return IVP_OK;
fail:
    ivp_plugin_close(pl);
    return st;
}

ivp_status ivp_plugin_load_source(const char *c_text, size_t len, const char *display_name,
                                  const char *cache_dir, ivp_plugin **out, ivp_error *err)
{
    ivp_plugin *pl = NULL;
    struct stat obj;
    int built = 0;
    ivp_status st;

    *out = NULL;
    if (c_text == NULL || display_name == NULL || display_name[0] == '\0') {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_plugin_load_source: no source text or name");
    }
    pl = calloc(1, sizeof *pl);
    if (pl == NULL || (pl->source = plugin_concat(display_name, "", "")) == NULL) {
        free(pl);
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory loading %s", display_name);
    }
    st = plugin_build_cached(display_name, cache_dir, NULL, &pl->path, &obj, &built, c_text, len,
                             err);
    if (st == IVP_OK) {
        st = plugin_open(pl, display_name, err);
    }
    if (st != IVP_OK && pl->handle == NULL && pl->path != NULL && !built) {
        free(pl->path); /* a damaged cached object: build it again, once */
        pl->path = NULL;
        st = plugin_build_cached(display_name, cache_dir, &obj, &pl->path, &obj, &built, c_text,
                                 len, err);
        if (st == IVP_OK) {
            st = plugin_open(pl, display_name, err);
        }
    }
    if (st != IVP_OK) {
        ivp_plugin_close(pl);
        return st;
    }
    *out = pl;
    return IVP_OK;
}

void ivp_plugin_close(ivp_plugin *pl)
{
    if (pl == NULL) {
        return;
    }
    if (pl->handle != NULL) {
        dlclose(pl->handle);
    }
    free(pl->path);
    free(pl->source);
    free(pl);
}

/* ------------------------------------------------------------------------------------------
 * Binding to a problem
 * ------------------------------------------------------------------------------------------ */

/* Index of name in list[0..count), or count when absent. */
static size_t plugin_find(const char *const *list, size_t count, const char *name)
{
    size_t k = 0;
    while (k < count && strcmp(list[k], name) != 0) {
        k++;
    }
    return k;
}

/* How messages call the plugin: its source when built on demand, else the shared object. */
static const char *plugin_display(const ivp_plugin *pl)
{
    return pl->source != NULL ? pl->source : pl->path;
}

/* params, in the plugin's ivp_param_names order, from the spec's "params" (matched by name). */
static ivp_status instance_params(ivp_instance *in, const ivp_plugin *pl, const ivp_problem *prob,
                                  ivp_error *err)
{
    char names[256];
    size_t i, k;

    for (i = 0; i < prob->n_params; i++) {
        const char *given = prob->param_names[i];
        if (plugin_find((const char *const *)prob->param_names, i, given) < i) {
            return ivp_error_set(err, IVP_ERR_SPEC, "$.params.%s: given twice", given);
        }
        if (pl->param_names == NULL) {
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.params.%s: the plugin does not declare any parameters (it "
                                 "has no 'ivp_param_names')",
                                 given);
        }
        if (plugin_find(pl->param_names, pl->n_params, given) == pl->n_params) {
            plugin_join_names(pl->param_names, names, sizeof names);
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.params.%s: the plugin does not declare a parameter '%s' (it "
                                 "declares: %s)",
                                 given, given, names);
        }
    }
    if (pl->n_params == 0) {
        return IVP_OK;
    }
    in->params = calloc(pl->n_params, sizeof *in->params);
    if (in->params == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    for (k = 0; k < pl->n_params; k++) {
        i = plugin_find((const char *const *)prob->param_names, prob->n_params, pl->param_names[k]);
        if (i == prob->n_params) {
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.params: missing parameter '%s' declared by the plugin",
                                 pl->param_names[k]);
        }
        in->params[k] = prob->param_values[i];
    }
    return IVP_OK;
}

/* event_opts for every event of the plugin: the spec's options by name, else the defaults
 * (non-terminal, both directions). */
static ivp_status instance_events(ivp_instance *in, const ivp_plugin *pl, const ivp_problem *prob,
                                  ivp_error *err)
{
    char names[256];
    size_t i, k;

    for (i = 0; i < prob->n_event_specs; i++) {
        const char *given = prob->event_names[i];
        if (plugin_find((const char *const *)prob->event_names, i, given) < i) {
            return ivp_error_set(err, IVP_ERR_SPEC, "$.events.%s: given twice", given);
        }
        if (plugin_find(pl->event_names, pl->n_events, given) == pl->n_events) {
            plugin_join_names(pl->event_names, names, sizeof names);
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.events.%s: the plugin does not declare an event '%s' (it "
                                 "declares: %s)",
                                 given, given, names);
        }
    }
    if (pl->n_events == 0) {
        return IVP_OK;
    }
    in->event_opts = calloc(pl->n_events, sizeof *in->event_opts);
    if (in->event_opts == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    for (i = 0; i < prob->n_event_specs; i++) {
        k = plugin_find(pl->event_names, pl->n_events, prob->event_names[i]);
        in->event_opts[k] = prob->event_opts[i];
    }
    return IVP_OK;
}

typedef struct instance_pair {
    size_t row, col, index;
} instance_pair;

static int instance_pair_cmp(const void *x, const void *y)
{
    const instance_pair *a = x, *b = y;
    if (a->row != b->row) {
        return a->row < b->row ? -1 : 1;
    }
    if (a->col != b->col) {
        return a->col < b->col ? -1 : 1;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* The plugin's pattern lists each (row, col) at most once, as a spec's must (problem.c): a
 * repeated entry would be counted twice by the sparse factorisations. The message names the
 * earliest entry that repeats another. */
static ivp_status instance_sparsity_unique(const size_t *rows, const size_t *cols, size_t nnz,
                                           const char *name, ivp_error *err)
{
    instance_pair *pairs = calloc(nnz, sizeof *pairs);
    size_t i, dup = 0, first = 0;
    int has_dup = 0;

    if (pairs == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory for %zu sparsity entries", nnz);
    }
    for (i = 0; i < nnz; i++) {
        pairs[i].row = rows[i];
        pairs[i].col = cols[i];
        pairs[i].index = i;
    }
    qsort(pairs, nnz, sizeof *pairs, instance_pair_cmp);
    for (i = 1; i < nnz; i++) {
        if (pairs[i].row == pairs[i - 1].row && pairs[i].col == pairs[i - 1].col &&
            (!has_dup || pairs[i].index < dup)) {
            has_dup = 1;
            dup = pairs[i].index;
            first = pairs[i - 1].index;
        }
    }
    free(pairs);
    if (has_dup) {
        return ivp_error_set(err, IVP_ERR_PLUGIN,
                             "%s: jac_sparsity entry %zu (row %zu, col %zu) repeats entry %zu",
                             name, dup, rows[dup], cols[dup], first);
    }
    return IVP_OK;
}

/* The sparsity pattern: the plugin's (IVP_ERR_PLUGIN on a bad answer) or the spec's
 * (IVP_ERR_SPEC when out of range). Needs in->ctx. */
static ivp_status instance_sparsity(ivp_instance *in, const ivp_plugin *pl, const ivp_problem *prob,
                                    ivp_error *err)
{
    const char *name = plugin_display(pl);
    size_t n = prob->n, nnz, k, alloc_n;
    long count = 0, again;
    int from_plugin = prob->sparsity == IVP_SPARSITY_PLUGIN;

    if (prob->sparsity == IVP_SPARSITY_NONE) {
        return IVP_OK;
    }
    if (from_plugin) {
        if (pl->jac_sparsity == NULL) {
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.jac_sparsity: \"plugin\" asks for the plugin's pattern, but "
                                 "it does not define 'jac_sparsity'");
        }
        count = pl->jac_sparsity(&in->ctx, NULL, NULL);
        if (count < 0) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: jac_sparsity returned %ld when asked for the count", name,
                                 count);
        }
        /* More than n*n entries cannot all be distinct and in range. */
        if (n <= SIZE_MAX / n && (unsigned long)count > n * n) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: jac_sparsity returned %ld nonzeros, more than n*n = %zu",
                                 name, count, n * n);
        }
        nnz = (size_t)count;
    } else {
        nnz = prob->sp_nnz;
    }
    alloc_n = nnz > 0 ? nnz : 1; /* a pattern of no entries is still a pattern (not dense) */
    in->sp_rows = calloc(alloc_n, sizeof *in->sp_rows);
    in->sp_cols = calloc(alloc_n, sizeof *in->sp_cols);
    if (in->sp_rows == NULL || in->sp_cols == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory for %zu sparsity entries", nnz);
    }
    if (from_plugin) {
        again = pl->jac_sparsity(&in->ctx, in->sp_rows, in->sp_cols);
        if (again < 0) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: jac_sparsity returned %ld when asked for the entries", name,
                                 again);
        }
        if (again != count) {
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: jac_sparsity returned %ld entries, but %ld when asked for "
                                 "the count",
                                 name, again, count);
        }
    } else if (nnz > 0) {
        memcpy(in->sp_rows, prob->sp_rows, nnz * sizeof *in->sp_rows);
        memcpy(in->sp_cols, prob->sp_cols, nnz * sizeof *in->sp_cols);
    }
    for (k = 0; k < nnz; k++) {
        if (in->sp_rows[k] >= n || in->sp_cols[k] >= n) {
            if (from_plugin) {
                return ivp_error_set(err, IVP_ERR_PLUGIN,
                                     "%s: jac_sparsity entry %zu (row %zu, col %zu) is out of "
                                     "range for n = %zu",
                                     name, k, in->sp_rows[k], in->sp_cols[k], n);
            }
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.jac_sparsity: entry %zu (row %zu, col %zu) is out of range "
                                 "for n = %zu",
                                 k, in->sp_rows[k], in->sp_cols[k], n);
        }
    }
    if (from_plugin && nnz >= 2) {
        ivp_status st = instance_sparsity_unique(in->sp_rows, in->sp_cols, nnz, name, err);
        if (st != IVP_OK) {
            return st;
        }
    }
    in->sys.sp_rows = in->sp_rows;
    in->sys.sp_cols = in->sp_cols;
    in->sys.sp_nnz = nnz;
    return IVP_OK;
}

/* sys.jac and sys.jac_values from the spec's "jac". 'jac_values' gives values at the plugin's
 * own jac_sparsity positions, so it is only usable with "jac_sparsity": "plugin". */
static ivp_status instance_jac(ivp_instance *in, const ivp_plugin *pl, const ivp_problem *prob,
                               ivp_error *err)
{
    int values_usable = pl->jac_values != NULL && prob->sparsity == IVP_SPARSITY_PLUGIN;

    switch (prob->jac) {
    case IVP_JAC_FD:
        in->sys.jac = NULL;
        in->sys.jac_values = NULL;
        return IVP_OK;
    case IVP_JAC_PLUGIN:
        if (pl->jac == NULL && pl->jac_values == NULL) {
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.jac: \"plugin\" asks for the plugin's Jacobian, but it "
                                 "defines neither 'jac' nor 'jac_values' (use \"fd\", or omit "
                                 "\"jac\")");
        }
        if (pl->jac == NULL && !values_usable) {
            return ivp_error_set(err, IVP_ERR_SPEC,
                                 "$.jac: the plugin's Jacobian is 'jac_values', which gives "
                                 "values at the plugin's own sparsity positions: also set "
                                 "\"jac_sparsity\": \"plugin\"");
        }
        break;
    case IVP_JAC_AUTO:
        break;
    }
    in->sys.jac = pl->jac;
    in->sys.jac_values = values_usable ? pl->jac_values : NULL;
    return IVP_OK;
}

ivp_status ivp_instance_new(const ivp_plugin *pl, const ivp_problem *prob, ivp_instance **out,
                            ivp_error *err)
{
    ivp_instance *in = NULL;
    ivp_status st = IVP_OK;
    int rc;

    *out = NULL;
    in = calloc(1, sizeof *in);
    if (in == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
    }
    in->plugin = pl;
    if (prob->n == 0) {
        st = ivp_error_set(err, IVP_ERR_SPEC, "$.y0: needs at least one value");
        goto fail;
    }
    if (pl->has_dim && pl->dim != prob->n) {
        st = ivp_error_set(err, IVP_ERR_SPEC,
                           "$.y0: has %zu values but the plugin's ivp_dim is %zu", prob->n,
                           pl->dim);
        goto fail;
    }
    if (pl->state_names != NULL && pl->n_states != prob->n) {
        st = ivp_error_set(err, IVP_ERR_SPEC,
                           "$.y0: has %zu values but the plugin's ivp_state_names lists %zu "
                           "names",
                           prob->n, pl->n_states);
        goto fail;
    }
    st = instance_params(in, pl, prob, err);
    if (st != IVP_OK) {
        goto fail;
    }
    st = instance_events(in, pl, prob, err);
    if (st != IVP_OK) {
        goto fail;
    }
    in->ctx.n = prob->n;
    in->ctx.p = in->params;
    in->ctx.np = pl->n_params;
    in->ctx.data = NULL;
    st = instance_jac(in, pl, prob, err);
    if (st != IVP_OK) {
        goto fail;
    }
    st = instance_sparsity(in, pl, prob, err);
    if (st != IVP_OK) {
        goto fail;
    }
    in->sys.n = prob->n;
    in->sys.rhs = pl->rhs;
    in->sys.events = pl->events;
    in->sys.n_events = pl->n_events;
    in->sys.lband = prob->lband;
    in->sys.uband = prob->uband;
    in->sys.ctx = &in->ctx;

    /* Last, so nothing after it can fail and leave ivp_fini owed. */
    if (pl->init != NULL) {
        rc = pl->init(&in->ctx);
        if (rc != 0) {
            st = ivp_error_set(err, IVP_ERR_PLUGIN, "%s: ivp_init returned %d", plugin_display(pl),
                               rc);
            goto fail;
        }
        in->initialised = 1;
    }
    *out = in;
    return IVP_OK;
fail:
    ivp_instance_free(in);
    return st;
}

void ivp_instance_free(ivp_instance *inst)
{
    if (inst == NULL) {
        return;
    }
    if (inst->initialised && inst->plugin != NULL && inst->plugin->fini != NULL) {
        inst->plugin->fini(&inst->ctx);
    }
    free(inst->params);
    free(inst->event_opts);
    free(inst->sp_rows);
    free(inst->sp_cols);
    free(inst);
}
