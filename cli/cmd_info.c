/* SPDX-License-Identifier: MIT
 * cli/cmd_info.c - `ivp info FILE...`: a result's outcome (status, message, method, counters,
 * events, parameters), as text, JSON or CSV; --members lists an ensemble's members.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

enum { INFO_JSON, INFO_CSV, INFO_MEMBERS };

static const tools_option info_options[] = {
    {"json", 0, 0},
    {"csv", 0, 0},
    {"members", 0, 0},
    {NULL, 0, 0},
};

static const char *const info_counters[] = {"nfev", "njev", "nlu", "n_steps", "n_rejected"};

static int64_t info_counter(const ivp_h5run *r, size_t i)
{
    return i == 0   ? r->nfev
           : i == 1 ? r->njev
           : i == 2 ? r->nlu
           : i == 3 ? r->n_steps
                    : r->n_rejected;
}

/* The first and last stored times of member k (NaN when it has none). */
static void info_t_range(ivp_h5file *f, size_t k, size_t n_points, double *t0, double *t1)
{
    ivp_error err;
    *t0 = *t1 = (double)NAN;
    if (n_points > 0) {
        ivp_h5file_read(f, k, 0, 1, t0, NULL, &err);
        ivp_h5file_read(f, k, n_points - 1, 1, t1, NULL, &err);
    }
}

static const char *info_status_word(int status)
{
    switch (status) {
    case 0:
        return "reached the end";
    case 1:
        return "terminal event";
    case -1:
        return "failed";
    case -2:
        return "interrupted";
    default:
        return "unknown";
    }
}

/* ---- text -------------------------------------------------------------------------------- */

