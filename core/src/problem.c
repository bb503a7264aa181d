/* SPDX-License-Identifier: MIT
 * core/src/problem.c - the JSON problem spec (contracts.md section 2): parse with cJSON, apply
 * --set overrides, validate strictly into an ivp_problem, and write the resolved spec back out.
 *
 * The only file that includes cJSON. The tree lives only inside ivp_problem_parse.
 * Every error is "<name>: $.path: what is wrong", or "<name>:LINE:COLUMN: syntax error ..." for
 * text that is not JSON. schemas/problem.schema.json says the same in JSON Schema, less the
 * cross-field checks listed in its "$comment".
 */
#define _POSIX_C_SOURCE 200809L /* strerror_r (XSI), before any system header */

#include "ivp/model.h"
#include "ivp/problem.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

/* Longest JSON path kept for messages; longer paths end in "...". */
#define SPEC_PATH_MAX 256
/* Largest integer accepted for counts and indices: 2^53 - 1, the last one a double (and so a
 * JSON number read by any parser) holds exactly. The schema says the same. */
#define SPEC_INT_MAX 9007199254740991.0
/* Largest "num" of a t_eval linspace (the schema says the same): 800 MB of output times. */
#define SPEC_LINSPACE_MAX 100000000.0

#if defined(__GNUC__)
#define SPEC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SPEC_PRINTF(f, a)
#endif

/* What a check needs to say where it is. */
typedef struct spec_ctx {
    const char *name;         /* the spec's name in messages */
    const char *base_dir;     /* folder a relative plugin path is joined to */
    ivp_error *err;           /* borrowed; may be NULL */
    char path[SPEC_PATH_MAX]; /* JSON path of the value being checked, "$.events.x" */
    size_t len;               /* strlen(path) */
    const char *nul_mark;     /* while looking for NULs: the UTF-8 of the character that
                                 stands for \u0000 (see spec_mask_nuls), shown as \u0000 in
                                 keys; else NULL */
} spec_ctx;

/* ---------------------------------------------------------------- small helpers */

static char *spec_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as d: what the user wrote, in messages,
 * and exactly d in the resolved spec. */
static const char *spec_num(double d, char buf[32])
{
    int digits;
    for (digits = 15; digits <= 17; digits++) {
        snprintf(buf, 32, "%.*g", digits, d);
        if (!isfinite(d) || strtod(buf, NULL) == d) {
            break;
        }
    }
    return buf;
}

static const char *spec_type_name(const cJSON *v)
{
    if (cJSON_IsNull(v)) {
        return "null";
    }
    if (cJSON_IsBool(v)) {
        return cJSON_IsTrue(v) ? "true" : "false";
    }
    if (cJSON_IsNumber(v)) {
        return "a number";
    }
    if (cJSON_IsString(v)) {
        return "a string";
    }
    if (cJSON_IsArray(v)) {
        return "an array";
    }
    if (cJSON_IsObject(v)) {
        return "an object";
    }
    return "an invalid value";
}

/* ---------------------------------------------------------------- JSON paths and errors */

/* Appends to the path; on overflow the path ends in "..." and stays that way until popped. */
SPEC_PRINTF(2, 3)
static void spec_path_append(spec_ctx *c, const char *fmt, ...)
{
    size_t room = sizeof c->path - c->len;
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(c->path + c->len, room, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= room) {
        c->len = sizeof c->path - 1;
        memcpy(c->path + c->len - 3, "...", 3);
        c->path[c->len] = '\0';
    } else {
        c->len += (size_t)k;
    }
}

static int spec_is_identifier(const char *s)
{
    const char *q;
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) {
        return 0;
    }
    for (q = s + 1; *q != '\0'; q++) {
        if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
              *q == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Pushes an object key: ".name", or ["any \"key\""] when it is not a plain identifier.
 * Returns the mark to pop back to. */
static size_t spec_push_key(spec_ctx *c, const char *key)
{
    size_t mark = c->len;
    if (spec_is_identifier(key)) {
        spec_path_append(c, ".%s", key);
    } else {
        char esc[SPEC_PATH_MAX];
        size_t k = 0;
        const char *q;
        for (q = key; *q != '\0' && k + 7 < sizeof esc; q++) {
            unsigned char ch = (unsigned char)*q;
            if (c->nul_mark != NULL && strncmp(q, c->nul_mark, 3) == 0) {
                memcpy(esc + k, "\\u0000", 6);
                k += 6;
                q += 2;
            } else if (ch == '"' || ch == '\\') {
                esc[k++] = '\\';
                esc[k++] = (char)ch;
            } else if (ch < 0x20) {
                k += (size_t)snprintf(esc + k, sizeof esc - k, "\\u%04x", (unsigned)ch);
            } else {
                esc[k++] = (char)ch;
            }
        }
        esc[k] = '\0';
        spec_path_append(c, "[\"%s\"]", esc);
    }
    return mark;
}

static size_t spec_push_index(spec_ctx *c, size_t i)
{
    size_t mark = c->len;
    spec_path_append(c, "[%zu]", i);
    return mark;
}

static void spec_pop(spec_ctx *c, size_t mark)
{
    c->len = mark;
    c->path[mark] = '\0';
}

/* "<name>: <path>: <what>"; returns IVP_ERR_SPEC. */
SPEC_PRINTF(2, 3)
static ivp_status spec_fail(spec_ctx *c, const char *fmt, ...)
{
    char what[IVP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ivp_error_set(c->err, IVP_ERR_SPEC, "%s: %s: %s", c->name, c->path, what);
}

static ivp_status spec_nomem(spec_ctx *c)
{
    return ivp_error_set(c->err, IVP_ERR_NOMEM, "%s: out of memory", c->name);
}

/* ---------------------------------------------------------------- typed values */

/* A finite number. */
static ivp_status spec_number(spec_ctx *c, const cJSON *v, double *out)
{
    char b[32];
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be a number, got %s", spec_type_name(v));
    }
    if (!isfinite(v->valuedouble)) {
        return spec_fail(c, "must be a finite number, got %s", spec_num(v->valuedouble, b));
    }
    *out = v->valuedouble;
    return IVP_OK;
}

/* An integral number in [lo, hi]. 'what' names the kind for messages ("an integer >= 1"). */
static ivp_status spec_integer(spec_ctx *c, const cJSON *v, double lo, double hi, const char *what,
                               double *out)
{
    char b[32];
    double d;
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be %s, got %s", what, spec_type_name(v));
    }
    d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi) {
        return spec_fail(c, "must be %s, got %s", what, spec_num(d, b));
    }
    *out = d;
    return IVP_OK;
}

/* An array of finite numbers; *out is a new array of *n values (NULL when empty). */
static ivp_status spec_number_array(spec_ctx *c, const cJSON *v, double **out, size_t *n)
{
    const cJSON *e;
    size_t i = 0, count;
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be an array of numbers, got %s", spec_type_name(v));
    }
    count = (size_t)cJSON_GetArraySize(v);
    *out = NULL;
    *n = 0;
    if (count == 0) {
        return IVP_OK;
    }
    *out = calloc(count, sizeof **out);
    if (*out == NULL) {
        return spec_nomem(c);
    }
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_index(c, i);
        ivp_status s = spec_number(c, e, &(*out)[i]);
        if (s != IVP_OK) {
            return s; /* the caller's struct owns *out and frees it */
        }
        spec_pop(c, mark);
        i++;
    }
    *n = count;
    return IVP_OK;
}

/* Unknown keys in an object are errors that list the valid ones. */
static ivp_status spec_known_keys(spec_ctx *c, const cJSON *obj, const char *const *keys)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, obj)
    {
        size_t k;
        for (k = 0; keys[k] != NULL; k++) {
            if (strcmp(e->string, keys[k]) == 0) {
                break;
            }
        }
        if (keys[k] == NULL) {
            char list[IVP_ERROR_MSG_MAX];
            size_t used = 0;
            list[0] = '\0';
            for (k = 0; keys[k] != NULL && used < sizeof list; k++) {
                int w = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", keys[k]);
                used += w > 0 ? (size_t)w : 0;
            }
            spec_push_key(c, e->string);
            return spec_fail(c, "unknown key; valid keys are %s", list);
        }
    }
    return IVP_OK;
}

/* ---------------------------------------------------------------- duplicate keys */

typedef struct spec_member {
    const char *key;
    size_t index; /* position in the object */
} spec_member;

