/* SPDX-License-Identifier: MIT
 * cli/tools.h - shared by the result tools (`ivp info`, `eval`, `export`, `compare`, `plot`):
 * their option parser, table output (CSV, TSV, NDJSON) and output files.
 */
#ifndef IVP_CLI_TOOLS_H
#define IVP_CLI_TOOLS_H

#include <stddef.h>
#include <stdio.h>

#include "ivp/h5read.h"
#include "ivp/writer.h"

#include "cli.h"

/* ---- options ----------------------------------------------------------------------------- */

/* One option of a result tool: long name, short letter (0 none), takes a value. */
typedef struct tools_option {
    const char *name;
    char letter;
    int takes_value;
} tools_option;

#define TOOLS_MAX_POSITIONAL 64

/* The parsed command line: values[i] is the value of opts[i] (or "" for a flag given, NULL when
 * absent); positionals in order. */
typedef struct tools_args {
    const char *values[32];
    const char *positional[TOOLS_MAX_POSITIONAL];
    size_t n_positional;
    int help;
} tools_args;

/* Parses argv[1..] against opts (NULL-terminated; -h/--help always allowed). Options may come
 * anywhere; "--" ends them; "--name=value" and "--name value" both work; an option given twice
 * is an error. IVP_EXIT_OK or a usage error (printed). */
int tools_parse(int argc, char **argv, const tools_option *opts, const cli_command *cmd,
                tools_args *a);

/* A non-negative integer (the whole string); -1 on a malformed value. */
int tools_parse_size(const char *s, size_t *out);

/* A finite double (the whole string); -1 otherwise. */
int tools_parse_double(const char *s, double *out);

/* ---- tables ------------------------------------------------------------------------------ */

typedef enum tools_format { TOOLS_CSV, TOOLS_TSV, TOOLS_NDJSON } tools_format;

/* "csv", "tsv", "ndjson" (NULL: csv); -1 otherwise. */
int tools_parse_format(const char *s, tools_format *out);

typedef struct tools_table {
    FILE *out;
    tools_format format;
    const char *const *cols; /* column names (for the header and NDJSON keys) */
    size_t n_cols;
    size_t col; /* next column of the current row */
} tools_table;

/* Starts a table: the header row for CSV/TSV. */
void tools_table_begin(tools_table *tt, FILE *out, tools_format format, const char *const *cols,
                       size_t n_cols);
void tools_table_str(tools_table *tt, const char *s);
void tools_table_num(tools_table *tt, double v); /* %.17g; NaN, Inf, -Inf (null in JSON) */
void tools_table_int(tools_table *tt, long long v);
void tools_table_end_row(tools_table *tt);

/* v with the fewest significant digits (up to 17) that read back as v, for text meant for
 * people; buf holds at least 32 bytes. Returns buf. */
char *tools_g(char *buf, double v);

/* Writes s as a JSON string (quoted, escaped). */
void tools_json_str(FILE *out, const char *s);
/* Writes v as a JSON number (%.17g) or null when not finite. */
void tools_json_num(FILE *out, double v);

/* ---- output ------------------------------------------------------------------------------ */

/* Standard output, or a temporary file that becomes 'path' at tools_out_close. */
typedef struct tools_out {
    FILE *fp;
    ivp_outfile file;
    int to_file;
} tools_out;

/* Opens the output; on failure prints the error and returns IVP_EXIT_USAGE. */
int tools_out_open(tools_out *o, const char *path);
/* ok: flush and commit (a write error is reported: exit 1); else discard. Returns the exit
 * code (0 when ok and written). */
int tools_out_close(tools_out *o, int ok);

/* Opens a result file, printing the error on failure (exit 2). */
int tools_open(const char *path, ivp_h5file **f);

/* The --member option: NULL leaves *k = SIZE_MAX (all members); checks the range. */
int tools_member(const cli_command *cmd, const ivp_h5file *f, const char *value, size_t *k);

/* The parameter names and values of member k: from the file (/params or /members/params), or
 * for format 1 single runs from the problem JSON's "params" (numbers only). Arrays owned by
 * the caller (tools_params_free). */
typedef struct tools_params {
    size_t n;
    char **names;
    double *values;
} tools_params;
int tools_params_get(ivp_h5file *f, size_t k, tools_params *p);
void tools_params_free(tools_params *p);

#endif /* IVP_CLI_TOOLS_H */