static void info_text(ivp_h5file *f, int members)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    const ivp_h5run *r = &in->run;
    tools_params p;
    size_t i, k;
    double t0, t1;
    char g1[32], g2[32];

    printf("file:        %s\n", in->path);
    printf("format:      %s %s%s%s%s\n", in->format, in->format_version,
           in->ivp_version[0] != '\0' ? " (written by ivp " : "", in->ivp_version,
           in->ivp_version[0] != '\0' ? ")" : "");
    if (in->ensemble) {
        printf("members:     %zu (%zu failed), %s layout%s%s\n", in->n_members, in->n_failed,
               in->stacked ? "stacked" : "ragged", in->shard[0] != '\0' ? ", shard " : "",
               in->shard);
        printf("status:      %d (%s; the worst member's)\n", r->status,
               info_status_word(r->status));
    } else {
        printf("status:      %d (%s) %s\n", r->status, info_status_word(r->status), r->message);
    }
    printf("method:      %s, rtol %s, atol ", in->method, tools_g(g1, in->rtol));
    if (in->n_atol == 1) {
        printf("%s\n", tools_g(g1, in->atol[0]));
    } else if (in->n_atol > 1) {
        printf("per component [");
        for (i = 0; i < in->n_atol; i++) {
            printf("%s%s", i > 0 ? ", " : "", tools_g(g1, in->atol[i]));
        }
        printf("]\n");
    } else {
        printf("?\n");
    }
    printf("states:      %zu (", in->n);
    for (i = 0; i < in->n; i++) {
        printf("%s%s", i > 0 ? ", " : "", in->names[i]);
    }
    printf(")\n");
    if (!in->ensemble) {
        info_t_range(f, 0, r->n_points, &t0, &t1);
        printf("points:      %zu", r->n_points);
        if (r->n_points > 0) {
            printf(", t from %s to %s", tools_g(g1, t0), tools_g(g2, t1));
        }
        printf("\n");
    } else {
        printf("points:      %zu in all\n", r->n_points);
    }
    if (in->dense) {
        printf("dense:       %zu segments of degree %zu", r->n_segments, in->dense_degree);
        if (!in->ensemble && r->n_segments > 0) {
            ivp_error err;
            if (ivp_h5file_dense_range(f, 0, &t0, &t1, &err) == IVP_OK) {
                printf(" on [%s, %s]", tools_g(g1, t0 < t1 ? t0 : t1),
                       tools_g(g2, t0 < t1 ? t1 : t0));
            }
        }
        printf("\n");
    } else {
        printf("dense:       none (run with \"dense_output\": true for eval)\n");
    }
    printf("events:      ");
    if (in->n_events == 0) {
        printf("none");
    }
    for (i = 0; i < in->n_events; i++) {
        const ivp_h5event *e = &in->events[i];
        printf("%s%s %zu", i > 0 ? ", " : "", e->name, e->count);
        if (e->has_attrs) {
            printf(" (%sdirection %d)", e->terminal ? "terminal, " : "", e->direction);
        }
    }
    printf("\n");
    if (!in->ensemble) {
        if (tools_params_get(f, 0, &p) == 0) {
            printf("params:      ");
            if (p.n == 0) {
                printf("none");
            }
            for (i = 0; i < p.n; i++) {
                printf("%s%s = %s", i > 0 ? ", " : "", p.names[i], tools_g(g1, p.values[i]));
            }
            printf("\n");
            tools_params_free(&p);
        }
    } else if (in->n_params > 0) {
        printf("params:      ");
        for (i = 0; i < in->n_params; i++) {
            printf("%s%s", i > 0 ? ", " : "", in->param_names[i]);
        }
        printf(" (per member: --members)\n");
    }
    printf("counters:    ");
    for (i = 0; i < 5; i++) {
        printf("%s%s %lld", i > 0 ? ", " : "", info_counters[i], (long long)info_counter(r, i));
    }
    printf("%s\n", in->ensemble ? " (all members)" : "");
    if (!isnan(r->solve_seconds)) {
        printf("solve time:  %.6g s%s\n", r->solve_seconds, in->ensemble ? " (all members)" : "");
    }
    if (in->created[0] != '\0') {
        printf("created:     %s%s%s\n", in->created, in->host[0] != '\0' ? " on " : "", in->host);
    }
    if (in->command_line[0] != '\0') {
        printf("command:     %s\n", in->command_line);
    }
    if (members && in->ensemble) {
        for (k = 0; k < in->n_members; k++) {
            ivp_h5run mr;
            ivp_error err;
            if (ivp_h5file_member(f, k, &mr, NULL, NULL, NULL, &err) != IVP_OK) {
                continue;
            }
            printf("member %zu:   status %d, %zu points", k, mr.status, mr.n_points);
            for (i = 0; i < 5; i++) {
                printf(", %s %lld", info_counters[i], (long long)info_counter(&mr, i));
            }
            if (tools_params_get(f, k, &p) == 0) {
                for (i = 0; i < p.n; i++) {
                    printf(", %s = %s", p.names[i], tools_g(g1, p.values[i]));
                }
                tools_params_free(&p);
            }
            printf(" (%s)\n", mr.message);
        }
    }
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void info_json_run(ivp_h5file *f, size_t k, const ivp_h5run *r, int with_params)
{
    tools_params p;
    size_t i;
    double t0, t1;
    printf("\"status\":%d,\"message\":", r->status);
    tools_json_str(stdout, r->message);
    printf(",\"success\":%s", r->status >= 0 ? "true" : "false");
    for (i = 0; i < 5; i++) {
        printf(",\"%s\":%lld", info_counters[i], (long long)info_counter(r, i));
    }
    printf(",\"solve_seconds\":");
    tools_json_num(stdout, r->solve_seconds);
    printf(",\"n_points\":%zu,\"n_segments\":%zu", r->n_points, r->n_segments);
    info_t_range(f, k, r->n_points, &t0, &t1);
    printf(",\"t_first\":");
    tools_json_num(stdout, t0);
    printf(",\"t_last\":");
    tools_json_num(stdout, t1);
    if (with_params && tools_params_get(f, k, &p) == 0) {
        printf(",\"params\":{");
        for (i = 0; i < p.n; i++) {
            printf("%s", i > 0 ? "," : "");
            tools_json_str(stdout, p.names[i]);
            printf(":");
            tools_json_num(stdout, p.values[i]);
        }
        printf("}");
        tools_params_free(&p);
    }
}