static int spec_member_cmp(const void *x, const void *y)
{
    const spec_member *a = x, *b = y;
    int k = strcmp(a->key, b->key);
    if (k != 0) {
        return k;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* Members an object may have before duplicates are found by sorting rather than by comparing
 * every pair. */
#define SPEC_DUP_SCAN_MAX 16

/* The first member of obj (in document order) whose key an earlier member already has, or
 * NULL. *status is IVP_ERR_NOMEM if the search could not be done. */
static const cJSON *spec_first_duplicate(const cJSON *obj, ivp_status *status)
{
    const cJSON *e, *f, *dup = NULL;
    size_t n = 0, i, first = (size_t)-1;
    spec_member *m;
    *status = IVP_OK;
    cJSON_ArrayForEach(e, obj)
    {
        n++;
    }
    if (n <= SPEC_DUP_SCAN_MAX) {
        cJSON_ArrayForEach(e, obj)
        {
            for (f = obj->child; f != e; f = f->next) {
                if (strcmp(f->string, e->string) == 0) {
                    return e;
                }
            }
        }
        return NULL;
    }
    m = calloc(n, sizeof *m);
    if (m == NULL) {
        *status = IVP_ERR_NOMEM;
        return NULL;
    }
    i = 0;
    cJSON_ArrayForEach(e, obj)
    {
        m[i].key = e->string;
        m[i].index = i;
        i++;
    }
    qsort(m, n, sizeof *m, spec_member_cmp);
    for (i = 1; i < n; i++) {
        if (strcmp(m[i].key, m[i - 1].key) == 0 && m[i].index < first) {
            first = m[i].index;
        }
    }
    free(m);
    if (first != (size_t)-1) {
        dup = obj->child;
        for (i = 0; i < first; i++) {
            dup = dup->next;
        }
    }
    return dup;
}

/* ---------------------------------------------------------------- NUL characters */

/* cJSON decodes "\u0000" inside a string to a NUL byte, which ends the C string: "bdf\u0000junk"
 * would be read as "bdf". No string of the spec may contain NUL, and the error must give the
 * JSON path, so before cJSON sees the text every \u0000 escape inside a string is replaced,
 * in place and with the same length, by the escape of a noncharacter (U+FDD0..U+FDEF) that
 * the text contains nowhere; after parsing, a string or key holding that character held a NUL
 * (spec_check_nuls). */
#define SPEC_MARK_FIRST 0xFDD0u
#define SPEC_MARK_COUNT 32u

static int spec_hex4(const char *h, unsigned *v)
{
    unsigned k, x = 0;
    for (k = 0; k < 4; k++) {
        char ch = h[k];
        x <<= 4;
        if (ch >= '0' && ch <= '9') {
            x |= (unsigned)(ch - '0');
        } else if (ch >= 'a' && ch <= 'f') {
            x |= (unsigned)(ch - 'a' + 10);
        } else if (ch >= 'A' && ch <= 'F') {
            x |= (unsigned)(ch - 'A' + 10);
        } else {
            return 0;
        }
    }
    *v = x;
    return 1;
}

/* Rewrites every escape \uXXXX of code point 'from' inside the strings of text as \uXXXX of
 * 'to' (upper-case hex), in place. */
static void spec_replace_escapes(char *text, size_t len, unsigned from, unsigned to)
{
    size_t i;
    int in_string = 0;
    for (i = 0; i < len; i++) {
        char ch = text[i];
        unsigned v;
        if (!in_string) {
            in_string = ch == '"';
        } else if (ch == '"') {
            in_string = 0;
        } else if (ch == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && spec_hex4(text + i + 2, &v)) {
                if (v == from) {
                    char hex[5];
                    snprintf(hex, sizeof hex, "%04X", to);
                    memcpy(text + i + 2, hex, 4);
                }
                i += 5;
            } else {
                i++;
            }
        }
    }
}

/* Masks the \u0000 escapes of text (len bytes, NUL-terminated). Returns 0 when there are
 * none (text unchanged); 1 when they were replaced, with mark set to the UTF-8 (3 bytes and a
 * NUL) of the character that now stands for NUL; -1 when every candidate character occurs in
 * the text (text unchanged), with *first at the first escape. */
static int spec_mask_nuls(char *text, size_t len, char mark[4], size_t *first)
{
    unsigned long used = 0; /* bit j: U+FDD0 + j occurs in the text */
    size_t i, n_nul = 0;
    unsigned j, cp;
    int in_string = 0;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == 0xEF && i + 2 < len && (unsigned char)text[i + 1] == 0xB7 &&
            (unsigned char)text[i + 2] >= 0x90 && (unsigned char)text[i + 2] <= 0xAF) {
            used |= 1ul << ((unsigned char)text[i + 2] - 0x90);
        }
        if (!in_string) {
            in_string = ch == '"';
        } else if (ch == '"') {
            in_string = 0;
        } else if (ch == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && spec_hex4(text + i + 2, &cp)) {
                if (cp == 0) {
                    if (n_nul++ == 0) {
                        *first = i;
                    }
                } else if (cp >= SPEC_MARK_FIRST && cp < SPEC_MARK_FIRST + SPEC_MARK_COUNT) {
                    used |= 1ul << (cp - SPEC_MARK_FIRST);
                }
                i += 5;
            } else {
                i++;
            }
        }
    }
    if (n_nul == 0) {
        return 0;
    }
    for (j = 0; j < SPEC_MARK_COUNT && (used & (1ul << j)) != 0; j++) {
    }
    if (j == SPEC_MARK_COUNT) {
        return -1;
    }
    cp = SPEC_MARK_FIRST + j;
    mark[0] = (char)0xEF;
    mark[1] = (char)0xB7;
    mark[2] = (char)(0x90 + j);
    mark[3] = '\0';
    spec_replace_escapes(text, len, 0, cp);
    return 1;
}

/* Fails at the first string or key (in document order) holding c->nul_mark. */
static ivp_status spec_check_nuls(spec_ctx *c, const cJSON *v)
{
    const cJSON *e;
    size_t i = 0;
    if (cJSON_IsString(v) && strstr(v->valuestring, c->nul_mark) != NULL) {
        return spec_fail(c, "strings must not contain a NUL character (\\u0000)");
    }
    for (e = v->child; e != NULL; e = e->next, i++) {
        size_t mark;
        ivp_status s;
        if (cJSON_IsObject(v)) {
            mark = spec_push_key(c, e->string);
            if (strstr(e->string, c->nul_mark) != NULL) {
                return spec_fail(c, "keys must not contain a NUL character (\\u0000)");
            }
        } else if (cJSON_IsString(e) || e->child != NULL) {
            mark = spec_push_index(c, i);
        } else {
            continue; /* numbers, booleans, null and empty containers hold no string */
        }
        s = spec_check_nuls(c, e);
        if (s != IVP_OK) {
            return s;
        }
        spec_pop(c, mark);
    }
    return IVP_OK;
}

/* Parses text (len bytes and a NUL, modified in place) as spec_mask_nuls says, and checks
 * the tree for NULs at the path in c. *root is NULL on a syntax error (with *end where cJSON
 * stopped) or when the text has NULs but no mark was free (*end at the first). */
static ivp_status spec_parse_text(spec_ctx *c, char *text, size_t len, cJSON **root,
                                  const char **end, int *unmaskable)
{
    char mark[4];
    size_t first = 0;
    int masked = spec_mask_nuls(text, len, mark, &first);
    ivp_status s = IVP_OK;
    *unmaskable = masked < 0;
    *root = NULL;
    *end = NULL;
    if (masked < 0) {
        *end = text + first;
        return IVP_OK;
    }
    *root = cJSON_ParseWithLengthOpts(text, len + 1, end, 1);
    if (*root == NULL && masked > 0) {
        /* the syntax error quotes the text as written */
        spec_replace_escapes(text, len, SPEC_MARK_FIRST + (unsigned char)mark[2] - 0x90u, 0);
    }
    if (*root != NULL && masked > 0) {
        c->nul_mark = mark;
        s = spec_check_nuls(c, *root);
        c->nul_mark = NULL;
    }
    return s;
}

