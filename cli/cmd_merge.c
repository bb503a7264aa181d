/* SPDX-License-Identifier: MIT
 * cli/cmd_merge.c - `ivp merge SHARDS... -o OUT`: joins the shard files of one ensemble
 * (`ivp run --shard I/N`) into the file a single run would have written (contracts.md
 * section 5), member by member in member order: memory is bounded by the largest member.
 *
 * The shards must be a complete set: every one with the same problem, plugin_sha256, number of
 * shards N, ensemble size and events (in the same plugin order, with the same direction and
 * terminal, where the shard records it), each block 0..N-1 exactly once. Anything else is
 * refused (exit 2) with the missing blocks or the differing attribute named, before the output
 * is created. The output has the plugin's event order when a shard records it; shards written
 * before ivp recorded it (events by name only) join by name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/h5ensemble.h"
#include "ivp/writer.h"

#include "cli.h"

/* What the checks need of one shard (read at open, the file closed again: a set of many
 * shards keeps one open at a time). */
typedef struct merge_shard {
    const char *path;
    size_t i, n; /* shard "I/N" */
    size_t first, count, total;
    char *problem, *sha256;
    size_t n_failed, n_interrupted;
    /* the events in the reader's order (the plugin's when order_known, else by name) */
    size_t n_events;
    char **events;
    ivp_event_opts *opts; /* n_events when order_known, else NULL */
    int order_known;
} merge_shard;

static char *merge_dup(const char *s)
{
    size_t len = strlen(s);
    char *d = malloc(len + 1);
    if (d != NULL) {
        memcpy(d, s, len + 1);
    }
    return d;
}

