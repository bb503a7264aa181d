/* SPDX-License-Identifier: MIT
 * tests/spec/spec_check.c - checks one spec with ivp_problem_load and nothing else (no plugin
 * is loaded), for the schema agreement test.
 *
 *   spec_check [--set KEY=VALUE]... [--print WHAT]... FILE
 *
 * Prints "ok" and exits 0 if the spec is accepted; prints the error to stderr and exits 2 if
 * not; exits 1 on bad usage. --print plugin|t_eval|resolved|method prints that field after "ok"
 * (t_eval one value per line, %.17g), so tests can compare it with numpy; --print peak prints
 * the process's peak resident size in KiB (VmHWM of /proc/self/status, which execve resets;
 * -1 where there is none) after the problem is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/problem.h"

#define SPEC_CHECK_MAX_ARGS 64

static int spec_check_usage(void)
{
    fputs("usage: spec_check [--set KEY=VALUE]... [--print plugin|t_eval|resolved|method|peak]... "
          "FILE\n",
          stderr);
    return 1;
}

static long spec_check_peak_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
        }
    }
    fclose(f);
    return kib;
}

static void spec_check_print(const ivp_problem *p, const char *what)
{
    size_t i;
    if (strcmp(what, "peak") == 0) {
        return; /* after the problem is freed */
    }
    if (strcmp(what, "plugin") == 0) {
        printf("%s\n", p->plugin);
    } else if (strcmp(what, "method") == 0) {
        printf("%s\n", p->method);
    } else if (strcmp(what, "resolved") == 0) {
        printf("%s\n", p->resolved);
    } else {
        for (i = 0; i < p->n_t_eval; i++) {
            printf("%.17g\n", p->t_eval[i]);
        }
    }
}

int main(int argc, char **argv)
{
    const char *sets[SPEC_CHECK_MAX_ARGS];
    const char *prints[SPEC_CHECK_MAX_ARGS];
    size_t n_sets = 0, n_prints = 0, i;
    const char *file = NULL;
    ivp_problem *p = NULL;
    ivp_error err;
    int a;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--set") == 0 && a + 1 < argc && n_sets < SPEC_CHECK_MAX_ARGS) {
            sets[n_sets++] = argv[++a];
        } else if (strcmp(argv[a], "--print") == 0 && a + 1 < argc &&
                   n_prints < SPEC_CHECK_MAX_ARGS) {
            const char *w = argv[++a];
            if (strcmp(w, "plugin") != 0 && strcmp(w, "t_eval") != 0 &&
                strcmp(w, "resolved") != 0 && strcmp(w, "method") != 0 && strcmp(w, "peak") != 0) {
                return spec_check_usage();
            }
            prints[n_prints++] = w;
        } else if (file == NULL && (argv[a][0] != '-' || strcmp(argv[a], "-") == 0)) {
            file = argv[a];
        } else {
            return spec_check_usage();
        }
    }
    if (file == NULL) {
        return spec_check_usage();
    }
    ivp_error_clear(&err);
    if (ivp_problem_load(file, sets, n_sets, &p, &err) != IVP_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    printf("ok\n");
    for (i = 0; i < n_prints; i++) {
        spec_check_print(p, prints[i]);
    }
    ivp_problem_free(p);
    for (i = 0; i < n_prints; i++) {
        if (strcmp(prints[i], "peak") == 0) {
            printf("peak %ld\n", spec_check_peak_kib());
        }
    }
    return 0;
}