/* cJSON keeps every member of an object, duplicates included; the spec allows none. */
static ivp_status spec_check_duplicates(spec_ctx *c, const cJSON *v)
{
    const cJSON *e;
    size_t i = 0;
    if (cJSON_IsObject(v)) {
        ivp_status s;
        const cJSON *dup = spec_first_duplicate(v, &s);
        if (s != IVP_OK) {
            return spec_nomem(c);
        }
        if (dup != NULL) {
            spec_push_key(c, dup->string);
            return spec_fail(c, "duplicate key");
        }
        cJSON_ArrayForEach(e, v)
        {
            size_t mark = spec_push_key(c, e->string);
            s = spec_check_duplicates(c, e);
            if (s != IVP_OK) {
                return s;
            }
            spec_pop(c, mark);
        }
    } else if (cJSON_IsArray(v)) {
        cJSON_ArrayForEach(e, v)
        {
            size_t mark;
            ivp_status s;
            if (e->child == NULL) {
                i++;
                continue; /* no object inside */
            }
            mark = spec_push_index(c, i++);
            s = spec_check_duplicates(c, e);
            if (s != IVP_OK) {
                return s;
            }
            spec_pop(c, mark);
        }
    }
    return IVP_OK;
}

/* ---------------------------------------------------------------- the keys, one check each */

static ivp_status spec_plugin(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const char *s;
    size_t nb, ns;
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (a path), got %s", spec_type_name(v));
    }
    s = v->valuestring;
    if (s[0] == '\0') {
        return spec_fail(c, "must not be empty");
    }
    if (s[0] == '/') {
        p->plugin = spec_strdup(s);
        return p->plugin != NULL ? IVP_OK : spec_nomem(c);
    }
    /* Relative: "<base_dir>/<plugin>", so dlopen never searches the library path. */
    nb = strlen(c->base_dir);
    ns = strlen(s);
    p->plugin = malloc(nb + 1 + ns + 1);
    if (p->plugin == NULL) {
        return spec_nomem(c);
    }
    memcpy(p->plugin, c->base_dir, nb);
    if (nb > 0 && c->base_dir[nb - 1] != '/') {
        p->plugin[nb++] = '/';
    }
    memcpy(p->plugin + nb, s, ns + 1);
    return IVP_OK;
}

static ivp_status spec_t_span(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    double *ts = NULL;
    size_t n = 0;
    char b0[32], b1[32];
    ivp_status s;
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be an array of 2 numbers [t0, t_end], got %s", spec_type_name(v));
    }
    if (cJSON_GetArraySize(v) != 2) {
        return spec_fail(c, "must have exactly 2 elements [t0, t_end], got %d",
                         cJSON_GetArraySize(v));
    }
    s = spec_number_array(c, v, &ts, &n);
    if (s == IVP_OK) {
        p->t0 = ts[0];
        p->t_end = ts[1];
        if (p->t0 == p->t_end) {
            s = spec_fail(c, "the ends must differ, got [%s, %s]", spec_num(p->t0, b0),
                          spec_num(p->t_end, b1));
        } else if (!isfinite(p->t_end - p->t0)) {
            s = spec_fail(c, "t_end - t0 overflows, got [%s, %s]", spec_num(p->t0, b0),
                          spec_num(p->t_end, b1));
        }
    }
    free(ts);
    return s;
}

static ivp_status spec_y0(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    ivp_status s = spec_number_array(c, v, &p->y0, &p->n);
    if (s == IVP_OK && p->n == 0) {
        return spec_fail(c, "must not be empty");
    }
    return s;
}

static ivp_status spec_params(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const cJSON *e;
    size_t i = 0, count;
    if (!cJSON_IsObject(v)) {
        return spec_fail(c, "must be an object {name: number}, got %s", spec_type_name(v));
    }
    count = (size_t)cJSON_GetArraySize(v);
    if (count == 0) {
        return IVP_OK;
    }
    p->param_names = calloc(count, sizeof *p->param_names);
    p->param_values = calloc(count, sizeof *p->param_values);
    if (p->param_names == NULL || p->param_values == NULL) {
        return spec_nomem(c);
    }
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_key(c, e->string);
        ivp_status s;
        if (e->string[0] == '\0') {
            return spec_fail(c, "parameter names must not be empty");
        }
        s = spec_number(c, e, &p->param_values[i]);
        if (s != IVP_OK) {
            return s;
        }
        p->param_names[i] = spec_strdup(e->string);
        if (p->param_names[i] == NULL) {
            return spec_nomem(c);
        }
        p->n_params = ++i; /* so ivp_problem_free sees every name made so far */
        spec_pop(c, mark);
    }
    return IVP_OK;
}

static ivp_status spec_method(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const char *const *names = ivp_method_names();
    const char *canon;
    char list[128];
    size_t k, used = 0;
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (a method name), got %s", spec_type_name(v));
    }
    canon = ivp_method_canonical(v->valuestring);
    if (canon != NULL) {
        p->method = spec_strdup(canon);
        return p->method != NULL ? IVP_OK : spec_nomem(c);
    }
    list[0] = '\0';
    for (k = 0; names[k] != NULL && used < sizeof list; k++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", names[k]);
        used += w > 0 ? (size_t)w : 0;
    }
    return spec_fail(c, "unknown method \"%.40s\"; valid methods are %s (case-insensitive)",
                     v->valuestring, list);
}

static ivp_status spec_rtol(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    ivp_status s = spec_number(c, v, &p->rtol);
    if (s == IVP_OK && !(p->rtol > 0)) {
        return spec_fail(c, "must be > 0, got %s", spec_num(p->rtol, b));
    }
    return s;
}

static ivp_status spec_atol(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    size_t i, n = 0;
    ivp_status s;
    if (cJSON_IsNumber(v)) {
        s = spec_number(c, v, &p->atol);
        if (s == IVP_OK && p->atol < 0) {
            return spec_fail(c, "must be >= 0, got %s", spec_num(p->atol, b));
        }
        return s;
    }
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be a number or an array of numbers, got %s", spec_type_name(v));
    }
    s = spec_number_array(c, v, &p->atol_vec, &n);
    if (s != IVP_OK) {
        return s;
    }
    for (i = 0; i < n; i++) {
        if (p->atol_vec[i] < 0) {
            spec_push_index(c, i);
            return spec_fail(c, "must be >= 0, got %s", spec_num(p->atol_vec[i], b));
        }
    }
    if (n != p->n) {
        return spec_fail(c, "must have one element per component of y0 (%zu), got %zu", p->n, n);
    }
    return IVP_OK;
}

/* Output times must lie in t_span and be strictly monotonic in the direction of integration.
 * 'linspace' says where they came from, for the messages. */
static ivp_status spec_check_times(spec_ctx *c, const ivp_problem *p, int linspace)
{
    double lo = fmin(p->t0, p->t_end), hi = fmax(p->t0, p->t_end);
    int forward = p->t_end > p->t0;
    char b0[32], b1[32], b2[32];
    size_t i;
    for (i = 0; i < p->n_t_eval; i++) {
        double t = p->t_eval[i];
        if (!(t >= lo && t <= hi)) {
            if (linspace) {
                return spec_fail(c, "point %s lies outside t_span [%s, %s]", spec_num(t, b0),
                                 spec_num(p->t0, b1), spec_num(p->t_end, b2));
            }
            spec_push_index(c, i);
            return spec_fail(c, "must lie inside t_span [%s, %s], got %s", spec_num(p->t0, b1),
                             spec_num(p->t_end, b2), spec_num(t, b0));
        }
        if (i > 0 && (forward ? !(t > p->t_eval[i - 1]) : !(t < p->t_eval[i - 1]))) {
            if (linspace) {
                return spec_fail(c,
                                 "points %zu and %zu (%s, %s) are not strictly %s, as t_span "
                                 "runs %s",
                                 i - 1, i, spec_num(p->t_eval[i - 1], b0), spec_num(t, b1),
                                 forward ? "increasing" : "decreasing",
                                 forward ? "forward" : "backward");
            }
            spec_push_index(c, i);
            return spec_fail(c,
                             "must be %s than the previous value %s (t_eval must be strictly "
                             "%s, as t_span runs %s), got %s",
                             forward ? "greater" : "less", spec_num(p->t_eval[i - 1], b1),
                             forward ? "increasing" : "decreasing",
                             forward ? "forward" : "backward", spec_num(t, b0));
        }
    }
    return IVP_OK;
}

/* numpy.linspace(a, b, num) (numpy 1.24, function_base.py), operation for operation:
 * step = (b - a)/(num - 1); y[i] = i*step + a (or (i/div)*delta + a when step underflows to 0);
 * the last point is exactly b. */
