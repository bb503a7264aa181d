/* SPDX-License-Identifier: MIT
 * cli/tools.c - shared by the result tools: options, tables, output files (cli/tools.h).
 */
#include "tools.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* ---- options ----------------------------------------------------------------------------- */

int tools_parse(int argc, char **argv, const tools_option *opts, const cli_command *cmd,
                tools_args *a)
{
    int i, only_positional = 0;
    memset(a, 0, sizeof *a);
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        size_t j, len;
        const tools_option *o = NULL;
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (a->n_positional == TOOLS_MAX_POSITIONAL) {
                return cli_usage_error(cmd, "too many arguments (at most %d files)",
                                       TOOLS_MAX_POSITIONAL);
            }
            a->positional[a->n_positional++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            a->help = 1;
            return IVP_EXIT_OK;
        }
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            len = eq != NULL ? (size_t)(eq - name) : strlen(name);
            for (j = 0; opts[j].name != NULL; j++) {
                if (strlen(opts[j].name) == len && strncmp(opts[j].name, name, len) == 0) {
                    o = &opts[j];
                    break;
                }
            }
            if (o == NULL) {
                return cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
            }
            if (eq != NULL) {
                if (!o->takes_value) {
                    return cli_usage_error(cmd, "option '--%s' takes no value", o->name);
                }
                value = eq + 1;
            }
        } else {
            for (j = 0; opts[j].name != NULL; j++) {
                if (opts[j].letter != 0 && opts[j].letter == arg[1]) {
                    o = &opts[j];
                    break;
                }
            }
            if (o == NULL) {
                return cli_usage_error(cmd, "unknown option '%s'", arg);
            }
            if (arg[2] != '\0') {
                if (!o->takes_value) {
                    return cli_usage_error(cmd, "unknown option '%s'", arg);
                }
                value = arg + 2;
            }
        }
        j = (size_t)(o - opts);
        if (a->values[j] != NULL) {
            return cli_usage_error(cmd, "option '--%s' given twice", o->name);
        }
        if (o->takes_value && value == NULL) {
            if (i + 1 >= argc) {
                return cli_usage_error(cmd, "option '--%s' needs a value", o->name);
            }
            value = argv[++i];
        }
        a->values[j] = o->takes_value ? value : "";
    }
    return IVP_EXIT_OK;
}

int tools_parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > SIZE_MAX) {
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int tools_parse_double(const char *s, double *out)
{
    char *end;
    double v;
    if (s == NULL || *s == '\0') {
        return -1;
    }
    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v)) {
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- tables ------------------------------------------------------------------------------ */

int tools_parse_format(const char *s, tools_format *out)
{
    if (s == NULL || strcmp(s, "csv") == 0) {
        *out = TOOLS_CSV;
    } else if (strcmp(s, "tsv") == 0) {
        *out = TOOLS_TSV;
    } else if (strcmp(s, "ndjson") == 0 || strcmp(s, "jsonl") == 0) {
        *out = TOOLS_NDJSON;
    } else {
        return -1;
    }
    return 0;
}

void tools_json_str(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20) {
                fprintf(out, "\\u%04x", *p);
            } else {
                fputc(*p, out);
            }
        }
    }
    fputc('"', out);
}

char *tools_g(char *buf, double v)
{
    int prec, digits = v != 0.0 && isfinite(v) ? (int)floor(log10(fabs(v))) + 1 : 1;
    for (prec = 1; prec < 17; prec++) {
        /* no exponent for numbers up to 17 integer digits: 200, not 2e+02 */
        int p = digits > prec && digits <= 17 ? digits : prec;
        snprintf(buf, 32, "%.*g", p, v);
        if (strtod(buf, NULL) == v) {
            return buf;
        }
    }
    snprintf(buf, 32, "%.17g", v);
    return buf;
}

void tools_json_num(FILE *out, double v)
{
    if (isfinite(v)) {
        fprintf(out, "%.17g", v);
    } else {
        fputs("null", out);
    }
}

