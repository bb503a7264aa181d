/* SPDX-License-Identifier: MIT
 * cli/cmd_eval.c - `ivp eval FILE --t ...`: the dense output at given times, as a table.
 *
 * The times are checked against every selected member's dense-output interval before anything
 * is written, so a bad --t writes nothing. A range A:B:NUM is generated on the fly (as
 * numpy.linspace does), never stored, so its size costs no memory.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

enum { EVAL_T, EVAL_T_FILE, EVAL_MEMBER, EVAL_FORMAT, EVAL_OUTPUT };

static const tools_option eval_options[] = {
    {"t", 0, 1},      {"t-file", 0, 1},   {"member", 0, 1},
    {"format", 0, 1}, {"output", 'o', 1}, {NULL, 0, 0},
};

/* The times: a list, or A:B:NUM. */
typedef struct eval_times {
    double *list;
    size_t count;
    int range;
    double a, b;
} eval_times;

static double eval_time(const eval_times *ts, size_t i)
{
    double step;
    if (!ts->range) {
        return ts->list[i];
    }
    if (ts->count == 1) {
        return ts->a;
    }
    if (i == ts->count - 1) {
        return ts->b;
    }
    step = (ts->b - ts->a) / (double)(ts->count - 1);
    return (double)i * step + ts->a;
}

/* Appends v to the list. */
static int eval_push(eval_times *ts, size_t *cap, double v)
{
    if (ts->count == *cap) {
        size_t nc = *cap > 0 ? 2 * *cap : 64;
        double *p = realloc(ts->list, nc * sizeof *p);
        if (p == NULL) {
            return -1;
        }
        ts->list = p;
        *cap = nc;
    }
    ts->list[ts->count++] = v;
    return 0;
}

/* --t T[,T...] or --t A:B:NUM. */
static int eval_parse_t(const cli_command *cmd, const char *s, eval_times *ts)
{
    size_t cap = 0;
    const char *c1 = strchr(s, ':');
    if (c1 != NULL) {
        const char *c2 = strchr(c1 + 1, ':');
        char a[128], b[128];
        size_t num;
        if (c2 == NULL || strchr(c2 + 1, ':') != NULL || (size_t)(c1 - s) >= sizeof a ||
            (size_t)(c2 - c1 - 1) >= sizeof b) {
            return cli_usage_error(cmd, "--t '%s': a range is A:B:NUM (e.g. 0:10:101)", s);
        }
        memcpy(a, s, (size_t)(c1 - s));
        a[c1 - s] = '\0';
        memcpy(b, c1 + 1, (size_t)(c2 - c1 - 1));
        b[c2 - c1 - 1] = '\0';
        if (tools_parse_double(a, &ts->a) != 0 || tools_parse_double(b, &ts->b) != 0 ||
            tools_parse_size(c2 + 1, &num) != 0 || num < 1) {
            return cli_usage_error(cmd,
                                   "--t '%s': a range is A:B:NUM with numbers A and B and "
                                   "a count NUM >= 1 (e.g. 0:10:101)",
                                   s);
        }
        ts->range = 1;
        ts->count = num;
        return IVP_EXIT_OK;
    }
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        char buf[128];
        double v;
        if (len == 0 || len >= sizeof buf) {
            return cli_usage_error(cmd, "--t: expected numbers separated by commas (T,T,...) or "
                                        "a range A:B:NUM, got an empty or too long item");
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (tools_parse_double(buf, &v) != 0) {
            return cli_usage_error(cmd,
                                   "--t: '%s' is not a finite number (expected T,T,... or "
                                   "A:B:NUM)",
                                   buf);
        }
        if (eval_push(ts, &cap, v) != 0) {
            cli_error("out of memory");
            return IVP_EXIT_SOLVER;
        }
        if (comma == NULL) {
            break;
        }
        s = comma + 1;
    }
    return IVP_EXIT_OK;
}

/* --t-file F: numbers separated by white space or commas; '#' starts a comment. */
static int eval_parse_t_file(const char *path, eval_times *ts)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char line[4096];
    size_t cap = 0, lineno = 0;
    int code = IVP_EXIT_OK;
    if (fp == NULL) {
        cli_error("--t-file %s: %s", path, strerror(errno));
        return IVP_EXIT_USAGE;
    }
    while (code == IVP_EXIT_OK && fgets(line, sizeof line, fp) != NULL) {
        char *p = line, *hash = strchr(line, '#');
        lineno++;
        if (hash != NULL) {
            *hash = '\0';
        }
        if (strchr(line, '\n') == NULL && !feof(fp) && hash == NULL) {
            cli_error("--t-file %s:%zu: line too long", path, lineno);
            code = IVP_EXIT_USAGE;
            break;
        }
        for (;;) {
            char *end;
            double v;
            while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' || *p == '\n') {
                p++;
            }
            if (*p == '\0') {
                break;
            }
            errno = 0;
            v = strtod(p, &end);
            if (end == p || !isfinite(v) ||
                !(*end == '\0' || *end == ' ' || *end == '\t' || *end == ',' || *end == '\r' ||
                  *end == '\n')) {
                cli_error("--t-file %s:%zu: '%.40s' is not a finite number", path, lineno, p);
                code = IVP_EXIT_USAGE;
                break;
            }
            if (eval_push(ts, &cap, v) != 0) {
                cli_error("out of memory");
                code = IVP_EXIT_SOLVER;
                break;
            }
            p = end;
        }
    }
    if (code == IVP_EXIT_OK && ferror(fp)) {
        cli_error("--t-file %s: read error", path);
        code = IVP_EXIT_USAGE;
    }
    if (fp != stdin) {
        fclose(fp);
    }
    if (code == IVP_EXIT_OK && ts->count == 0) {
        cli_error("--t-file %s: no times in the file", path);
        code = IVP_EXIT_USAGE;
    }
    return code;
}