static void spec_linspace(double a, double b, size_t num, double *y)
{
    double delta = b - a;
    size_t i;
    if (num > 1) {
        double div = (double)(num - 1);
        double step = delta / div;
        for (i = 0; i < num; i++) {
            double yi = (double)i;
            if (step == 0) {
                yi = yi / div;
                yi = yi * delta;
            } else {
                yi = yi * step;
            }
            y[i] = yi + a;
        }
        y[num - 1] = b;
    } else {
        y[0] = 0.0 * delta + a;
    }
}

static ivp_status spec_t_eval(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    static const char *const keys[] = {"linspace", NULL};
    const cJSON *ls;
    double a, b, num, lo = fmin(p->t0, p->t_end), hi = fmax(p->t0, p->t_end);
    char b0[32], b1[32], b2[32];
    size_t mark;
    ivp_status s;
    if (cJSON_IsArray(v)) {
        s = spec_number_array(c, v, &p->t_eval, &p->n_t_eval);
        if (s != IVP_OK) {
            return s;
        }
        if (p->n_t_eval == 0) {
            return spec_fail(c, "must not be empty (omit t_eval to output every step)");
        }
        return spec_check_times(c, p, 0);
    }
    if (!cJSON_IsObject(v)) {
        return spec_fail(c,
                         "must be an array of numbers or an object {\"linspace\": [a, b, num]}, "
                         "got %s",
                         spec_type_name(v));
    }
    s = spec_known_keys(c, v, keys);
    if (s != IVP_OK) {
        return s;
    }
    ls = cJSON_GetObjectItemCaseSensitive(v, "linspace");
    if (ls == NULL) {
        spec_push_key(c, "linspace");
        return spec_fail(c, "required key missing");
    }
    spec_push_key(c, "linspace");
    mark = c->len;
    if (!cJSON_IsArray(ls)) {
        return spec_fail(c, "must be an array [a, b, num], got %s", spec_type_name(ls));
    }
    if (cJSON_GetArraySize(ls) != 3) {
        return spec_fail(c, "must have exactly 3 elements [a, b, num], got %d",
                         cJSON_GetArraySize(ls));
    }
    spec_push_index(c, 0);
    s = spec_number(c, cJSON_GetArrayItem(ls, 0), &a);
    if (s == IVP_OK && !(a >= lo && a <= hi)) {
        s = spec_fail(c, "must lie inside t_span [%s, %s], got %s", spec_num(p->t0, b0),
                      spec_num(p->t_end, b1), spec_num(a, b2));
    }
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    spec_push_index(c, 1);
    s = spec_number(c, cJSON_GetArrayItem(ls, 1), &b);
    if (s == IVP_OK && !(b >= lo && b <= hi)) {
        s = spec_fail(c, "must lie inside t_span [%s, %s], got %s", spec_num(p->t0, b0),
                      spec_num(p->t_end, b1), spec_num(b, b2));
    }
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    spec_push_index(c, 2);
    s = spec_integer(c, cJSON_GetArrayItem(ls, 2), 1, SPEC_LINSPACE_MAX,
                     "an integer in [1, 100000000]", &num);
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    if (num > 1 && (p->t_end > p->t0 ? !(b > a) : !(b < a))) {
        return spec_fail(c,
                         "[a, b, num] with num > 1 must run the way t_span does (a %s b), got "
                         "a = %s, b = %s",
                         p->t_end > p->t0 ? "<" : ">", spec_num(a, b0), spec_num(b, b1));
    }
    p->t_eval = calloc((size_t)num, sizeof *p->t_eval);
    if (p->t_eval == NULL) {
        return spec_nomem(c);
    }
    p->n_t_eval = (size_t)num;
    p->t_eval_linspace = 1;
    spec_linspace(a, b, p->n_t_eval, p->t_eval);
    /* Points too close to be told apart in double precision are caught here. */
    return spec_check_times(c, p, 1);
}

static ivp_status spec_bool(spec_ctx *c, const cJSON *v, int *out)
{
    if (!cJSON_IsBool(v)) {
        return spec_fail(c, "must be a boolean (true or false), got %s", spec_type_name(v));
    }
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return IVP_OK;
}

static ivp_status spec_dense_output(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    return spec_bool(c, v, &p->dense_output);
}

static ivp_status spec_one_event(spec_ctx *c, const cJSON *v, ivp_event_opts *o)
{
    static const char *const keys[] = {"terminal", "direction", NULL};
    const cJSON *e;
    char b[32];
    size_t mark;
    ivp_status s;
    o->terminal = 0;
    o->direction = 0;
    if (!cJSON_IsObject(v)) {
        return spec_fail(c, "must be an object {\"terminal\": ..., \"direction\": ...}, got %s",
                         spec_type_name(v));
    }
    s = spec_known_keys(c, v, keys);
    if (s != IVP_OK) {
        return s;
    }
    e = cJSON_GetObjectItemCaseSensitive(v, "terminal");
    if (e != NULL) {
        mark = spec_push_key(c, "terminal");
        if (cJSON_IsBool(e)) {
            o->terminal = cJSON_IsTrue(e) ? 1ul : 0ul;
        } else if (cJSON_IsNumber(e)) {
            double k;
            s = spec_integer(c, e, 1, SPEC_INT_MAX,
                             "true, false or a positive integer (stop at that occurrence)", &k);
            if (s != IVP_OK) {
                return s;
            }
            o->terminal = (unsigned long)k;
        } else {
            return spec_fail(c, "must be a boolean or a positive integer, got %s",
                             spec_type_name(e));
        }
        spec_pop(c, mark);
    }
    e = cJSON_GetObjectItemCaseSensitive(v, "direction");
    if (e != NULL) {
        mark = spec_push_key(c, "direction");
        if (!cJSON_IsNumber(e)) {
            return spec_fail(c, "must be a number (-1, 0 or 1), got %s", spec_type_name(e));
        }
        if (e->valuedouble != -1 && e->valuedouble != 0 && e->valuedouble != 1) {
            return spec_fail(c, "must be -1, 0 or 1, got %s", spec_num(e->valuedouble, b));
        }
        o->direction = (int)e->valuedouble;
        spec_pop(c, mark);
    }
    return IVP_OK;
}

static ivp_status spec_events(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    const cJSON *e;
    size_t i = 0, count;
    if (!cJSON_IsObject(v)) {
        return spec_fail(c,
                         "must be an object {event name: {\"terminal\": ..., \"direction\": "
                         "...}}, got %s",
                         spec_type_name(v));
    }
    count = (size_t)cJSON_GetArraySize(v);
    if (count == 0) {
        return IVP_OK;
    }
    p->event_names = calloc(count, sizeof *p->event_names);
    p->event_opts = calloc(count, sizeof *p->event_opts);
    if (p->event_names == NULL || p->event_opts == NULL) {
        return spec_nomem(c);
    }
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_key(c, e->string);
        ivp_status s;
        if (e->string[0] == '\0') {
            return spec_fail(c, "event names must not be empty");
        }
        s = spec_one_event(c, e, &p->event_opts[i]);
        if (s != IVP_OK) {
            return s;
        }
        p->event_names[i] = spec_strdup(e->string);
        if (p->event_names[i] == NULL) {
            return spec_nomem(c);
        }
        p->n_event_specs = ++i;
        spec_pop(c, mark);
    }
    return IVP_OK;
}

static ivp_status spec_first_step(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b0[32], b1[32];
    double h = 0.0, span = fabs(p->t_end - p->t0);
    ivp_status s;
    if (cJSON_IsNull(v)) {
        p->first_step = 0;
        return IVP_OK;
    }
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be null or a number, got %s", spec_type_name(v));
    }
    s = spec_number(c, v, &h);
    if (s != IVP_OK) {
        return s;
    }
    if (!(h > 0)) {
        return spec_fail(c, "must be > 0 (or null: automatic), got %s", spec_num(h, b0));
    }
    if (h > span) {
        return spec_fail(c, "must not exceed |t_span[1] - t_span[0]| = %s, got %s",
                         spec_num(span, b1), spec_num(h, b0));
    }
    p->first_step = h;
    return IVP_OK;
}

static ivp_status spec_max_step(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    ivp_status s;
    if (cJSON_IsNull(v)) {
        p->max_step = HUGE_VAL;
        return IVP_OK;
    }
    if (!cJSON_IsNumber(v)) {
        return spec_fail(c, "must be null or a number, got %s", spec_type_name(v));
    }
    s = spec_number(c, v, &p->max_step);
    if (s == IVP_OK && !(p->max_step > 0)) {
        return spec_fail(c, "must be > 0 (or null: unlimited), got %s", spec_num(p->max_step, b));
    }
    return s;
}

