/* SPDX-License-Identifier: MIT
 * core/src/plugin.c - loading user plugins (contracts.md section 1), building them from C
 * source on demand into a cache, and binding them to a problem spec.
 *
 * Loading: dlopen(RTLD_NOW | RTLD_LOCAL), then dlsym for every symbol of the ABI; the version
 * check comes first, as in Lua's luaL_checkversion_, so a plugin built for another ABI gets that
 * message rather than a missing-symbol one.
 *
 * Building: the compiler is run with fork/execvp, never through a shell (paths may contain
 * spaces), with its stdout and stderr captured through a pipe for the error message. Outputs
 * are written to a fresh temporary folder beside the target and renamed into place, so readers
 * (and concurrent batch jobs building the same plugin) only ever see complete files.
 */
#define _POSIX_C_SOURCE 200809L

#include "ivp/plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
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

/* mkdir that also succeeds when path is already a folder. */
static int plugin_mkdir(const char *path)
{
    struct stat sb;
    int e;
    if (mkdir(path, 0777) == 0) {
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
                st = ivp_error_set(err, status, "%s: cannot create folder: %s", p,
                                   strerror(errno));
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
        st = ivp_error_set(err, status, "%s: cannot read plugin source: %s", path,
                           strerror(errno));
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

/* Resolves the cache folder, creates <root>/include and <root>/plugins, and writes the ABI
 * header into <root>/include. *root and *inc (the include folder) are malloc'ed. */
static ivp_status plugin_prepare_cache(const char *cache_dir, char **root, char **inc,
                                       ivp_error *err)
{
    char *plugins = NULL;
    ivp_status st;

    *inc = NULL;
    st = plugin_cache_root(cache_dir, root, err);
    if (st != IVP_OK) {
        goto fail;
    }
    *inc = plugin_concat(*root, "/include", "");
    plugins = plugin_concat(*root, "/plugins", "");
    if (*inc == NULL || plugins == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = plugin_mkdirs(*inc, IVP_ERR_BUILD, err);
    if (st == IVP_OK) {
        st = plugin_mkdirs(plugins, IVP_ERR_BUILD, err);
    }
    if (st == IVP_OK) {
        st = ivp_plugin_header_install(*inc, err);
    }
fail:
    free(plugins);
    if (st != IVP_OK) {
        free(*root);
        free(*inc);
        *root = NULL;
        *inc = NULL;
    }
    return st;
}

/* ------------------------------------------------------------------------------------------
 * The compiler command: $CC -O2 -shared -fPIC -I<include> -o OUT SRC -lm
 * ------------------------------------------------------------------------------------------ */

typedef struct plugin_cmd {
    char **argv;  /* NULL-terminated; every element malloc'ed (execvp wants char *const[]) */
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

/* Runs the command, waits for it, and turns a failure into IVP_ERR_BUILD with the first lines
 * of its output. src names the source in messages. */
static ivp_status cmd_run(const plugin_cmd *c, const char *src, ivp_error *err)
{
    char log[4096];
    size_t used = 0, i, lines = 0;
    int out_pipe[2] = {-1, -1}, exec_pipe[2] = {-1, -1};
    int exec_errno = 0, wstatus = 0;
    pid_t pid = -1;
    ivp_status st = IVP_OK;
    ssize_t got;

    if (pipe(out_pipe) != 0 || pipe(exec_pipe) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot create a pipe for the compiler: %s",
                           src, strerror(errno));
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
    pid = fork();
    if (pid < 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot start the compiler: %s", src,
                           strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls until exec. */
        int e;
        if (dup2(out_pipe[1], STDOUT_FILENO) >= 0 && dup2(out_pipe[1], STDERR_FILENO) >= 0) {
            execvp(c->argv[0], c->argv);
        }
        e = errno;
        if (write(exec_pipe[1], &e, sizeof e) != (ssize_t)sizeof e) {
            _exit(126); /* cannot even say why; the exit status says something failed */
        }
        _exit(127);
    }
    close(out_pipe[1]);
    out_pipe[1] = -1;
    close(exec_pipe[1]);
    exec_pipe[1] = -1;

    /* Keep the first bytes of output; drain the rest so the compiler never blocks. */
    for (;;) {
        char sink[4096];
        size_t room = sizeof log - 1 - used;
        got = room > 0 ? read(out_pipe[0], log + used, room) : read(out_pipe[0], sink, sizeof sink);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        if (room > 0) {
            used += (size_t)got;
        }
    }
    log[used] = '\0';
    do {
        got = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof exec_errno) {
        exec_errno = 0;
    }
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot wait for the compiler '%s': %s",
                               src, c->argv[0], strerror(errno));
            goto fail;
        }
    }
    if (exec_errno != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD,
                           "%s: cannot run the C compiler '%s': %s (set CC to a C compiler)",
                           src, c->argv[0], strerror(exec_errno));
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

/* Compiles src into out atomically: the compiler writes into a fresh temporary folder beside
 * out (same file system), and the result is renamed into place. A folder rather than a
 * mkstemp file, because the linker keeps an existing file's permission bits (0600). */
static ivp_status plugin_compile(plugin_cmd *c, const char *src, const char *out,
                                 ivp_error *err)
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
        st = cmd_run(c, src, err);
    }
    if (st != IVP_OK) {
        goto fail;
    }
    if (rename(tmp_out, out) != 0) {
        st = ivp_error_set(err, IVP_ERR_BUILD, "%s: cannot move the built plugin into place: %s",
                           out, strerror(errno));
        goto fail;
    }
fail:
    if (made_dir) {
        if (tmp_out != NULL) {
            unlink(tmp_out); /* fails harmlessly once renamed */
        }
        rmdir(tmp_dir);
    }
    free(tmp_out);
    free(tmp_dir);
    free(dir);
    return st;
}

