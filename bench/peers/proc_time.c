/* SPDX-License-Identifier: MIT
 * bench/peers/proc_time.c - whole-process timing without hyperfine: fork + execvp + wait4, the
 * commands interleaved (A B A B ...), each repeated R times after one untimed run; the child's
 * stdout and stderr go to /dev/null.
 *
 * Usage: proc_time R [VAR=VALUE...] CMD [ARG...] [--- [VAR=VALUE...] CMD [ARG...]]...
 * (leading VAR=VALUE words are set in that command's environment only)
 *
 * Prints one JSON line per command: the median wall time (fork to reaped), the median user and
 * system CPU time of the child (wait4's rusage), the largest max RSS (KiB), and all wall times.
 * Exit status 0, 1 when a command failed (non-zero exit or signal), 2 on a usage error.
 */
#define _DEFAULT_SOURCE

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 8
#define MAX_REPEATS 10001

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double tv(struct timeval v)
{
    return (double)v.tv_sec + 1e-6 * (double)v.tv_usec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int k)
{
    qsort(v, (size_t)k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

/* Runs argv once; wall, user, sys in seconds, rss in KiB. Returns 0 when it exited with 0. */
static int run_once(char **argv, double *wall, double *user, double *sys, long *rss)
{
    struct rusage ru;
    int status;
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("proc_time: fork");
        return -1;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        while (argv[0] != NULL && strchr(argv[0], '=') != NULL) {
            putenv(argv[0]);
            argv++;
        }
        if (argv[0] != NULL) {
            execvp(argv[0], argv);
        }
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("proc_time: wait4");
        return -1;
    }
    *wall = now() - t0;
    *user = tv(ru.ru_utime);
    *sys = tv(ru.ru_stime);
    *rss = ru.ru_maxrss;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    char **cmds[MAX_CMDS];
    static double wall[MAX_CMDS][MAX_REPEATS], user[MAX_CMDS][MAX_REPEATS],
        sys[MAX_CMDS][MAX_REPEATS];
    long rss[MAX_CMDS] = {0};
    int ncmd = 0, reps, i, c, k;

    if (argc < 3 || (reps = atoi(argv[1])) < 1 || reps > MAX_REPEATS) {
        fprintf(stderr, "usage: proc_time R [VAR=VALUE...] CMD [ARG...] "
                        "[--- [VAR=VALUE...] CMD [ARG...]]...\n");
        return 2;
    }
    cmds[ncmd++] = argv + 2;
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "---") == 0) {
            argv[i] = NULL;
            if (ncmd == MAX_CMDS || i + 1 >= argc) {
                fprintf(stderr, "proc_time: at most %d commands, none empty\n", MAX_CMDS);
                return 2;
            }
            cmds[ncmd++] = argv + i + 1;
        }
    }
    for (k = -1; k < reps; k++) {
        for (c = 0; c < ncmd; c++) {
            double w, u, s;
            long r;
            if (run_once(cmds[c], &w, &u, &s, &r) != 0) {
                fprintf(stderr, "proc_time: %s failed\n", cmds[c][0]);
                return 1;
            }
            if (k >= 0) {
                wall[c][k] = w;
                user[c][k] = u;
                sys[c][k] = s;
                rss[c] = r > rss[c] ? r : rss[c];
            }
        }
    }
    for (c = 0; c < ncmd; c++) {
        printf("{\"index\": %d, \"repeats\": %d, \"wall_all\": [", c, reps);
        for (k = 0; k < reps; k++) {
            printf("%s%.7g", k ? ", " : "", wall[c][k]);
        }
        printf("], \"wall\": %.7g, \"user\": %.7g, \"sys\": %.7g, \"maxrss_kib\": %ld}\n",
               median(wall[c], reps), median(user[c], reps), median(sys[c], reps), rss[c]);
    }
    return 0;
}