static ivp_status spec_min_step(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    char b[32];
    ivp_status s = spec_number(c, v, &p->min_step);
    if (s == IVP_OK && p->min_step < 0) {
        return spec_fail(c, "must be >= 0, got %s", spec_num(p->min_step, b));
    }
    return s;
}

static ivp_status spec_max_steps(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    double k = 0.0;
    ivp_status s = spec_integer(c, v, 1, SPEC_INT_MAX, "an integer in [1, 2^53 - 1]", &k);
    if (s == IVP_OK) {
        p->max_steps = (unsigned long)k;
    }
    return s;
}

static ivp_status spec_jac(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (\"plugin\" or \"fd\"), got %s", spec_type_name(v));
    }
    if (strcmp(v->valuestring, "plugin") == 0) {
        p->jac = IVP_JAC_PLUGIN;
    } else if (strcmp(v->valuestring, "fd") == 0) {
        p->jac = IVP_JAC_FD;
    } else {
        return spec_fail(c, "must be \"plugin\" or \"fd\", got \"%.40s\"", v->valuestring);
    }
    return IVP_OK;
}

/* One of the "rows"/"cols" arrays: non-negative integers below n. */
static ivp_status spec_index_array(spec_ctx *c, const cJSON *v, size_t n, size_t **out,
                                   size_t *count)
{
    const cJSON *e;
    size_t i = 0, m;
    char b[48];
    if (!cJSON_IsArray(v)) {
        return spec_fail(c, "must be an array of indices, got %s", spec_type_name(v));
    }
    m = (size_t)cJSON_GetArraySize(v);
    *count = m;
    if (m == 0) {
        return IVP_OK;
    }
    *out = calloc(m, sizeof **out);
    if (*out == NULL) {
        return spec_nomem(c);
    }
    snprintf(b, sizeof b, "an integer in [0, %zu) (an index into y0)", n);
    cJSON_ArrayForEach(e, v)
    {
        size_t mark = spec_push_index(c, i);
        double k = 0.0;
        ivp_status s = spec_integer(c, e, 0, SPEC_INT_MAX, "a non-negative integer", &k);
        if (s != IVP_OK) {
            return s;
        }
        if (k >= (double)n) {
            return spec_fail(c, "must be %s, got %zu", b, (size_t)k);
        }
        (*out)[i++] = (size_t)k;
        spec_pop(c, mark);
    }
    return IVP_OK;
}

typedef struct spec_pair {
    size_t row, col, index;
} spec_pair;

static int spec_pair_cmp(const void *x, const void *y)
{
    const spec_pair *a = x, *b = y;
    if (a->row != b->row) {
        return a->row < b->row ? -1 : 1;
    }
    if (a->col != b->col) {
        return a->col < b->col ? -1 : 1;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

static ivp_status spec_jac_sparsity(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    static const char *const keys[] = {"rows", "cols", NULL};
    const cJSON *rows, *cols;
    size_t nr = 0, nc = 0, i, mark, dup = 0, dup_first = 0;
    spec_pair *pairs;
    int has_dup = 0;
    ivp_status s;
    if (cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "plugin") != 0) {
            return spec_fail(c,
                             "must be \"plugin\" or an object {\"rows\": [...], \"cols\": "
                             "[...]}, got \"%.40s\"",
                             v->valuestring);
        }
        p->sparsity = IVP_SPARSITY_PLUGIN;
        return IVP_OK;
    }
    if (!cJSON_IsObject(v)) {
        return spec_fail(c,
                         "must be \"plugin\" or an object {\"rows\": [...], \"cols\": [...]}, "
                         "got %s",
                         spec_type_name(v));
    }
    s = spec_known_keys(c, v, keys);
    if (s != IVP_OK) {
        return s;
    }
    rows = cJSON_GetObjectItemCaseSensitive(v, "rows");
    cols = cJSON_GetObjectItemCaseSensitive(v, "cols");
    if (rows == NULL || cols == NULL) {
        spec_push_key(c, rows == NULL ? "rows" : "cols");
        return spec_fail(c, "required key missing");
    }
    mark = spec_push_key(c, "rows");
    s = spec_index_array(c, rows, p->n, &p->sp_rows, &nr);
    if (s != IVP_OK) {
        return s;
    }
    spec_pop(c, mark);
    spec_push_key(c, "cols");
    s = spec_index_array(c, cols, p->n, &p->sp_cols, &nc);
    if (s != IVP_OK) {
        return s;
    }
    if (nc != nr) {
        return spec_fail(c, "must have as many elements as rows (%zu), got %zu", nr, nc);
    }
    spec_pop(c, mark);
    p->sparsity = IVP_SPARSITY_SPEC;
    p->sp_nnz = nr;
    if (nr < 2) {
        return IVP_OK;
    }
    /* Each (row, col) at most once: sort a copy and compare neighbours. */
    pairs = calloc(nr, sizeof *pairs);
    if (pairs == NULL) {
        return spec_nomem(c);
    }
    for (i = 0; i < nr; i++) {
        pairs[i].row = p->sp_rows[i];
        pairs[i].col = p->sp_cols[i];
        pairs[i].index = i;
    }
    qsort(pairs, nr, sizeof *pairs, spec_pair_cmp);
    for (i = 1; i < nr; i++) {
        if (pairs[i].row == pairs[i - 1].row && pairs[i].col == pairs[i - 1].col &&
            (!has_dup || pairs[i].index < dup)) {
            has_dup = 1;
            dup = pairs[i].index;
            dup_first = pairs[i - 1].index;
        }
    }
    free(pairs);
    if (has_dup) {
        return spec_fail(c, "entry %zu (row %zu, col %zu) repeats entry %zu", dup, p->sp_rows[dup],
                         p->sp_cols[dup], dup_first);
    }
    return IVP_OK;
}

static ivp_status spec_band(spec_ctx *c, const cJSON *v, long *out)
{
    double k = 0.0;
    ivp_status s = spec_integer(c, v, 0, SPEC_INT_MAX, "a non-negative integer", &k);
    if (s == IVP_OK) {
        *out = (long)k;
    }
    return s;
}

static ivp_status spec_lband(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    return spec_band(c, v, &p->lband);
}

static ivp_status spec_uband(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    return spec_band(c, v, &p->uband);
}

static ivp_status spec_output(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    if (!cJSON_IsString(v)) {
        return spec_fail(c, "must be a string (a path), got %s", spec_type_name(v));
    }
    if (v->valuestring[0] == '\0') {
        return spec_fail(c, "must not be empty");
    }
    p->output = spec_strdup(v->valuestring);
    return p->output != NULL ? IVP_OK : spec_nomem(c);
}

/* ---------------------------------------------------------------- expression models */

/* "model" (contracts.md section 6): parsed and checked by ivp/model.h, errors at their path. */
static ivp_status spec_model(spec_ctx *c, const cJSON *v, ivp_problem *p)
{
    ivp_error e;
    ivp_error_clear(&e);
    p->model = ivp_model_parse(v, c->path, &e);
    if (p->model == NULL) {
        return ivp_error_set(c->err, e.status == IVP_OK ? IVP_ERR_SPEC : e.status, "%s: %s",
                             c->name, e.msg);
    }
    return IVP_OK;
}

/* Exactly one of "plugin" and "model". A model whose Jacobian is sparse gives its own pattern
 * (as "jac_sparsity": "plugin") unless the spec says otherwise. */
static ivp_status spec_model_finish(spec_ctx *c, ivp_problem *p)
{
    ivp_status s = IVP_OK;
    size_t mark;
    if (p->plugin == NULL && p->model == NULL) {
        mark = spec_push_key(c, "plugin");
        s = spec_fail(c, "required key missing (or give an expression \"model\")");
        spec_pop(c, mark);
    } else if (p->plugin != NULL && p->model != NULL) {
        mark = spec_push_key(c, "model");
        s = spec_fail(c, "give either \"plugin\" or \"model\", not both");
        spec_pop(c, mark);
    } else if (p->model != NULL && ivp_model_is_sparse(p->model) &&
               p->sparsity == IVP_SPARSITY_NONE && p->lband < 0 && p->uband < 0) {
        p->sparsity = IVP_SPARSITY_PLUGIN;
    }
    return s;
}