/* A CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge spaces. */
static void tools_csv_str(FILE *out, const char *s)
{
    size_t len = strlen(s);
    int quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
    const char *p;
    for (p = s; *p != '\0' && !quote; p++) {
        quote = *p == ',' || *p == '"' || *p == '\n' || *p == '\r';
    }
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (p = s; *p != '\0'; p++) {
        if (*p == '"') {
            fputc('"', out);
        }
        fputc(*p, out);
    }
    fputc('"', out);
}

/* A TSV field: tabs and line breaks would break the row; they become spaces. */
static void tools_tsv_str(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, out);
    }
}

static void tools_table_sep(tools_table *tt)
{
    if (tt->format == TOOLS_NDJSON) {
        fputs(tt->col == 0 ? "{" : ",", tt->out);
        tools_json_str(tt->out, tt->col < tt->n_cols ? tt->cols[tt->col] : "?");
        fputc(':', tt->out);
    } else if (tt->col > 0) {
        fputc(tt->format == TOOLS_CSV ? ',' : '\t', tt->out);
    }
    tt->col++;
}

void tools_table_begin(tools_table *tt, FILE *out, tools_format format, const char *const *cols,
                       size_t n_cols)
{
    size_t i;
    tt->out = out;
    tt->format = format;
    tt->cols = cols;
    tt->n_cols = n_cols;
    tt->col = 0;
    if (format == TOOLS_NDJSON) {
        return;
    }
    for (i = 0; i < n_cols; i++) {
        if (i > 0) {
            fputc(format == TOOLS_CSV ? ',' : '\t', out);
        }
        if (format == TOOLS_CSV) {
            tools_csv_str(out, cols[i]);
        } else {
            tools_tsv_str(out, cols[i]);
        }
    }
    fputc('\n', out);
}

void tools_table_str(tools_table *tt, const char *s)
{
    tools_table_sep(tt);
    if (tt->format == TOOLS_NDJSON) {
        tools_json_str(tt->out, s);
    } else if (tt->format == TOOLS_CSV) {
        tools_csv_str(tt->out, s);
    } else {
        tools_tsv_str(tt->out, s);
    }
}

void tools_table_num(tools_table *tt, double v)
{
    tools_table_sep(tt);
    if (tt->format == TOOLS_NDJSON) {
        tools_json_num(tt->out, v);
    } else if (isnan(v)) {
        fputs("NaN", tt->out);
    } else if (isinf(v)) {
        fputs(v > 0 ? "Inf" : "-Inf", tt->out);
    } else {
        fprintf(tt->out, "%.17g", v);
    }
}

void tools_table_int(tools_table *tt, long long v)
{
    tools_table_sep(tt);
    fprintf(tt->out, "%lld", v);
}

void tools_table_end_row(tools_table *tt)
{
    fputs(tt->format == TOOLS_NDJSON ? "}\n" : "\n", tt->out);
    tt->col = 0;
}

/* ---- output ------------------------------------------------------------------------------ */

int tools_out_open(tools_out *o, const char *path)
{
    ivp_error err;
    memset(o, 0, sizeof *o);
    if (path == NULL) {
        o->fp = stdout;
        return IVP_EXIT_OK;
    }
    ivp_error_clear(&err);
    if (ivp_outfile_create(&o->file, path, &err) != IVP_OK) {
        cli_error("%s", err.msg);
        return IVP_EXIT_USAGE;
    }
    o->to_file = 1;
    o->fp = fopen(o->file.temp, "w");
    if (o->fp == NULL) {
        cli_error("%s: %s", o->file.temp, strerror(errno));
        ivp_outfile_discard(&o->file);
        o->to_file = 0;
        return IVP_EXIT_USAGE;
    }
    return IVP_EXIT_OK;
}

int tools_out_close(tools_out *o, int ok)
{
    ivp_error err;
    int bad;
    if (!o->to_file) {
        if (o->fp != NULL && fflush(o->fp) != 0 && ok) {
            cli_error("writing to standard output: %s", strerror(errno));
            return IVP_EXIT_SOLVER;
        }
        return ok ? IVP_EXIT_OK : IVP_EXIT_USAGE;
    }
    bad = ferror(o->fp) != 0;
    bad |= fclose(o->fp) != 0;
    o->fp = NULL;
    if (!ok || bad) {
        if (ok) {
            cli_error("%s: write failed: %s", o->file.path, strerror(errno));
        }
        ivp_outfile_discard(&o->file);
        return ok ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
    }
    ivp_error_clear(&err);
    if (ivp_outfile_commit(&o->file, &err) != IVP_OK) {
        cli_error("%s", err.msg);
        ivp_outfile_discard(&o->file);
        return IVP_EXIT_SOLVER;
    }
    ivp_outfile_discard(&o->file);
    return IVP_EXIT_OK;
}