static void info_json(ivp_h5file *f, int members)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    size_t i, k;
    printf("{\"file\":");
    tools_json_str(stdout, in->path);
    printf(",\"format\":");
    tools_json_str(stdout, in->format);
    printf(",\"format_version\":");
    tools_json_str(stdout, in->format_version);
    printf(",\"ivp_version\":");
    tools_json_str(stdout, in->ivp_version);
    printf(",\"method\":");
    tools_json_str(stdout, in->method);
    printf(",\"rtol\":");
    tools_json_num(stdout, in->rtol);
    printf(",\"atol\":");
    if (in->n_atol == 1) {
        tools_json_num(stdout, in->atol[0]);
    } else {
        printf("[");
        for (i = 0; i < in->n_atol; i++) {
            printf("%s", i > 0 ? "," : "");
            tools_json_num(stdout, in->atol[i]);
        }
        printf("]");
    }
    printf(",\"n\":%zu,\"names\":[", in->n);
    for (i = 0; i < in->n; i++) {
        printf("%s", i > 0 ? "," : "");
        tools_json_str(stdout, in->names[i]);
    }
    printf("],");
    info_json_run(f, 0, &in->run, !in->ensemble);
    printf(",\"dense\":");
    if (in->dense) {
        printf("{\"degree\":%zu,\"segments\":%zu}", in->dense_degree, in->run.n_segments);
    } else {
        printf("null");
    }
    printf(",\"events\":[");
    for (i = 0; i < in->n_events; i++) {
        const ivp_h5event *e = &in->events[i];
        printf("%s{\"name\":", i > 0 ? "," : "");
        tools_json_str(stdout, e->name);
        printf(",\"count\":%zu", e->count);
        if (e->has_attrs) {
            printf(",\"index\":%ld,\"direction\":%d,\"terminal\":%s", e->index, e->direction,
                   e->terminal ? "true" : "false");
        }
        printf("}");
    }
    printf("]");
    if (in->created[0] != '\0') {
        printf(",\"created\":");
        tools_json_str(stdout, in->created);
        printf(",\"host\":");
        tools_json_str(stdout, in->host);
        printf(",\"command_line\":");
        tools_json_str(stdout, in->command_line);
    }
    if (in->ensemble) {
        printf(",\"n_members\":%zu,\"n_failed\":%zu,\"layout\":\"%s\"", in->n_members, in->n_failed,
               in->stacked ? "stacked" : "ragged");
        if (in->shard[0] != '\0') {
            printf(",\"shard\":");
            tools_json_str(stdout, in->shard);
        }
        if (members) {
            printf(",\"members\":[");
            for (k = 0; k < in->n_members; k++) {
                ivp_h5run mr;
                ivp_error err;
                if (ivp_h5file_member(f, k, &mr, NULL, NULL, NULL, &err) != IVP_OK) {
                    continue;
                }
                printf("%s{\"member\":%zu,", k > 0 ? "," : "", k);
                info_json_run(f, k, &mr, 1);
                if (mr.overrides != NULL) {
                    printf(",\"overrides\":");
                    tools_json_str(stdout, mr.overrides);
                }
                printf("}");
            }
            printf("]");
        }
    }
    printf("}");
}

/* ---- CSV --------------------------------------------------------------------------------- */

/* Adds name to the set (names[0..*count)) if new. */
static int info_union_add(const char ***names, size_t *count, size_t *cap, const char *name)
{
    size_t i;
    for (i = 0; i < *count; i++) {
        if (strcmp((*names)[i], name) == 0) {
            return 0;
        }
    }
    if (*count == *cap) {
        size_t nc = *cap > 0 ? 2 * *cap : 8;
        const char **p = realloc((void *)*names, nc * sizeof *p);
        if (p == NULL) {
            return -1;
        }
        *names = p;
        *cap = nc;
    }
    (*names)[(*count)++] = name;
    return 0;
}