/* Every time inside member k's dense output, else a message and exit 2. */
static int eval_check(ivp_h5file *f, size_t k, const eval_times *ts)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    ivp_error err;
    double a, b, lo, hi;
    size_t i;
    ivp_error_clear(&err);
    if (ivp_h5file_dense_range(f, k, &a, &b, &err) != IVP_OK) {
        cli_error("%s", err.msg);
        return IVP_EXIT_USAGE;
    }
    lo = a < b ? a : b;
    hi = a < b ? b : a;
    for (i = 0; i < (ts->range ? 2 : ts->count); i++) {
        double t = ts->range ? (i == 0 ? ts->a : ts->b) : ts->list[i];
        if (ts->range && ts->count == 1 && i == 1) {
            break;
        }
        if (!(t >= lo && t <= hi)) {
            if (in->ensemble) {
                cli_error("%s: member %zu: --t %.17g is outside its solution's interval "
                          "[%.17g, %.17g]",
                          in->path, k, t, lo, hi);
            } else {
                cli_error("%s: --t %.17g is outside the solution's interval [%.17g, %.17g]",
                          in->path, t, lo, hi);
            }
            return IVP_EXIT_USAGE;
        }
    }
    return IVP_EXIT_OK;
}

int cmd_eval(int argc, char **argv, const cli_command *self)
{
    tools_args a;
    ivp_h5file *f = NULL;
    const ivp_h5info *in;
    eval_times ts;
    tools_format fmt;
    tools_out out;
    tools_table tt;
    const char **cols = NULL;
    double *y = NULL;
    size_t k, k0, k1, i, j, nc;
    int code, ok = 1, opened = 0;
    ivp_error err;

    memset(&ts, 0, sizeof ts);
    code = tools_parse(argc, argv, eval_options, self, &a);
    if (code != IVP_EXIT_OK || a.help) {
        if (a.help) {
            cli_usage(stdout, self);
        }
        return code;
    }
    if (a.n_positional != 1) {
        return cli_usage_error(self, a.n_positional == 0 ? "no file given" : "eval takes one file");
    }
    if ((a.values[EVAL_T] == NULL) == (a.values[EVAL_T_FILE] == NULL)) {
        return cli_usage_error(self, "give the times with either --t or --t-file");
    }
    if (tools_parse_format(a.values[EVAL_FORMAT], &fmt) != 0) {
        return cli_usage_error(self, "--format must be csv, tsv or ndjson, not '%s'",
                               a.values[EVAL_FORMAT]);
    }
    code = tools_open(a.positional[0], &f);
    if (code != IVP_EXIT_OK) {
        return code;
    }
    in = ivp_h5file_info(f);
    code = tools_member(self, f, a.values[EVAL_MEMBER], &k);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    code = a.values[EVAL_T] != NULL ? eval_parse_t(self, a.values[EVAL_T], &ts)
                                    : eval_parse_t_file(a.values[EVAL_T_FILE], &ts);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    if (!in->dense) {
        cli_error("%s: the file has no dense output, which eval needs; run the problem with "
                  "\"dense_output\": true (ivp run SPEC --set dense_output=true)",
                  in->path);
        code = IVP_EXIT_USAGE;
        goto done;
    }
    k0 = k == SIZE_MAX ? 0 : k;
    k1 = k == SIZE_MAX ? in->n_members : k + 1;
    for (i = k0; i < k1; i++) {
        code = eval_check(f, i, &ts);
        if (code != IVP_EXIT_OK) {
            goto done;
        }
    }
    /* member column for ensembles without --member */
    nc = (in->ensemble && k == SIZE_MAX ? 1 : 0);
    cols = malloc((nc + 1 + in->n) * sizeof *cols);
    y = malloc((in->n > 0 ? in->n : 1) * sizeof *y);
    if (cols == NULL || y == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    if (nc == 1) {
        cols[0] = "member";
    }
    cols[nc] = "t";
    for (j = 0; j < in->n; j++) {
        cols[nc + 1 + j] = in->names[j];
    }
    code = tools_out_open(&out, a.values[EVAL_OUTPUT]);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    opened = 1;
    tools_table_begin(&tt, out.fp, fmt, cols, nc + 1 + in->n);
    ivp_error_clear(&err);
    for (k = k0; k < k1 && ok; k++) {
        for (i = 0; i < ts.count; i++) {
            double t = eval_time(&ts, i);
            if (ivp_h5file_dense_eval(f, k, t, y, &err) != IVP_OK) {
                cli_error("%s", err.msg);
                ok = 0;
                break;
            }
            if (nc == 1) {
                tools_table_int(&tt, (long long)k);
            }
            tools_table_num(&tt, t);
            for (j = 0; j < in->n; j++) {
                tools_table_num(&tt, y[j]);
            }
            tools_table_end_row(&tt);
        }
    }
    code = tools_out_close(&out, ok);
    opened = 0;
done:
    if (opened) {
        tools_out_close(&out, 0);
    }
    free(cols);
    free(y);
    free(ts.list);
    ivp_h5file_close(f);
    return code;
}
