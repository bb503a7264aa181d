/* SPDX-License-Identifier: MIT
 * cli/cmd_export.c - `ivp export FILE`: the stored points (or, with --events, the event
 * occurrences) as a table. Points are read in blocks, so a file of any size streams through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define EXPORT_BLOCK 4096

enum { EXPORT_MEMBER, EXPORT_EVENTS, EXPORT_FORMAT, EXPORT_OUTPUT };

static const tools_option export_options[] = {
    {"member", 0, 1}, {"events", 0, 0}, {"format", 0, 1}, {"output", 'o', 1}, {NULL, 0, 0},
};

/* The stored points of members k0..k1-1. */
static int export_points(ivp_h5file *f, size_t k0, size_t k1, int member_col, tools_table *tt)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    size_t n = in->n, k, first, i, j;
    double *t = malloc(EXPORT_BLOCK * sizeof *t);
    double *y = malloc(EXPORT_BLOCK * (n > 0 ? n : 1) * sizeof *y);
    ivp_error err;
    int ok = 1;
    if (t == NULL || y == NULL) {
        cli_error("out of memory");
        ok = 0;
    }
    ivp_error_clear(&err);
    for (k = k0; k < k1 && ok; k++) {
        ivp_h5run run;
        if (ivp_h5file_member(f, k, &run, NULL, NULL, NULL, &err) != IVP_OK) {
            cli_error("%s", err.msg);
            ok = 0;
            break;
        }
        for (first = 0; first < run.n_points && ok; first += EXPORT_BLOCK) {
            size_t count = run.n_points - first < EXPORT_BLOCK ? run.n_points - first
                                                               : EXPORT_BLOCK;
            if (ivp_h5file_read(f, k, first, count, t, y, &err) != IVP_OK) {
                cli_error("%s", err.msg);
                ok = 0;
                break;
            }
            for (i = 0; i < count; i++) {
                if (member_col) {
                    tools_table_int(tt, (long long)k);
                }
                tools_table_num(tt, t[i]);
                for (j = 0; j < n; j++) {
                    tools_table_num(tt, y[i * n + j]);
                }
                tools_table_end_row(tt);
            }
        }
    }
    free(t);
    free(y);
    return ok;
}

/* The event occurrences of member k (SIZE_MAX: all), event after event, in the file's order. */
static int export_events(ivp_h5file *f, size_t k, int member_col, tools_table *tt)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    size_t n = in->n, e, i, j, m;
    double *y = malloc((n > 0 ? n : 1) * sizeof *y), t;
    ivp_error err;
    int ok = 1;
    if (y == NULL) {
        cli_error("out of memory");
        return 0;
    }
    ivp_error_clear(&err);
    for (e = 0; e < in->n_events && ok; e++) {
        for (i = 0; i < in->events[e].count; i++) {
            if (ivp_h5file_event(f, e, i, &t, y, &m, &err) != IVP_OK) {
                cli_error("%s", err.msg);
                ok = 0;
                break;
            }
            if (k != SIZE_MAX && m != k) {
                continue;
            }
            if (member_col) {
                tools_table_int(tt, (long long)m);
            }
            tools_table_str(tt, in->events[e].name);
            tools_table_num(tt, t);
            for (j = 0; j < n; j++) {
                tools_table_num(tt, y[j]);
            }
            tools_table_end_row(tt);
        }
    }
    free(y);
    return ok;
}

int cmd_export(int argc, char **argv, const cli_command *self)
{
    tools_args a;
    ivp_h5file *f = NULL;
    const ivp_h5info *in;
    tools_format fmt;
    tools_out out;
    tools_table tt;
    const char **cols = NULL;
    size_t k, j, nc;
    int code, ok, events;

    code = tools_parse(argc, argv, export_options, self, &a);
    if (code != IVP_EXIT_OK || a.help) {
        if (a.help) {
            cli_usage(stdout, self);
        }
        return code;
    }
    if (a.n_positional != 1) {
        return cli_usage_error(self,
                               a.n_positional == 0 ? "no file given" : "export takes one file");
    }
    if (tools_parse_format(a.values[EXPORT_FORMAT], &fmt) != 0) {
        return cli_usage_error(self, "--format must be csv, tsv or ndjson, not '%s'",
                               a.values[EXPORT_FORMAT]);
    }
    events = a.values[EXPORT_EVENTS] != NULL;
    code = tools_open(a.positional[0], &f);
    if (code != IVP_EXIT_OK) {
        return code;
    }
    in = ivp_h5file_info(f);
    code = tools_member(self, f, a.values[EXPORT_MEMBER], &k);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    nc = (in->ensemble && k == SIZE_MAX ? 1 : 0) + (events ? 1 : 0);
    cols = malloc((nc + 1 + in->n) * sizeof *cols);
    if (cols == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    j = 0;
    if (in->ensemble && k == SIZE_MAX) {
        cols[j++] = "member";
    }
    if (events) {
        cols[j++] = "event";
    }
    cols[j++] = "t";
    for (nc = j; j < nc + in->n; j++) {
        cols[j] = in->names[j - nc];
    }
    code = tools_out_open(&out, a.values[EXPORT_OUTPUT]);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    tools_table_begin(&tt, out.fp, fmt, cols, j);
    if (events) {
        ok = export_events(f, k, in->ensemble && k == SIZE_MAX, &tt);
    } else {
        ok = export_points(f, k == SIZE_MAX ? 0 : k, k == SIZE_MAX ? in->n_members : k + 1,
                           in->ensemble && k == SIZE_MAX, &tt);
    }
    code = tools_out_close(&out, ok);
done:
    free(cols);
    ivp_h5file_close(f);
    return code;
}