static const char *const info_csv_fixed[] = {
    "file",       "member",        "format",   "method",  "rtol",   "status",
    "message",    "success",       "nfev",     "njev",    "nlu",    "n_steps",
    "n_rejected", "solve_seconds", "n_points", "t_first", "t_last", "dense_segments",
};
#define INFO_CSV_FIXED (sizeof info_csv_fixed / sizeof info_csv_fixed[0])

static int info_csv(ivp_h5file **files, size_t n_files, int members)
{
    const char **pnames = NULL, **enames = NULL;
    char **ecols = NULL;
    size_t np = 0, pcap = 0, ne = 0, ecap = 0, i, j, k, c;
    const char **cols = NULL;
    tools_params *ps = NULL;
    tools_table tt;
    int rc = 0;

    /* the union of parameter and event names, in order of first appearance; single runs
     * parameters are read once into ps[i] (the names point into them) */
    ps = calloc(n_files, sizeof *ps);
    if (ps == NULL) {
        rc = -1;
    }
    for (i = 0; i < n_files && rc == 0; i++) {
        const ivp_h5info *in = ivp_h5file_info(files[i]);
        if (in->ensemble) {
            for (j = 0; j < in->n_params && rc == 0; j++) {
                rc = info_union_add(&pnames, &np, &pcap, in->param_names[j]);
            }
        } else if (tools_params_get(files[i], 0, &ps[i]) == 0) {
            for (j = 0; j < ps[i].n && rc == 0; j++) {
                rc = info_union_add(&pnames, &np, &pcap, ps[i].names[j]);
            }
        }
        for (j = 0; j < in->n_events && rc == 0; j++) {
            rc = info_union_add(&enames, &ne, &ecap, in->events[j].name);
        }
    }
    if (rc != 0) {
        cli_error("out of memory");
        goto done;
    }
    cols = malloc((INFO_CSV_FIXED + np + ne) * sizeof *cols);
    ecols = calloc(ne > 0 ? ne : 1, sizeof *ecols);
    if (cols == NULL || ecols == NULL) {
        cli_error("out of memory");
        rc = -1;
        goto done;
    }
    for (c = 0; c < INFO_CSV_FIXED; c++) {
        cols[c] = info_csv_fixed[c];
    }
    for (j = 0; j < np; j++) {
        cols[c++] = pnames[j];
    }
    for (j = 0; j < ne; j++) {
        size_t len = strlen(enames[j]) + 8;
        char *s = malloc(len);
        if (s == NULL) {
            cli_error("out of memory");
            rc = -1;
            goto done;
        }
        snprintf(s, len, "events:%s", enames[j]);
        ecols[j] = s;
        cols[c++] = s;
    }
    tools_table_begin(&tt, stdout, TOOLS_CSV, cols, c);
    for (i = 0; i < n_files; i++) {
        const ivp_h5info *in = ivp_h5file_info(files[i]);
        size_t kn = in->ensemble && members ? in->n_members : 1;
        for (k = 0; k < kn; k++) {
            ivp_h5run r;
            ivp_error err;
            tools_params p;
            double t0 = (double)NAN, t1 = (double)NAN;
            int whole = !(in->ensemble && members);
            if (whole) {
                r = in->run;
            } else if (ivp_h5file_member(files[i], k, &r, NULL, NULL, NULL, &err) != IVP_OK) {
                continue;
            }
            tools_table_str(&tt, in->path);
            if (whole) {
                tools_table_str(&tt, "");
            } else {
                tools_table_int(&tt, (long long)k);
            }
            tools_table_str(&tt, in->format);
            tools_table_str(&tt, in->method);
            tools_table_num(&tt, in->rtol);
            tools_table_int(&tt, r.status);
            tools_table_str(&tt, whole && in->ensemble ? "" : r.message);
            tools_table_int(&tt, r.status >= 0);
            for (j = 0; j < 5; j++) {
                tools_table_int(&tt, (long long)info_counter(&r, j));
            }
            tools_table_num(&tt, r.solve_seconds);
            tools_table_int(&tt, (long long)r.n_points);
            if (!in->ensemble || !whole) {
                info_t_range(files[i], in->ensemble ? k : 0, r.n_points, &t0, &t1);
            }
            if (isnan(t0)) {
                tools_table_str(&tt, "");
                tools_table_str(&tt, "");
            } else {
                tools_table_num(&tt, t0);
                tools_table_num(&tt, t1);
            }
            tools_table_int(&tt, (long long)r.n_segments);
            memset(&p, 0, sizeof p);
            if (!in->ensemble) {
                p = ps[i];
            } else if (!whole) {
                tools_params_get(files[i], k, &p);
            }
            for (j = 0; j < np; j++) {
                size_t q;
                for (q = 0; q < p.n && strcmp(p.names[q], pnames[j]) != 0; q++) {
                }
                if (q < p.n) {
                    tools_table_num(&tt, p.values[q]);
                } else {
                    tools_table_str(&tt, "");
                }
            }
            if (in->ensemble) {
                tools_params_free(&p);
            }
            for (j = 0; j < ne; j++) {
                size_t q;
                for (q = 0; q < in->n_events && strcmp(in->events[q].name, enames[j]) != 0; q++) {
                }
                if (q >= in->n_events) {
                    tools_table_str(&tt, "");
                } else if (whole) {
                    tools_table_int(&tt, (long long)in->events[q].count);
                } else {
                    /* this member's occurrences */
                    size_t cnt = 0, o, m;
                    double te;
                    for (o = 0; o < in->events[q].count; o++) {
                        if (ivp_h5file_event(files[i], q, o, &te, NULL, &m, &err) == IVP_OK &&
                            m == k) {
                            cnt++;
                        }
                    }
                    tools_table_int(&tt, (long long)cnt);
                }
            }
            tools_table_end_row(&tt);
        }
    }
done:
    if (ecols != NULL) {
        for (j = 0; j < ne; j++) {
            free(ecols[j]);
        }
    }
    free(ecols);
    free(cols);
    if (ps != NULL) {
        for (i = 0; i < n_files; i++) {
            tools_params_free(&ps[i]);
        }
    }
    free((void *)pnames);
    free((void *)enames);
    free(ps);
    return rc;
}