/* Reads shard path's attributes into *s. Returns IVP_EXIT_OK or an exit code (printed). */
static int merge_probe(const char *path, merge_shard *s)
{
    ivp_h5ens_reader *r = NULL;
    const ivp_h5ens_info *in;
    ivp_error err;
    ivp_status st;
    char why[256];
    size_t k;
    int code = IVP_EXIT_OK;

    ivp_error_clear(&err);
    s->path = path;
    st = ivp_h5ens_read_open(path, &r, &err);
    if (st != IVP_OK) {
        cli_error("%s", err.msg);
        return st == IVP_ERR_NOMEM ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
    }
    in = ivp_h5ens_read_info(r);
    if (in->shard == NULL) {
        cli_error("%s is not a shard file (no 'shard' attribute): it holds a whole ensemble", path);
        code = IVP_EXIT_USAGE;
        goto done;
    }
    if (cli_shard_parse(in->shard, &s->i, &s->n, why, sizeof why) != 0 ||
        strcmp(in->shard, "auto") == 0) {
        cli_error("%s: its 'shard' attribute '%s' is not I/N", path, in->shard);
        code = IVP_EXIT_USAGE;
        goto done;
    }
    s->first = in->first;
    s->count = in->n_members;
    s->total = in->ensemble_members;
    s->problem = merge_dup(in->problem);
    s->sha256 = merge_dup(in->plugin_sha256);
    if (s->problem == NULL || s->sha256 == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    for (k = 0; k < in->n_members; k++) {
        s->n_failed += in->status[k] == -1;
        s->n_interrupted += in->status[k] == -2;
    }
    s->n_events = in->n_events;
    s->order_known = in->event_order_known;
    s->events = calloc(in->n_events > 0 ? in->n_events : 1, sizeof *s->events);
    if (s->events == NULL) {
        cli_error("out of memory");
        code = IVP_EXIT_SOLVER;
        goto done;
    }
    for (k = 0; k < in->n_events; k++) {
        if ((s->events[k] = merge_dup(in->event_names[k])) == NULL) {
            cli_error("out of memory");
            code = IVP_EXIT_SOLVER;
            goto done;
        }
    }
    if (in->event_opts != NULL) {
        s->opts = calloc(in->n_events > 0 ? in->n_events : 1, sizeof *s->opts);
        if (s->opts == NULL) {
            cli_error("out of memory");
            code = IVP_EXIT_SOLVER;
            goto done;
        }
        memcpy(s->opts, in->event_opts, in->n_events * sizeof *s->opts);
    }
done:
    ivp_h5ens_read_close(r);
    return code;
}

static void merge_free(merge_shard *s)
{
    size_t k;
    free(s->problem);
    free(s->sha256);
    if (s->events != NULL) {
        for (k = 0; k < s->n_events; k++) {
            free(s->events[k]);
        }
    }
    free(s->events);
    free(s->opts);
}

/* The shard whose events the output takes: the first that records the plugin's order (else
 * the first: all by name). */
static const merge_shard *merge_event_ref(const merge_shard *s, size_t count)
{
    size_t k;
    for (k = 0; k < count; k++) {
        if (s[k].order_known) {
            return &s[k];
        }
    }
    return &s[0];
}

/* Whether shard b's events are ref's: the same names (0 when not); when both record the
 * plugin's order, also in the same order with the same direction and terminal (-1 when
 * not). 1 when they agree. */
static int merge_same_events(const merge_shard *ref, const merge_shard *b)
{
    size_t k, j;
    if (ref->n_events != b->n_events) {
        return 0;
    }
    for (k = 0; k < b->n_events; k++) {
        for (j = 0; j < ref->n_events && strcmp(b->events[k], ref->events[j]) != 0; j++) {
        }
        if (j == ref->n_events) {
            return 0;
        }
    }
    if (ref->order_known && b->order_known) {
        for (k = 0; k < b->n_events; k++) {
            if (strcmp(b->events[k], ref->events[k]) != 0 ||
                b->opts[k].direction != ref->opts[k].direction ||
                b->opts[k].terminal != ref->opts[k].terminal) {
                return -1;
            }
        }
    }
    return 1;
}

/* Checks that the shards are one complete set; sorts them by block. */
static int merge_check(merge_shard *s, size_t count)
{
    const merge_shard *a = &s[0], *ref = merge_event_ref(s, count);
    size_t k, j, N = a->n, missing = 0;
    for (k = 1; k < count; k++) {
        const char *what = NULL;
        if (strcmp(s[k].problem, a->problem) != 0) {
            what = "the problem (attribute 'problem': another spec or other --set overrides)";
        } else if (strcmp(s[k].sha256, a->sha256) != 0) {
            what = "the plugin (attribute 'plugin_sha256')";
        } else if (s[k].n != N) {
            what = "the number of shards";
        } else if (s[k].total != a->total) {
            what = "the number of members of the ensemble";
        }
        if (what != NULL) {
            cli_error("%s and %s are not shards of the same run: %s differs", a->path, s[k].path,
                      what);
            return IVP_EXIT_USAGE;
        }
    }
    for (k = 0; k < count; k++) {
        int ev = merge_same_events(ref, &s[k]);
        if (ev != 1) {
            cli_error("%s and %s are not shards of the same run: %s", ref->path, s[k].path,
                      ev == 0 ? "the events (their names) differ"
                              : "the order of the events (or their direction or terminal) "
                                "differs");
            return IVP_EXIT_USAGE;
        }
    }
    /* sort by block (insertion sort: the shards are few) */
    for (k = 1; k < count; k++) {
        merge_shard t = s[k];
        for (j = k; j > 0 && s[j - 1].i > t.i; j--) {
            s[j] = s[j - 1];
        }
        s[j] = t;
    }
    for (k = 1; k < count; k++) {
        if (s[k].i == s[k - 1].i) {
            cli_error("shard %zu/%zu is given twice: %s and %s", s[k].i, N, s[k - 1].path,
                      s[k].path);
            return IVP_EXIT_USAGE;
        }
    }
    if (count != N) {
        char list[512] = "";
        size_t len = 0, shown = 0;
        j = 0;
        for (k = 0; k < N; k++) {
            if (j < count && s[j].i == k) {
                j++;
                continue;
            }
            missing++;
            if (shown < 20 && len + 32 < sizeof list) {
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%zu/%zu",
                                        shown > 0 ? ", " : "", k, N);
                shown++;
            }
        }
        cli_error("%zu of the %zu shards %s missing: %s%s", missing, N, missing == 1 ? "is" : "are",
                  list, missing > shown ? ", ..." : "");
        return IVP_EXIT_USAGE;
    }
    for (k = 0; k < count; k++) {
        size_t lo = s[k].total / N * k + s[k].total % N * k / N;
        size_t hi = s[k].total / N * (k + 1) + s[k].total % N * (k + 1) / N;
        if (s[k].first != lo || s[k].count != hi - lo) {
            cli_error("%s: shard %zu/%zu holds members %zu-%zu, not the block %zu-%zu of %zu",
                      s[k].path, k, N, s[k].first, s[k].first + s[k].count - 1, lo, hi - 1,
                      s[k].total);
            return IVP_EXIT_USAGE;
        }
    }
    return IVP_EXIT_OK;
}