int tools_open(const char *path, ivp_h5file **f)
{
    ivp_error err;
    ivp_error_clear(&err);
    if (ivp_h5file_open(path, f, &err) != IVP_OK) {
        cli_error("%s", err.msg);
        return err.status == IVP_ERR_NOMEM ? IVP_EXIT_SOLVER : IVP_EXIT_USAGE;
    }
    return IVP_EXIT_OK;
}

int tools_member(const cli_command *cmd, const ivp_h5file *f, const char *value, size_t *k)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    *k = SIZE_MAX;
    if (value == NULL) {
        return IVP_EXIT_OK;
    }
    if (tools_parse_size(value, k) != 0) {
        return cli_usage_error(cmd, "--member expects a member number (0, 1, ...), got '%s'",
                               value);
    }
    if (*k >= in->n_members) {
        cli_error("%s: member %zu is out of range: the file has %zu member%s (0..%zu)", in->path,
                  *k, in->n_members, in->n_members == 1 ? "" : "s",
                  in->n_members > 0 ? in->n_members - 1 : 0);
        return IVP_EXIT_USAGE;
    }
    return IVP_EXIT_OK;
}

static char *tools_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = malloc(len);
    if (d != NULL) {
        memcpy(d, s, len);
    }
    return d;
}

int tools_params_get(ivp_h5file *f, size_t k, tools_params *p)
{
    const ivp_h5info *in = ivp_h5file_info(f);
    const double *vals = NULL;
    ivp_h5run run;
    ivp_error err;
    size_t i;
    memset(p, 0, sizeof *p);
    if (ivp_h5file_member(f, k, &run, &vals, NULL, NULL, &err) != IVP_OK) {
        return -1;
    }
    if (in->n_params > 0 && vals != NULL) {
        p->names = calloc(in->n_params, sizeof *p->names);
        p->values = malloc(in->n_params * sizeof *p->values);
        if (p->names == NULL || p->values == NULL) {
            tools_params_free(p);
            return -1;
        }
        p->n = in->n_params;
        for (i = 0; i < in->n_params; i++) {
            p->names[i] = tools_strdup(in->param_names[i]);
            p->values[i] = vals[i];
            if (p->names[i] == NULL) {
                tools_params_free(p);
                return -1;
            }
        }
        return 0;
    }
    if (!in->ensemble && in->problem != NULL && in->problem[0] != '\0') {
        /* format 1: the resolved spec's "params" object */
        cJSON *root = cJSON_Parse(in->problem), *params, *it;
        size_t count = 0;
        params = root != NULL ? cJSON_GetObjectItemCaseSensitive(root, "params") : NULL;
        if (cJSON_IsObject(params)) {
            cJSON_ArrayForEach(it, params)
            {
                count += cJSON_IsNumber(it) ? 1 : 0;
            }
        }
        if (count > 0) {
            p->names = calloc(count, sizeof *p->names);
            p->values = malloc(count * sizeof *p->values);
            if (p->names == NULL || p->values == NULL) {
                cJSON_Delete(root);
                tools_params_free(p);
                return -1;
            }
            cJSON_ArrayForEach(it, params)
            {
                if (cJSON_IsNumber(it) && it->string != NULL) {
                    p->names[p->n] = tools_strdup(it->string);
                    p->values[p->n] = it->valuedouble;
                    if (p->names[p->n] == NULL) {
                        cJSON_Delete(root);
                        tools_params_free(p);
                        return -1;
                    }
                    p->n++;
                }
            }
        }
        cJSON_Delete(root);
    }
    return 0;
}

void tools_params_free(tools_params *p)
{
    size_t i;
    if (p->names != NULL) {
        for (i = 0; i < p->n; i++) {
            free(p->names[i]);
        }
    }
    free(p->names);
    free(p->values);
    memset(p, 0, sizeof *p);
}