int cmd_info(int argc, char **argv, const cli_command *self)
{
    tools_args a;
    ivp_h5file *files[TOOLS_MAX_POSITIONAL];
    size_t i, n = 0;
    int code, json, csv, members;

    code = tools_parse(argc, argv, info_options, self, &a);
    if (code != IVP_EXIT_OK || a.help) {
        if (a.help) {
            cli_usage(stdout, self);
        }
        return code;
    }
    if (a.n_positional == 0) {
        return cli_usage_error(self, "no file given");
    }
    json = a.values[INFO_JSON] != NULL;
    csv = a.values[INFO_CSV] != NULL;
    members = a.values[INFO_MEMBERS] != NULL;
    if (json && csv) {
        return cli_usage_error(self, "--json and --csv exclude each other");
    }
    /* every file is opened (and checked) before anything is printed */
    for (i = 0; i < a.n_positional; i++) {
        code = tools_open(a.positional[i], &files[n]);
        if (code != IVP_EXIT_OK) {
            goto done;
        }
        n++;
    }
    if (csv) {
        if (info_csv(files, n, members) != 0) {
            code = IVP_EXIT_SOLVER;
        }
    } else if (json) {
        if (n > 1) {
            printf("[");
        }
        for (i = 0; i < n; i++) {
            printf("%s", i > 0 ? ",\n" : "");
            info_json(files[i], members);
        }
        printf("%s\n", n > 1 ? "]" : "");
    } else {
        for (i = 0; i < n; i++) {
            if (i > 0) {
                printf("\n");
            }
            info_text(files[i], members);
        }
    }
    if (fflush(stdout) != 0) {
        cli_error("writing to standard output failed");
        code = IVP_EXIT_SOLVER;
    }
done:
    for (i = 0; i < n; i++) {
        ivp_h5file_close(files[i]);
    }
    return code;
}
