/* SPDX-License-Identifier: MIT
 * tests/problems/pollu.c - POLLU, the RIVM air-pollution chemistry model (Verwer 1994;
 * Test Set pollu.f): 20 species, 25 reactions with mass-action rates
 *   r1 = k1 y1, r2 = k2 y2 y4, r3 = k3 y5 y2, ..., r25 = k25 y20 (see pollu_reactants)
 * and f = S r with the stoichiometry S of problems.json's f1..f20. k3 = 0.123e5 (the
 * report's correction of a typo in Verwer 1994). t in [0, 60].
 *
 * The Jacobian is J = S dr/dy: each reaction rate depends on one or two species, so
 * dr_k/dy_a = k_k y_b and dr_k/dy_b = k_k y_a. Also exported as a sparse pattern
 * (jac_sparsity/jac_values), row-major order of the structural nonzeros.
 */
#include "ivp_plugin.h"

#define POLLU_N 20
#define POLLU_R 25

IVP_PLUGIN_ABI;
const size_t ivp_dim = POLLU_N;
const char *const ivp_param_names[] = {
    "k1",  "k2",  "k3",  "k4",  "k5",  "k6",  "k7",  "k8",  "k9",  "k10", "k11", "k12", "k13",
    "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23", "k24", "k25", NULL};

/* Reactants of reaction k (0-based species; b = -1 for a first-order reaction). */
static const struct {
    int a, b;
} pollu_reactants[POLLU_R] = {
    {0, -1},  {1, 3},   {4, 1},   {6, -1},  {6, -1}, {6, 5},  {8, -1},  {8, 5},  {10, 1},
    {10, 0},  {12, -1}, {9, 1},   {13, -1}, {0, 5},  {2, -1}, {3, -1},  {3, -1}, {15, -1},
    {15, -1}, {16, 5},  {18, -1}, {18, -1}, {0, 3},  {18, 0}, {19, -1},
};

/* Stoichiometry: reaction k changes species sp[i] by nu[i] (read off f1..f20). */
#define POLLU_MAX_SP 5
static const struct {
    int m;
    int sp[POLLU_MAX_SP];
    double nu[POLLU_MAX_SP];
} pollu_stoich[POLLU_R] = {
    {3, {0, 1, 2}, {-1, 1, 1}},                /* r1 */
    {3, {0, 1, 3}, {1, -1, -1}},               /* r2 */
    {4, {0, 1, 4, 5}, {1, -1, -1, 1}},         /* r3 */
    {3, {4, 6, 7}, {2, -1, 1}},                /* r4 */
    {2, {6, 7}, {-1, 1}},                      /* r5 */
    {4, {4, 5, 6, 7}, {1, -1, -1, 1}},         /* r6 */
    {4, {4, 7, 8, 9}, {1, 1, -1, 1}},          /* r7 */
    {3, {5, 8, 10}, {-1, -1, 1}},              /* r8 */
    {5, {0, 1, 9, 10, 11}, {1, -1, 1, -1, 1}}, /* r9 */
    {3, {0, 10, 12}, {-1, -1, 1}},             /* r10 */
    {3, {0, 10, 12}, {1, 1, -1}},              /* r11 */
    {4, {0, 1, 9, 13}, {1, -1, -1, 1}},        /* r12 */
    {3, {4, 6, 13}, {1, 1, -1}},               /* r13 */
    {3, {0, 5, 14}, {-1, -1, 1}},              /* r14 */
    {2, {2, 3}, {-1, 1}},                      /* r15 */
    {2, {3, 15}, {-1, 1}},                     /* r16 */
    {2, {2, 3}, {1, -1}},                      /* r17 */
    {2, {5, 15}, {2, -1}},                     /* r18 */
    {2, {2, 15}, {1, -1}},                     /* r19 */
    {4, {4, 5, 16, 17}, {1, -1, -1, 1}},       /* r20 */
    {2, {1, 18}, {1, -1}},                     /* r21 */
    {3, {0, 2, 18}, {1, 1, -1}},               /* r22 */
    {3, {0, 3, 18}, {-1, -1, 1}},              /* r23 */
    {3, {0, 18, 19}, {-1, -1, 1}},             /* r24 */
    {3, {0, 18, 19}, {1, 1, -1}},              /* r25 */
};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double *k = ctx->p; /* k[0] = k1, ..., k[24] = k25 */
    const double r1 = k[0] * y[0];
    const double r2 = k[1] * y[1] * y[3];
    const double r3 = k[2] * y[4] * y[1];
    const double r4 = k[3] * y[6];
    const double r5 = k[4] * y[6];
    const double r6 = k[5] * y[6] * y[5];
    const double r7 = k[6] * y[8];
    const double r8 = k[7] * y[8] * y[5];
    const double r9 = k[8] * y[10] * y[1];
    const double r10 = k[9] * y[10] * y[0];
    const double r11 = k[10] * y[12];
    const double r12 = k[11] * y[9] * y[1];
    const double r13 = k[12] * y[13];
    const double r14 = k[13] * y[0] * y[5];
    const double r15 = k[14] * y[2];
    const double r16 = k[15] * y[3];
    const double r17 = k[16] * y[3];
    const double r18 = k[17] * y[15];
    const double r19 = k[18] * y[15];
    const double r20 = k[19] * y[16] * y[5];
    const double r21 = k[20] * y[18];
    const double r22 = k[21] * y[18];
    const double r23 = k[22] * y[0] * y[3];
    const double r24 = k[23] * y[18] * y[0];
    const double r25 = k[24] * y[19];
    (void)t;

    dydt[0] = -r1 - r10 - r14 - r23 - r24 + r2 + r3 + r9 + r11 + r12 + r22 + r25;
    dydt[1] = -r2 - r3 - r9 - r12 + r1 + r21;
    dydt[2] = -r15 + r1 + r17 + r19 + r22;
    dydt[3] = -r2 - r16 - r17 - r23 + r15;
    dydt[4] = -r3 + 2.0 * r4 + r6 + r7 + r13 + r20;
    dydt[5] = -r6 - r8 - r14 - r20 + r3 + 2.0 * r18;
    dydt[6] = -r4 - r5 - r6 + r13;
    dydt[7] = r4 + r5 + r6 + r7;
    dydt[8] = -r7 - r8;
    dydt[9] = -r12 + r7 + r9;
    dydt[10] = -r9 - r10 + r8 + r11;
    dydt[11] = r9;
    dydt[12] = -r11 + r10;
    dydt[13] = -r13 + r12;
    dydt[14] = r14;
    dydt[15] = -r18 - r19 + r16;
    dydt[16] = -r20;
    dydt[17] = r20;
    dydt[18] = -r21 - r22 - r24 + r23 + r25;
    dydt[19] = -r25 + r24;
    return 0;
}