/* Default values written into the resolved spec for keys the spec leaves out. */
typedef enum spec_default {
    SPEC_NO_DEFAULT = 0, /* left out of the resolved spec too */
    SPEC_DEF_EMPTY_OBJECT,
    SPEC_DEF_METHOD,
    SPEC_DEF_RTOL,
    SPEC_DEF_ATOL,
    SPEC_DEF_FALSE,
    SPEC_DEF_NULL,
    SPEC_DEF_ZERO
} spec_default;

typedef struct spec_key {
    const char *name;
    int required;
    spec_default def;
    ivp_status (*check)(spec_ctx *c, const cJSON *v, ivp_problem *p);
} spec_key;

/* Checked in this order (later checks use t_span and y0), and the resolved spec is written in
 * this order too. */
static const spec_key spec_keys[] = {
    {"plugin", 0, SPEC_NO_DEFAULT, spec_plugin}, /* or "model": spec_model_finish */
    {"model", 0, SPEC_NO_DEFAULT, spec_model},
    {"t_span", 1, SPEC_NO_DEFAULT, spec_t_span},
    {"y0", 1, SPEC_NO_DEFAULT, spec_y0},
    {"params", 0, SPEC_DEF_EMPTY_OBJECT, spec_params},
    {"method", 0, SPEC_DEF_METHOD, spec_method},
    {"rtol", 0, SPEC_DEF_RTOL, spec_rtol},
    {"atol", 0, SPEC_DEF_ATOL, spec_atol},
    {"t_eval", 0, SPEC_NO_DEFAULT, spec_t_eval},
    {"dense_output", 0, SPEC_DEF_FALSE, spec_dense_output},
    {"events", 0, SPEC_DEF_EMPTY_OBJECT, spec_events},
    {"first_step", 0, SPEC_DEF_NULL, spec_first_step},
    {"max_step", 0, SPEC_DEF_NULL, spec_max_step},
    {"min_step", 0, SPEC_DEF_ZERO, spec_min_step},
    {"max_steps", 0, SPEC_NO_DEFAULT, spec_max_steps},
    {"jac", 0, SPEC_NO_DEFAULT, spec_jac},
    {"jac_sparsity", 0, SPEC_NO_DEFAULT, spec_jac_sparsity},
    {"lband", 0, SPEC_NO_DEFAULT, spec_lband},
    {"uband", 0, SPEC_NO_DEFAULT, spec_uband},
    {"output", 0, SPEC_NO_DEFAULT, spec_output},
};
#define SPEC_N_KEYS (sizeof spec_keys / sizeof spec_keys[0])

/* Keys whose (possibly large) arrays are held by the problem once checked: their cJSON nodes
 * are deleted at once, and the resolved spec is written from the problem's arrays. */
static int spec_key_is_array_data(const char *name, const ivp_problem *p)
{
    return strcmp(name, "y0") == 0 || (strcmp(name, "atol") == 0 && p->atol_vec != NULL) ||
           (strcmp(name, "t_eval") == 0 && p->t_eval != NULL && !p->t_eval_linspace) ||
           (strcmp(name, "jac_sparsity") == 0 && p->sparsity == IVP_SPARSITY_SPEC);
}

static ivp_status spec_validate(spec_ctx *c, cJSON *root, ivp_problem *p)
{
    const char *names[SPEC_N_KEYS + 1];
    size_t k;
    ivp_status s;
    for (k = 0; k < SPEC_N_KEYS; k++) {
        names[k] = spec_keys[k].name;
    }
    names[SPEC_N_KEYS] = NULL;
    s = spec_known_keys(c, root, names);
    if (s != IVP_OK) {
        return s;
    }
    for (k = 0; k < SPEC_N_KEYS; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(root, spec_keys[k].name);
        size_t mark = spec_push_key(c, spec_keys[k].name);
        if (v == NULL) {
            if (spec_keys[k].required) {
                return spec_fail(c, "required key missing");
            }
        } else {
            s = spec_keys[k].check(c, v, p);
            if (s != IVP_OK) {
                return s;
            }
            if (spec_key_is_array_data(spec_keys[k].name, p)) {
                /* ~80 bytes per number in cJSON against 8 in the problem: free them now */
                cJSON_Delete(cJSON_DetachItemViaPointer(root, v));
            }
        }
        spec_pop(c, mark);
    }
    s = spec_model_finish(c, p);
    if (s != IVP_OK) {
        return s;
    }
    if (p->method == NULL) {
        p->method = spec_strdup("RK45");
        if (p->method == NULL) {
            return spec_nomem(c);
        }
    }
    return IVP_OK;
}

/* ---------------------------------------------------------------- the resolved spec */

static cJSON *spec_default_value(spec_default def)
{
    switch (def) {
    case SPEC_DEF_EMPTY_OBJECT:
        return cJSON_CreateObject();
    case SPEC_DEF_METHOD:
        return cJSON_CreateString("RK45");
    case SPEC_DEF_RTOL:
        return cJSON_CreateNumber(1e-3);
    case SPEC_DEF_ATOL:
        return cJSON_CreateNumber(1e-6);
    case SPEC_DEF_FALSE:
        return cJSON_CreateFalse();
    case SPEC_DEF_NULL:
        return cJSON_CreateNull();
    case SPEC_DEF_ZERO:
        return cJSON_CreateNumber(0);
    case SPEC_NO_DEFAULT:
        break;
    }
    return NULL;
}

/* events with both options spelled out: {"name": {"terminal": ..., "direction": ...}}. */
static cJSON *spec_resolved_events(const cJSON *events)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *e;
    if (out == NULL) {
        return NULL;
    }
    cJSON_ArrayForEach(e, events)
    {
        const cJSON *term = cJSON_GetObjectItemCaseSensitive(e, "terminal");
        const cJSON *dir = cJSON_GetObjectItemCaseSensitive(e, "direction");
        cJSON *ev = cJSON_CreateObject();
        cJSON *t = term != NULL ? cJSON_Duplicate(term, 1) : cJSON_CreateFalse();
        cJSON *d = cJSON_CreateNumber(dir != NULL ? dir->valuedouble : 0);
        if (ev == NULL || t == NULL || d == NULL) {
            cJSON_Delete(ev);
            cJSON_Delete(t);
            cJSON_Delete(d);
            cJSON_Delete(out);
            return NULL;
        }
        if (!cJSON_AddItemToObject(ev, "terminal", t)) {
            cJSON_Delete(t);
            d = NULL;
        } else if (!cJSON_AddItemToObject(ev, "direction", d)) {
            cJSON_Delete(d);
            d = NULL;
        }
        if (d == NULL || !cJSON_AddItemToObject(out, e->string, ev)) {
            cJSON_Delete(ev);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* cJSON 1.7.15 prints a number with 15 digits whenever that reads back within a relative
 * DBL_EPSILON, so 0.30000000000000004 would come out as 0.3. The resolved spec must give back
 * the same doubles, so each number becomes a raw node holding spec_num's exact text.
 * Returns 0, or -1 when out of memory. */
static int spec_exact_numbers(cJSON *v)
{
    cJSON *e;
    for (e = v->child; e != NULL; e = e->next) {
        if (cJSON_IsNumber(e)) {
            char buf[32];
            cJSON *raw = cJSON_CreateRaw(spec_num(e->valuedouble, buf));
            cJSON_bool ok;
            if (raw == NULL) {
                return -1;
            }
            /* the key moves over (both strings come from cJSON's allocator); a lookup by key
             * would make this quadratic in the size of the object */
            raw->string = e->string;
            e->string = NULL;
            ok = cJSON_ReplaceItemViaPointer(v, e, raw);
            if (!ok) {
                e->string = raw->string;
                raw->string = NULL;
                cJSON_Delete(raw);
                return -1;
            }
            e = raw;
        } else if (spec_exact_numbers(e) != 0) {
            return -1;
        }
    }
    return 0;
}

/* A growing text buffer; 'failed' sticks after an allocation failure. */
typedef struct spec_buf {
    char *p;
    size_t len, cap;
    int failed;
} spec_buf;

static void spec_buf_reserve(spec_buf *b, size_t more)
{
    char *q;
    size_t cap;
    if (b->failed || b->len + more + 1 <= b->cap) {
        return;
    }
    cap = b->cap < 256 ? 256 : b->cap;
    while (cap < b->len + more + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return;
        }
        cap *= 2;
    }
    q = realloc(b->p, cap);
    if (q == NULL) {
        b->failed = 1;
        return;
    }
    b->p = q;
    b->cap = cap;
}

static void spec_buf_add(spec_buf *b, const char *text)
{
    size_t n = strlen(text);
    spec_buf_reserve(b, n);
    if (!b->failed) {
        memcpy(b->p + b->len, text, n + 1);
        b->len += n;
    }
}

/* [x0,x1,...] with spec_num's exact numbers. */
static void spec_buf_doubles(spec_buf *b, const double *x, size_t n)
{
    char num[32];
    size_t i;
    spec_buf_reserve(b, 25 * n + 2); /* %.17g is at most 24 characters */
    spec_buf_add(b, "[");
    for (i = 0; i < n; i++) {
        if (i > 0) {
            spec_buf_add(b, ",");
        }
        spec_buf_add(b, spec_num(x[i], num));
    }
    spec_buf_add(b, "]");
}

static void spec_buf_indices(spec_buf *b, const size_t *x, size_t n)
{
    char num[32];
    size_t i;
    spec_buf_reserve(b, 21 * n + 2);
    spec_buf_add(b, "[");
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof num, i > 0 ? ",%zu" : "%zu", x[i]);
        spec_buf_add(b, num);
    }
    spec_buf_add(b, "]");
}