/* Streams the sorted shards into the output. Returns the exit code. */
static int merge_write(const merge_shard *s, size_t count, const char *out, ivp_error *err)
{
    ivp_h5ens_reader *r = NULL;
    ivp_h5ens_reader *r0 = NULL; /* the first shard: the writer's config borrows its names */
    ivp_h5ens *w = NULL;
    ivp_h5ens_config hc;
    ivp_h5ens_meta meta;
    const ivp_h5ens_info *in;
    const merge_shard *ref = merge_event_ref(s, count); /* the events' order */
    size_t k, m;
    ivp_status st;

    for (k = 0; k < count; k++) {
        st = ivp_h5ens_read_open(s[k].path, &r, err);
        if (st == IVP_OK) {
            /* number the shard's events as the output's (by name: checked to match) */
            st = ivp_h5ens_read_order_events(r, (const char *const *)ref->events, ref->n_events,
                                             err);
        }
        if (st != IVP_OK) {
            goto fail;
        }
        in = ivp_h5ens_read_info(r);
        if (w == NULL) {
            memset(&hc, 0, sizeof hc);
            hc.path = out;
            hc.n_members = in->ensemble_members;
            hc.n = in->n;
            hc.np = in->np;
            hc.param_names = in->param_names;
            hc.n_events = ref->n_events;
            hc.event_names = (const char *const *)ref->events;
            hc.event_order_known = ref->order_known;
            hc.event_opts = ref->opts;
            hc.dense = in->dense;
            hc.dense_degree = in->dense_degree;
            hc.t_eval = in->t_eval;
            hc.n_t_eval = in->n_t_eval;
            hc.n_stats = in->n_stats;
            hc.stat_names = in->stat_names;
            st = ivp_h5ens_open(&hc, &w, err);
            if (st != IVP_OK) {
                w = NULL;
                ivp_h5ens_read_close(r);
                return st == IVP_ERR_NOMEM ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
            }
            r0 = r; /* kept open until the writer is done with hc */
        }
        for (m = 0; m < in->n_members; m++) {
            ivp_ensemble_out mo;
            const char *ov;
            st = ivp_h5ens_read_member(r, m, &mo, &ov, err);
            if (st == IVP_OK) {
                st = ivp_h5ens_write(w, &mo, ov, err);
            }
            if (st != IVP_OK) {
                goto fail;
            }
        }
        if (k + 1 < count) {
            if (r != r0) {
                ivp_h5ens_read_close(r);
            }
            r = NULL;
        }
    }
    /* the last shard's attributes are every shard's (checked) */
    in = ivp_h5ens_read_info(r);
    memset(&meta, 0, sizeof meta);
    meta.method = in->method;
    meta.rtol = in->rtol;
    meta.atol = in->atol;
    meta.atol_vec = in->atol_vec;
    meta.problem = in->problem;
    meta.plugin_sha256 = in->plugin_sha256;
    st = ivp_h5ens_finish(w, &meta, err);
    w = NULL;
    if (r != r0) {
        ivp_h5ens_read_close(r);
    }
    ivp_h5ens_read_close(r0);
    return st == IVP_OK ? IVP_EXIT_OK : IVP_EXIT_SOLVER;
fail:
    ivp_h5ens_discard(w);
    if (r != r0) {
        ivp_h5ens_read_close(r);
    }
    ivp_h5ens_read_close(r0);
    return st == IVP_ERR_SPEC ? IVP_EXIT_USAGE : IVP_EXIT_SOLVER;
}