/* Adds S dr_k/dy to the dense row-major J for every reaction k. */
static void pollu_dense_jac(const double *y, const double *k, double *J)
{
    for (size_t i = 0; i < POLLU_N * POLLU_N; i++) {
        J[i] = 0.0;
    }
    for (int r = 0; r < POLLU_R; r++) {
        const int a = pollu_reactants[r].a, b = pollu_reactants[r].b;
        const double da = b < 0 ? k[r] : k[r] * y[b]; /* dr/dy_a */
        const double db = b < 0 ? 0.0 : k[r] * y[a];  /* dr/dy_b */
        for (int s = 0; s < pollu_stoich[r].m; s++) {
            const int i = pollu_stoich[r].sp[s];
            const double nu = pollu_stoich[r].nu[s];
            J[i * POLLU_N + a] += nu * da;
            if (b >= 0) {
                J[i * POLLU_N + b] += nu * db;
            }
        }
    }
}

int jac(double t, const double *y, double *J, const ivp_ctx *ctx)
{
    (void)t;
    pollu_dense_jac(y, ctx->p, J);
    return 0;
}

/* Structural nonzeros: every (species changed by reaction k, reactant of k), row-major. */
static void pollu_pattern(unsigned char *nz)
{
    for (size_t i = 0; i < POLLU_N * POLLU_N; i++) {
        nz[i] = 0;
    }
    for (int r = 0; r < POLLU_R; r++) {
        for (int s = 0; s < pollu_stoich[r].m; s++) {
            const int i = pollu_stoich[r].sp[s];
            nz[i * POLLU_N + pollu_reactants[r].a] = 1;
            if (pollu_reactants[r].b >= 0) {
                nz[i * POLLU_N + pollu_reactants[r].b] = 1;
            }
        }
    }
}

long jac_sparsity(const ivp_ctx *ctx, size_t *rows, size_t *cols)
{
    unsigned char nz[POLLU_N * POLLU_N];
    long count = 0;
    (void)ctx;
    pollu_pattern(nz);
    for (size_t i = 0; i < POLLU_N; i++) {
        for (size_t j = 0; j < POLLU_N; j++) {
            if (nz[i * POLLU_N + j]) {
                if (rows != NULL && cols != NULL) {
                    rows[count] = i;
                    cols[count] = j;
                }
                count++;
            }
        }
    }
    return count;
}

int jac_values(double t, const double *y, double *v, const ivp_ctx *ctx)
{
    double J[POLLU_N * POLLU_N];
    unsigned char nz[POLLU_N * POLLU_N];
    size_t count = 0;
    (void)t;
    pollu_dense_jac(y, ctx->p, J);
    pollu_pattern(nz);
    for (size_t i = 0; i < POLLU_N * POLLU_N; i++) {
        if (nz[i]) {
            v[count++] = J[i];
        }
    }
    return 0;
}