/* A small value (anything but the array data): cJSON's compact text with exact numbers. */
static void spec_buf_value(spec_buf *b, cJSON *r)
{
    char *text;
    if (r == NULL) {
        b->failed = 1;
        return;
    }
    if (cJSON_IsNumber(r)) {
        char num[32];
        spec_buf_add(b, spec_num(r->valuedouble, num));
        cJSON_Delete(r);
        return;
    }
    if (spec_exact_numbers(r) != 0) {
        b->failed = 1;
        cJSON_Delete(r);
        return;
    }
    text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    if (text == NULL) {
        b->failed = 1;
        return;
    }
    spec_buf_add(b, text);
    cJSON_free(text);
}

/* The validated spec, keys in spec_keys order, defaults filled in; NULL when out of memory.
 * Written straight into one buffer: arrays of data (y0, an atol array, a t_eval array,
 * jac_sparsity rows and cols) come from the problem, whose values they are exactly, at about
 * 20 bytes per number; the rest from the (small) cJSON values. */
static char *spec_resolved(const cJSON *root, const ivp_problem *p)
{
    spec_buf b = {NULL, 0, 0, 0};
    size_t k, n_keys = 0;
    spec_buf_add(&b, "{");
    for (k = 0; k < SPEC_N_KEYS && !b.failed; k++) {
        const char *name = spec_keys[k].name;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
        int data = spec_key_is_array_data(name, p);
        if (!data && v == NULL && strcmp(name, "method") != 0 &&
            spec_keys[k].def == SPEC_NO_DEFAULT) {
            continue;
        }
        spec_buf_add(&b, n_keys++ > 0 ? ",\"" : "\"");
        spec_buf_add(&b, name); /* the keys are plain identifiers */
        spec_buf_add(&b, "\":");
        if (strcmp(name, "y0") == 0) {
            spec_buf_doubles(&b, p->y0, p->n);
        } else if (data && strcmp(name, "atol") == 0) {
            spec_buf_doubles(&b, p->atol_vec, p->n);
        } else if (data && strcmp(name, "t_eval") == 0) {
            spec_buf_doubles(&b, p->t_eval, p->n_t_eval);
        } else if (data) { /* jac_sparsity */
            spec_buf_add(&b, "{\"rows\":");
            spec_buf_indices(&b, p->sp_rows, p->sp_nnz);
            spec_buf_add(&b, ",\"cols\":");
            spec_buf_indices(&b, p->sp_cols, p->sp_nnz);
            spec_buf_add(&b, "}");
        } else if (strcmp(name, "method") == 0) {
            spec_buf_value(&b, cJSON_CreateString(p->method));
        } else if (v != NULL && strcmp(name, "events") == 0) {
            spec_buf_value(&b, spec_resolved_events(v));
        } else if (v != NULL) {
            spec_buf_value(&b, cJSON_Duplicate(v, 1));
        } else {
            spec_buf_value(&b, spec_default_value(spec_keys[k].def));
        }
    }
    spec_buf_add(&b, "}");
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (b.cap > b.len + 1 + 4096) {
        char *q = realloc(b.p, b.len + 1); /* give back the reserve */
        if (q != NULL) {
            b.p = q;
        }
    }
    return b.p;
}

/* ---------------------------------------------------------------- --set overrides */

/* "KEY=VALUE": walks the dotted KEY from the root, creating objects on the way, and sets the
 * last segment to VALUE parsed as JSON (or VALUE as a string when it is not JSON). */
static ivp_status spec_apply_set(spec_ctx *c, cJSON *root, const char *set)
{
    const char *eq = strchr(set, '=');
    char *key = NULL, *seg, *dot;
    cJSON *node = root, *value = NULL;
    size_t klen;
    ivp_status s = IVP_OK;
    spec_pop(c, 0);
    spec_path_append(c, "$");
    if (eq == NULL) {
        return ivp_error_set(c->err, IVP_ERR_SPEC, "%s: --set '%s': expected KEY=VALUE", c->name,
                             set);
    }
    klen = (size_t)(eq - set);
    key = malloc(klen + 1);
    if (key == NULL) {
        s = spec_nomem(c);
        goto done;
    }
    memcpy(key, set, klen);
    key[klen] = '\0';
    for (seg = key;; seg = dot + 1) {
        dot = strchr(seg, '.');
        if (dot != NULL) {
            *dot = '\0';
        }
        if (seg[0] == '\0') {
            s = ivp_error_set(c->err, IVP_ERR_SPEC,
                              "%s: --set '%s': empty segment in the key (use a.b.c)", c->name, set);
            goto done;
        }
        if (dot == NULL) {
            break;
        }
        {
            cJSON *child = cJSON_GetObjectItemCaseSensitive(node, seg);
            spec_push_key(c, seg);
            if (child == NULL) {
                child = cJSON_AddObjectToObject(node, seg);
                if (child == NULL) {
                    s = spec_nomem(c);
                    goto done;
                }
            } else if (!cJSON_IsObject(child)) {
                s = ivp_error_set(c->err, IVP_ERR_SPEC, "%s: --set '%s': %s is %s, not an object",
                                  c->name, set, c->path, spec_type_name(child));
                goto done;
            }
            node = child;
        }
    }
    spec_push_key(c, seg);
    {
        const char *text = eq + 1, *end = NULL;
        size_t vlen = strlen(text);
        char *vcopy = malloc(vlen + 1);
        int unmaskable = 0;
        if (vcopy == NULL) {
            s = spec_nomem(c);
            goto done;
        }
        memcpy(vcopy, text, vlen + 1);
        s = spec_parse_text(c, vcopy, vlen, &value, &end, &unmaskable);
        free(vcopy);
        if (s != IVP_OK) {
            goto done;
        }
        if (unmaskable) {
            s = ivp_error_set(c->err, IVP_ERR_SPEC,
                              "%s: --set '%s': strings must not contain a NUL character "
                              "(\\u0000)",
                              c->name, set);
            goto done;
        }
        if (value == NULL) {
            value = cJSON_CreateString(text);
            if (value == NULL) {
                s = spec_nomem(c);
                goto done;
            }
        }
    }
    s = spec_check_duplicates(c, value);
    if (s != IVP_OK) {
        goto done;
    }
    if (cJSON_GetObjectItemCaseSensitive(node, seg) != NULL) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(node, seg, value)) {
            s = spec_nomem(c);
            goto done;
        }
    } else if (!cJSON_AddItemToObject(node, seg, value)) {
        s = spec_nomem(c);
        goto done;
    }
    value = NULL; /* the tree owns it now */
done:
    cJSON_Delete(value);
    free(key);
    spec_pop(c, 0);
    return s;
}

/* ---------------------------------------------------------------- parse and load */

/* "<name>:LINE:COLUMN: syntax error near '...'" for the byte at offset pos; the column counts
 * characters (UTF-8 sequences), from 1. */