int cmd_merge(int argc, char **argv, const cli_command *self)
{
    merge_shard *shards = NULL;
    const char *out = NULL;
    size_t count = 0, k, n_failed = 0, n_interrupted = 0;
    int i, quiet = 0, code = IVP_EXIT_OK, only_positional = 0;
    ivp_error err;

    shards = calloc((size_t)argc, sizeof *shards);
    if (shards == NULL) {
        cli_error("out of memory");
        return IVP_EXIT_SOLVER;
    }
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = 1;
        } else if (!only_positional && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
            cli_usage(stdout, self);
            goto done;
        } else if (!only_positional && (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0)) {
            quiet = 1;
        } else if (!only_positional && (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0)) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                code = cli_usage_error(self, "option '%s' needs a file name", arg);
                goto done;
            }
            out = argv[++i];
        } else if (!only_positional && strncmp(arg, "--output=", 9) == 0 && arg[9] != '\0') {
            out = arg + 9;
        } else if (!only_positional && strncmp(arg, "-o", 2) == 0 && arg[2] != '\0') {
            out = arg + 2;
        } else if (!only_positional && arg[0] == '-') {
            code = cli_usage_error(self, "unknown option '%s'", arg);
            goto done;
        } else {
            shards[count++].path = arg;
        }
    }
    if (count == 0) {
        code = cli_usage_error(self, "no shard files given");
        goto done;
    }
    if (out == NULL) {
        code = cli_usage_error(self, "the output is required: -o OUT.h5");
        goto done;
    }
    if (strcmp(out, "-") == 0) {
        code = cli_usage_error(self, "'-' (standard output) cannot be an output: give a file "
                                     "name");
        goto done;
    }
    for (k = 0; k < count; k++) {
        if (strcmp(shards[k].path, out) == 0) {
            code = cli_usage_error(self, "the output %s is one of the shards", out);
            goto done;
        }
    }
    ivp_error_clear(&err);
    if (ivp_outfile_check(out, &err) != IVP_OK) {
        cli_error("%s", err.msg);
        code = IVP_EXIT_USAGE;
        goto done;
    }
    for (k = 0; k < count; k++) {
        code = merge_probe(shards[k].path, &shards[k]);
        if (code != IVP_EXIT_OK) {
            goto done;
        }
        n_failed += shards[k].n_failed;
        n_interrupted += shards[k].n_interrupted;
    }
    code = merge_check(shards, count);
    if (code != IVP_EXIT_OK) {
        goto done;
    }
    code = merge_write(shards, count, out, &err);
    if (code != IVP_EXIT_OK) {
        cli_error("%s", err.msg[0] != '\0' ? err.msg : "the merge failed");
        goto done;
    }
    if (!quiet) {
        fprintf(stderr, "ivp: merged %zu shards, %zu members (%zu failed, %zu interrupted) -> %s\n",
                count, shards[0].total, n_failed, n_interrupted, out);
    }
done:
    if (shards != NULL) {
        for (k = 0; k < count; k++) {
            merge_free(&shards[k]);
        }
    }
    free(shards);
    return code;
}