/* Builds src into the cache unless already there; *so_path (malloc'ed) is the shared object.
 *
 * The key is the SHA-256 of the source bytes, the ABI header's bytes and the compiler command
 * (with placeholders for the output and source paths, which vary). Headers that the source
 * itself #includes are NOT part of the key: editing such a header does not trigger a rebuild
 * (clear the cache, or touch the source). Nor is the compiler's version. */
static ivp_status plugin_build_cached(const char *src, const char *cache_dir, char **so_path,
                                      ivp_error *err)
{
    char *root = NULL, *inc = NULL, *so = NULL;
    unsigned char *text = NULL;
    const unsigned char *header;
    size_t text_len, header_len, i;
    plugin_cmd cmd = {NULL, 0, 0, 0};
    char hex[65];
    ivp_sha256 sha;
    ivp_status st;

    *so_path = NULL;
    st = plugin_read_file(src, &text, &text_len, IVP_ERR_PLUGIN, err);
    if (st != IVP_OK) {
        goto fail;
    }
    st = plugin_prepare_cache(cache_dir, &root, &inc, err);
    if (st != IVP_OK) {
        goto fail;
    }
    st = cmd_init(&cmd, inc, err);
    if (st != IVP_OK) {
        goto fail;
    }
    header = ivp_plugin_header_data(&header_len);
    ivp_sha256_init(&sha);
    cmd_hash_field(&sha, text, text_len);
    cmd_hash_field(&sha, header, header_len);
    for (i = 0; i < cmd.argc; i++) {
        cmd_hash_field(&sha, cmd.argv[i], strlen(cmd.argv[i]));
    }
    ivp_sha256_final_hex(&sha, hex);
    so = plugin_concat(root, "/plugins/", hex);
    if (so == NULL || (*so_path = plugin_concat(so, ".so", "")) == NULL) {
        st = ivp_error_set(err, IVP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (access(*so_path, F_OK) != 0) {
        st = plugin_compile(&cmd, src, *so_path, err);
    }
fail:
    if (st != IVP_OK) {
        free(*so_path);
        *so_path = NULL;
    }
    cmd_free(&cmd);
    free(text);
    free(so);
    free(inc);
    free(root);
    return st;
}

ivp_status ivp_plugin_build(const char *source, const char *out_so, const char *cache_dir,
                            ivp_error *err)
{
    char *root = NULL, *inc = NULL, *out = NULL;
    plugin_cmd cmd = {NULL, 0, 0, 0};
    ivp_status st;

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
    st = plugin_prepare_cache(cache_dir, &root, &inc, err);
    if (st == IVP_OK) {
        st = cmd_init(&cmd, inc, err);
    }
    if (st == IVP_OK) {
        st = plugin_compile(&cmd, source, out, err);
    }
fail:
    cmd_free(&cmd);
    free(out);
    free(inc);
    free(root);
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
 * at most PLUGIN_NAME_MAX bytes. */
static const char *plugin_name_problem(const char *name)
{
    size_t i;
    if (name[0] == '\0') {
        return "is an empty string";
    }
    if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
          name[0] == '_')) {
        return "does not start with a letter or '_'";
    }
    for (i = 0; name[i] != '\0'; i++) {
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
static ivp_status plugin_count_names(const char *name, const char *sym,
                                     const char *const *list, size_t *count, ivp_error *err)
{
    char shown[200];
    const char *why;
    size_t i, j;
    for (i = 0; list[i] != NULL; i++) {
        why = plugin_name_problem(list[i]);
        if (why != NULL) {
            plugin_quote_name(list[i], shown, sizeof shown);
            return ivp_error_set(err, IVP_ERR_PLUGIN,
                                 "%s: %s[%zu] '%s' %s (names are C identifiers of at most %d "
                                 "characters: a letter or '_', then letters, digits or '_')",
                                 name, sym, i, shown, why, PLUGIN_NAME_MAX);
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
        return ivp_error_set(err, IVP_ERR_PLUGIN, "%s: required symbol 'rhs' not found: %s",
                             name, why);
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
        st = plugin_count_names(name, "ivp_event_names", pl->event_names, &pl->n_events, err);
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
        st = plugin_count_names(name, "ivp_param_names", pl->param_names, &pl->n_params, err);
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
        st = plugin_build_cached(path, cache_dir, &pl->path, err);
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
    if (st != IVP_OK) {
        goto fail;
    }
    *out = pl;
    return IVP_OK;
fail:
    ivp_plugin_close(pl);
    return st;
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
static ivp_status instance_params(ivp_instance *in, const ivp_plugin *pl,
                                  const ivp_problem *prob, ivp_error *err)
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
        i = plugin_find((const char *const *)prob->param_names, prob->n_params,
                        pl->param_names[k]);
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
static ivp_status instance_events(ivp_instance *in, const ivp_plugin *pl,
                                  const ivp_problem *prob, ivp_error *err)
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
static ivp_status instance_sparsity(ivp_instance *in, const ivp_plugin *pl,
                                    const ivp_problem *prob, ivp_error *err)
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
                                 "%s: jac_sparsity returned %ld when asked for the entries",
                                 name, again);
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
            st = ivp_error_set(err, IVP_ERR_PLUGIN, "%s: ivp_init returned %d",
                               plugin_display(pl), rc);
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