static ivp_status spec_syntax_error(const char *name, const char *text, size_t len, size_t pos,
                                    const char *why, ivp_error *err)
{
    size_t line = 1, col = 1, i, k = 0;
    char near[32];
    for (i = 0; i < pos && i < len; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    if (pos >= len) {
        return ivp_error_set(err, IVP_ERR_SPEC, "%s:%zu:%zu: syntax error near end of input%s",
                             name, line, col, why);
    }
    for (i = pos; i < len && k < 20 && text[i] != '\n' && text[i] != '\r'; i++) {
        unsigned char ch = (unsigned char)text[i];
        near[k++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (i < len && ((unsigned char)text[i] & 0xC0) == 0x80) {
        /* the snippet ends inside a UTF-8 sequence: drop that sequence's first bytes */
        while (k > 0 && ((unsigned char)near[k - 1] & 0xC0) == 0x80) {
            k--;
        }
        if (k > 0 && ((unsigned char)near[k - 1] & 0xC0) == 0xC0) {
            k--;
        }
    }
    near[k] = '\0';
    return ivp_error_set(err, IVP_ERR_SPEC, "%s:%zu:%zu: syntax error near '%s'%s", name, line, col,
                         near, why);
}

/* ivp_problem_parse on buf (len bytes and a NUL after them), which it owns: masked in place,
 * parsed, and freed as soon as cJSON has its tree, so the text and the tree of a large spec
 * are not held together with the problem's arrays. */
static ivp_status spec_parse_owned(char *buf, size_t len, const char *name, const char *base_dir,
                                   const char *const *sets, size_t n_sets, ivp_problem **out,
                                   ivp_error *err)
{
    spec_ctx ctx;
    ivp_problem *p = NULL;
    cJSON *root = NULL;
    const char *nul;
    ivp_status s = IVP_OK;
    size_t i;

    *out = NULL;
    ctx.name = name != NULL ? name : "<spec>";
    ctx.base_dir = base_dir != NULL ? base_dir : ".";
    ctx.err = err;
    ctx.len = 0;
    ctx.path[0] = '\0';
    ctx.nul_mark = NULL;

    if (len == 0) {
        free(buf);
        return ivp_error_set(err, IVP_ERR_SPEC,
                             "%s:1:1: syntax error near end of input (the input is empty)",
                             ctx.name);
    }
    nul = memchr(buf, '\0', len);
    if (nul != NULL) {
        s = spec_syntax_error(ctx.name, buf, len, (size_t)(nul - buf), " (a NUL byte)", err);
        free(buf);
        return s;
    }
    spec_path_append(&ctx, "$");
    {
        const char *end = NULL;
        int unmaskable = 0;
        /* "require NUL-terminated" rejects trailing garbage; nothing reads past len */
        s = spec_parse_text(&ctx, buf, len, &root, &end, &unmaskable);
        if (s == IVP_OK && root == NULL) {
            size_t pos = (end != NULL && end >= buf) ? (size_t)(end - buf) : 0;
            s = spec_syntax_error(ctx.name, buf, len, pos,
                                  unmaskable ? " (strings must not contain a NUL character)"
                                             : "",
                                  err);
        }
        free(buf);
        buf = NULL;
        if (s != IVP_OK) {
            goto done;
        }
    }
    s = spec_check_duplicates(&ctx, root);
    if (s != IVP_OK) {
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        s = spec_fail(&ctx, "must be an object, got %s", spec_type_name(root));
        goto done;
    }
    for (i = 0; i < n_sets; i++) {
        s = spec_apply_set(&ctx, root, sets[i]);
        if (s != IVP_OK) {
            goto done;
        }
    }
    spec_pop(&ctx, 0);
    spec_path_append(&ctx, "$");

    p = calloc(1, sizeof *p);
    if (p == NULL) {
        s = spec_nomem(&ctx);
        goto done;
    }
    p->rtol = 1e-3;
    p->atol = 1e-6;
    p->first_step = 0;
    p->max_step = HUGE_VAL;
    p->min_step = 0;
    p->max_steps = 0;
    p->jac = IVP_JAC_AUTO;
    p->sparsity = IVP_SPARSITY_NONE;
    p->lband = -1;
    p->uband = -1;
    s = spec_validate(&ctx, root, p);
    if (s != IVP_OK) {
        goto done;
    }
    p->resolved = spec_resolved(root, p);
    if (p->resolved == NULL) {
        s = spec_nomem(&ctx);
        goto done;
    }
    *out = p;
    p = NULL;
done:
    ivp_problem_free(p);
    cJSON_Delete(root);
    return s;
}

ivp_status ivp_problem_parse(const char *text, size_t len, const char *name, const char *base_dir,
                             const char *const *sets, size_t n_sets, ivp_problem **out,
                             ivp_error *err)
{
    char *copy;
    if (out == NULL || (text == NULL && len > 0) || (sets == NULL && n_sets > 0)) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_problem_parse: NULL argument");
    }
    *out = NULL;
    /* cJSON gets its own NUL-terminated copy */
    copy = malloc(len + 1);
    if (copy == NULL) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory",
                             name != NULL ? name : "<spec>");
    }
    if (len > 0) {
        memcpy(copy, text, len);
    }
    copy[len] = '\0';
    return spec_parse_owned(copy, len, name, base_dir, sets, n_sets, out, err);
}

/* "<name>: cannot read: <reason>" for errno value e. */
static ivp_status spec_unreadable(const char *name, int e, ivp_error *err)
{
    char why[128];
    if (e == ENOMEM) {
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", name);
    }
    if (strerror_r(e, why, sizeof why) != 0) {
        snprintf(why, sizeof why, "error %d", e);
    }
    return ivp_error_set(err, IVP_ERR_SPEC, "%s: cannot read: %s", name, why);
}

/* Reads all of f into a new buffer with a NUL after the *len bytes; returns 0, or an errno
 * value. A regular file is read into a buffer of its size (plus one byte to see the end). */
static int spec_read_all(FILE *f, char **buf, size_t *len)
{
    size_t cap = 4096, n = 0;
    struct stat st;
    char *b;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size < ((size_t)-1) / 2) {
        cap = (size_t)st.st_size + 2;
    }
    b = malloc(cap);
    if (b == NULL) {
        return ENOMEM;
    }
    for (;;) {
        size_t got;
        if (n + 1 >= cap) {
            char *nb;
            if (cap > ((size_t)-1) / 2) {
                free(b);
                return ENOMEM;
            }
            nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                return ENOMEM;
            }
            b = nb;
            cap *= 2;
        }
        errno = 0;
        got = fread(b + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno != 0 ? errno : EIO;
                free(b);
                return e;
            }
            break;
        }
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

ivp_status ivp_problem_load(const char *path, const char *const *sets, size_t n_sets,
                            ivp_problem **out, ivp_error *err)
{
    FILE *f = NULL;
    char *text = NULL, *dir = NULL;
    const char *name, *slash;
    size_t len = 0;
    int e, from_stdin;
    ivp_status s;

    if (out == NULL || path == NULL) {
        return ivp_error_set(err, IVP_ERR_ARG, "ivp_problem_load: NULL argument");
    }
    *out = NULL;
    from_stdin = strcmp(path, "-") == 0;
    if (from_stdin) {
        name = "<stdin>";
        f = stdin;
    } else {
        name = path;
        errno = 0;
        f = fopen(path, "rb");
    }
    if (f == NULL) {
        e = errno != 0 ? errno : EIO;
        goto unreadable;
    }
    e = spec_read_all(f, &text, &len);
    if (!from_stdin) {
        fclose(f);
    }
    if (e != 0) {
        goto unreadable;
    }

    /* The plugin path is relative to the spec's folder: everything before the last '/'. */
    slash = from_stdin ? NULL : strrchr(path, '/');
    if (slash == NULL) {
        dir = spec_strdup(".");
    } else {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(dl + 1);
        if (dir != NULL) {
            memcpy(dir, path, dl);
            dir[dl] = '\0';
        }
    }
    if (dir == NULL) {
        free(text);
        return ivp_error_set(err, IVP_ERR_NOMEM, "%s: out of memory", name);
    }
    s = spec_parse_owned(text, len, name, dir, sets, n_sets, out, err); /* frees text */
    free(dir);
    return s;

unreadable:
    return spec_unreadable(name, e, err);
}

void ivp_problem_free(ivp_problem *p)
{
    size_t i;
    if (p == NULL) {
        return;
    }
    free(p->plugin);
    free(p->method);
    free(p->y0);
    if (p->param_names != NULL) {
        for (i = 0; i < p->n_params; i++) {
            free(p->param_names[i]);
        }
    }
    free(p->param_names);
    free(p->param_values);
    free(p->atol_vec);
    free(p->t_eval);
    if (p->event_names != NULL) {
        for (i = 0; i < p->n_event_specs; i++) {
            free(p->event_names[i]);
        }
    }
    free(p->event_names);
    free(p->event_opts);
    free(p->sp_rows);
    free(p->sp_cols);
    free(p->output);
    free(p->resolved);
    ivp_model_free(p->model);
    free(p);
}
