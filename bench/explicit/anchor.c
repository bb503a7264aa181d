/* SPDX-License-Identifier: MIT
 * bench/explicit/anchor.c - the "minimal fused loop" that ivp's explicit methods are measured
 * against: RK45 and DOP853 with scipy 1.10's step-size controller and initial step, one fused
 * pass per stage (y + h sum a_j K_j over the non-zero a_j), K_0/K_S and y/y_new swapped by
 * pointer, scalar atol, no non-finite checks, no driver, no output; the error norms take the
 * maximum inline, as ivp's do. It performs the same floating-point operations in the same order
 * as ivp, so it takes the same steps and ends on the same state bit for bit (explicit_bench
 * checks that). Coefficients: copies of core/src/methods/rk.c and dop853.c.
 */
#include "anchor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The tableaus keep their rows as printed in the literature. */
/* clang-format off */
static const double rk45_c[7] = {0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0};
static const double rk45_a[21] = {
    1.0 / 5.0,
    3.0 / 40.0, 9.0 / 40.0,
    44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0,
    19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0,
    9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0,
    35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0,
};
static const double rk45_b[6] = {35.0 / 384.0,     0.0,          500.0 / 1113.0,
                                 125.0 / 192.0,    -2187.0 / 6784.0, 11.0 / 84.0};
static const double rk45_e[7] = {-71.0 / 57600.0, 0.0,           71.0 / 16695.0, -71.0 / 1920.0,
                                 17253.0 / 339200.0, -22.0 / 525.0, 1.0 / 40.0};
static const double dop_c[16] = {
    0, 0.05260015195876773, 0.078900227938151601,
    0.1183503419072274, 0.28164965809277259, 0.33333333333333331,
    0.25, 0.30769230769230771, 0.6512820512820513,
    0.59999999999999998, 0.8571428571428571, 1,
    1, 0.10000000000000001, 0.20000000000000001,
    0.77777777777777779,
};
static const double dop_a[120] = {
    /*  1 */ 0.05260015195876773,
    /*  2 */ 0.0197250569845379, 0.059175170953613701,
    /*  3 */ 0.029587585476806851, 0, 0.088762756430420545,
    /*  4 */ 0.24136513415926669, 0, -0.88454947932828609, 0.92483400326179199,
    /*  5 */ 0.037037037037037035, 0, 0, 0.17082860872947386, 0.12546768756682242,
    /*  6 */ 0.037109375, 0, 0, 0.17025221101954405, 0.060216538980455959, -0.017578125,
    /*  7 */ 0.037092000118504789, 0, 0, 0.17038392571223998, 0.10726203044637328, -0.015319437748624402, 0.0082737891638140233,
    /*  8 */ 0.62411095871607569, 0, 0, -3.3608926294469414, -0.86821934684172597, 27.59209969944671, 20.154067550477894, -43.489884181069961,
    /*  9 */ 0.47766253643826434, 0, 0, -2.4881146199716677, -0.59029082683684297, 21.230051448181193, 15.279233632882423, -33.288210968984863, -0.020331201708508627,
    /* 10 */ -0.9371424300859873, 0, 0, 5.1863724288440638, 1.0914373489967295, -8.1497870107469268, -18.520065659996959, 22.739487099350505, 2.4936055526796523, -3.0467644718982196,
    /* 11 */ 2.273310147516538, 0, 0, -10.534495466737249, -2.0008720582248625, -17.958931863118799, 27.94888452941996, -2.8589982771350235, -8.8728569335306293, 12.360567175794303, 0.64339274601576357,
    /* 12 */ 0.054293734116568765, 0, 0, 0, 0, 4.4503128927524092, 1.8915178993145003, -5.8012039600105849, 0.3111643669578199, -0.15216094966251609, 0.20136540080403034, 0.044710615727772587,
    /* 13 */ 0.056167502283047954, 0, 0, 0, 0, 0, 0.25350021021662483, -0.2462390374708025, -0.12419142326381637, 0.15329179827876568, 0.0082010522956346907, 0.0075678976605456994, -0.0082979999999999998,
    /* 14 */ 0.031834648163502142, 0, 0, 0, 0, 0.028300909672366776, 0.053541988307438566, -0.054923748571390991, 0, 0, -0.00010834732869724932, 0.00038257109083565839, -0.00034046500868740456, 0.1413124436746325,
    /* 15 */ -0.42889630158379194, 0, 0, 0, 0, -4.697621415361164, 7.6834211960625991, 4.0689898183971103, 0.35672718745528109, 0, 0, 0, -0.0013990241651590145, 2.9475147891527724, -9.1509584721798696,
};
static const double dop_e3[13] = {
    -0.18980075407240762, 0, 0,
    0, 0, 4.4503128927524092,
    1.8915178993145003, -5.8012039600105849, -0.42268232132379191,
    -0.15216094966251609, 0.20136540080403034, 0.022651792198360821,
    0,
};
static const double dop_e5[13] = {
    0.01312004499419488, 0, 0,
    0, 0, -1.2251564463762044,
    -0.4957589496572502, 1.6643771824549864, -0.35032884874997366,
    0.33417911871301748, 0.08192320648511571, -0.022355307863886294,
    0,
};
/* clang-format on */

/* fmax(a, b) for a, b >= 0 or NaN, inline (as ivp's error norms have it, core/src/methods/
 * rk_impl.h): the libm call kept the norm loops from vectorising. */
static inline double fmax_abs(double a, double b)
{
    return b != b ? a : (a > b ? a : b);
}

#define SAFETY 0.9
#define MIN_FACTOR 0.2
#define MAX_FACTOR 10.0

static int rk45_trial(ivp_rhs_fn *rhs, const ivp_ctx *ctx, size_t n, double t, double h,
                      const double *restrict y, double *restrict yn, double *restrict w,
                      double *const *k, unsigned long *nfev)
{
    double *restrict k0 = k[0], *restrict k1 = k[1], *restrict k2 = k[2], *restrict k3 = k[3];
    double *restrict k4 = k[4], *restrict k5 = k[5], *restrict k6 = k[6];
    size_t i;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (rk45_a[0] * k0[i]) * h;
    }
    if (rhs(t + rk45_c[1] * h, w, k1, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (rk45_a[1] * k0[i] + rk45_a[2] * k1[i]) * h;
    }
    if (rhs(t + rk45_c[2] * h, w, k2, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (rk45_a[3] * k0[i] + rk45_a[4] * k1[i] + rk45_a[5] * k2[i]) * h;
    }
    if (rhs(t + rk45_c[3] * h, w, k3, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] +
               (rk45_a[6] * k0[i] + rk45_a[7] * k1[i] + rk45_a[8] * k2[i] + rk45_a[9] * k3[i]) * h;
    }
    if (rhs(t + rk45_c[4] * h, w, k4, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (rk45_a[10] * k0[i] + rk45_a[11] * k1[i] + rk45_a[12] * k2[i] +
                       rk45_a[13] * k3[i] + rk45_a[14] * k4[i]) *
                          h;
    }
    if (rhs(t + rk45_c[5] * h, w, k5, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        yn[i] = y[i] + h * (rk45_b[0] * k0[i] + rk45_b[2] * k2[i] + rk45_b[3] * k3[i] +
                            rk45_b[4] * k4[i] + rk45_b[5] * k5[i]);
    }
    if (rhs(t + h, yn, k6, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    return 0;
}

static double rk45_norm(size_t n, double h, const double *restrict y, const double *restrict yn,
                        double *const *k, double atol, double rtol)
{
    const double *restrict k0 = k[0], *restrict k2 = k[2], *restrict k3 = k[3];
    const double *restrict k4 = k[4], *restrict k5 = k[5], *restrict k6 = k[6];
    double acc = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double sc = atol + fmax_abs(fabs(y[i]), fabs(yn[i])) * rtol;
        double e = rk45_e[0] * k0[i] + rk45_e[2] * k2[i] + rk45_e[3] * k3[i] + rk45_e[4] * k4[i] +
                   rk45_e[5] * k5[i] + rk45_e[6] * k6[i];
        double q = e * h / sc;
        acc += q * q;
    }
    return sqrt(acc / (double)n);
}

static int dop_trial(ivp_rhs_fn *rhs, const ivp_ctx *ctx, size_t n, double t, double h,
                     const double *restrict y, double *restrict yn, double *restrict w,
                     double *const *k, unsigned long *nfev)
{
    double *restrict k0 = k[0], *restrict k1 = k[1], *restrict k2 = k[2], *restrict k3 = k[3];
    double *restrict k4 = k[4], *restrict k5 = k[5], *restrict k6 = k[6], *restrict k7 = k[7];
    double *restrict k8 = k[8], *restrict k9 = k[9], *restrict k10 = k[10];
    double *restrict k11 = k[11], *restrict k12 = k[12];
    size_t i;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[0] * k0[i]) * h;
    }
    if (rhs(t + dop_c[1] * h, w, k1, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[1] * k0[i] + dop_a[2] * k1[i]) * h;
    }
    if (rhs(t + dop_c[2] * h, w, k2, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[3] * k0[i] + dop_a[5] * k2[i]) * h;
    }
    if (rhs(t + dop_c[3] * h, w, k3, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[6] * k0[i] + dop_a[8] * k2[i] + dop_a[9] * k3[i]) * h;
    }
    if (rhs(t + dop_c[4] * h, w, k4, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[10] * k0[i] + dop_a[13] * k3[i] + dop_a[14] * k4[i]) * h;
    }
    if (rhs(t + dop_c[5] * h, w, k5, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] +
               (dop_a[15] * k0[i] + dop_a[18] * k3[i] + dop_a[19] * k4[i] + dop_a[20] * k5[i]) * h;
    }
    if (rhs(t + dop_c[6] * h, w, k6, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[21] * k0[i] + dop_a[24] * k3[i] + dop_a[25] * k4[i] +
                       dop_a[26] * k5[i] + dop_a[27] * k6[i]) *
                          h;
    }
    if (rhs(t + dop_c[7] * h, w, k7, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[28] * k0[i] + dop_a[31] * k3[i] + dop_a[32] * k4[i] +
                       dop_a[33] * k5[i] + dop_a[34] * k6[i] + dop_a[35] * k7[i]) *
                          h;
    }
    if (rhs(t + dop_c[8] * h, w, k8, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] +
               (dop_a[36] * k0[i] + dop_a[39] * k3[i] + dop_a[40] * k4[i] + dop_a[41] * k5[i] +
                dop_a[42] * k6[i] + dop_a[43] * k7[i] + dop_a[44] * k8[i]) *
                   h;
    }
    if (rhs(t + dop_c[9] * h, w, k9, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] +
               (dop_a[45] * k0[i] + dop_a[48] * k3[i] + dop_a[49] * k4[i] + dop_a[50] * k5[i] +
                dop_a[51] * k6[i] + dop_a[52] * k7[i] + dop_a[53] * k8[i] + dop_a[54] * k9[i]) *
                   h;
    }
    if (rhs(t + dop_c[10] * h, w, k10, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[55] * k0[i] + dop_a[58] * k3[i] + dop_a[59] * k4[i] +
                       dop_a[60] * k5[i] + dop_a[61] * k6[i] + dop_a[62] * k7[i] +
                       dop_a[63] * k8[i] + dop_a[64] * k9[i] + dop_a[65] * k10[i]) *
                          h;
    }
    if (rhs(t + dop_c[11] * h, w, k11, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        yn[i] = y[i] + h * (dop_a[66] * k0[i] + dop_a[71] * k5[i] + dop_a[72] * k6[i] +
                            dop_a[73] * k7[i] + dop_a[74] * k8[i] + dop_a[75] * k9[i] +
                            dop_a[76] * k10[i] + dop_a[77] * k11[i]);
    }
    if (rhs(t + h, yn, k12, ctx) != 0) {
        return -1;
    }
    (*nfev)++;
    return 0;
}

static double dop_norm(size_t n, double h, const double *restrict y, const double *restrict yn,
                       double *const *k, double atol, double rtol)
{
    const double *restrict k0 = k[0], *restrict k5 = k[5], *restrict k6 = k[6];
    const double *restrict k7 = k[7], *restrict k8 = k[8], *restrict k9 = k[9];
    const double *restrict k10 = k[10], *restrict k11 = k[11];
    double acc5 = 0.0, acc3 = 0.0, s5, s3;
    size_t i;
    for (i = 0; i < n; i++) {
        double sc = atol + fmax_abs(fabs(y[i]), fabs(yn[i])) * rtol;
        double e5 = dop_e5[0] * k0[i] + dop_e5[5] * k5[i] + dop_e5[6] * k6[i] + dop_e5[7] * k7[i] +
                    dop_e5[8] * k8[i] + dop_e5[9] * k9[i] + dop_e5[10] * k10[i] +
                    dop_e5[11] * k11[i];
        double e3 = dop_e3[0] * k0[i] + dop_e3[5] * k5[i] + dop_e3[6] * k6[i] + dop_e3[7] * k7[i] +
                    dop_e3[8] * k8[i] + dop_e3[9] * k9[i] + dop_e3[10] * k10[i] +
                    dop_e3[11] * k11[i];
        double q5 = e5 / sc, q3 = e3 / sc;
        acc5 += q5 * q5;
        acc3 += q3 * q3;
    }
    s5 = sqrt(acc5);
    s5 *= s5;
    s3 = sqrt(acc3);
    s3 *= s3;
    if (s5 == 0.0 && s3 == 0.0) {
        return 0.0;
    }
    return fabs(h) * s5 / sqrt((s5 + 0.01 * s3) * (double)n);
}

static double init_norm(size_t n, const double *v, const double *y0, double atol, double rtol)
{
    double acc = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double q = v[i] / (atol + fabs(y0[i]) * rtol);
        acc += q * q;
    }
    return sqrt(acc / (double)n);
}

int anchor_solve(int dop853, ivp_rhs_fn *rhs, const ivp_ctx *ctx, size_t n, double t0, double t_end,
                 const double *y0, double rtol, double atol, double *y_out, unsigned long *nfev,
                 unsigned long *n_steps)
{
    const unsigned n_stages = dop853 ? 12u : 6u;
    const double order = dop853 ? 7.0 : 4.0, exponent = -1.0 / (order + 1.0);
    const double dir = t_end > t0 ? 1.0 : -1.0;
    double *mem, *k[13], *y, *yn, *w;
    double t = t0, h_abs, d0, d1, d2, h0, h1, acc = 0.0;
    unsigned j;
    size_t i;
    int rc = -1;

    mem = malloc((n_stages + 4) * n * sizeof *mem);
    if (mem == NULL) {
        return -1;
    }
    for (j = 0; j <= n_stages; j++) {
        k[j] = mem + (size_t)j * n;
    }
    y = mem + (size_t)(n_stages + 1) * n;
    yn = y + n;
    w = yn + n;
    memcpy(y, y0, n * sizeof *y);
    *nfev = 0;
    *n_steps = 0;

    if (rhs(t, y, k[0], ctx) != 0) {
        goto done;
    }
    (*nfev)++;
    /* scipy's select_initial_step */
    d0 = init_norm(n, y, y, atol, rtol);
    d1 = init_norm(n, k[0], y, atol, rtol);
    h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    for (i = 0; i < n; i++) {
        w[i] = y[i] + h0 * dir * k[0][i];
    }
    if (rhs(t + h0 * dir, w, k[1], ctx) != 0) {
        goto done;
    }
    (*nfev)++;
    for (i = 0; i < n; i++) {
        double q = (k[1][i] - k[0][i]) / (atol + fabs(y[i]) * rtol);
        acc += q * q;
    }
    d2 = sqrt(acc / (double)n) / h0;
    if (d1 <= 1e-15 && d2 <= 1e-15) {
        h1 = fmax(1e-6, h0 * 1e-3);
    } else {
        h1 = pow(0.01 / fmax(d1, d2), 1.0 / (order + 1.0));
    }
    h_abs = fmin(100.0 * h0, h1);

    while (dir * (t - t_end) < 0.0) {
        const double min_step = 10.0 * fabs(nextafter(t, dir * HUGE_VAL) - t);
        double h, t_new, err_norm, *tmp;
        int rejected = 0;
        if (h_abs < min_step) {
            h_abs = min_step;
        }
        for (;;) {
            if (h_abs < min_step) {
                goto done;
            }
            h = h_abs * dir;
            t_new = t + h;
            if (dir * (t_new - t_end) > 0.0) {
                t_new = t_end;
            }
            h = t_new - t;
            h_abs = fabs(h);
            if (dop853) {
                if (dop_trial(rhs, ctx, n, t, h, y, yn, w, k, nfev) != 0) {
                    goto done;
                }
                err_norm = dop_norm(n, h, y, yn, k, atol, rtol);
            } else {
                if (rk45_trial(rhs, ctx, n, t, h, y, yn, w, k, nfev) != 0) {
                    goto done;
                }
                err_norm = rk45_norm(n, h, y, yn, k, atol, rtol);
            }
            if (err_norm < 1.0) {
                double factor = err_norm == 0.0
                                    ? MAX_FACTOR
                                    : fmin(MAX_FACTOR, SAFETY * pow(err_norm, exponent));
                if (rejected) {
                    factor = fmin(1.0, factor);
                }
                h_abs *= factor;
                break;
            }
            {
                double factor = SAFETY * pow(err_norm, exponent);
                h_abs *= factor > MIN_FACTOR ? factor : MIN_FACTOR;
            }
            rejected = 1;
        }
        tmp = y; /* accept: swap y/y_new and K_0/K_S */
        y = yn;
        yn = tmp;
        tmp = k[0];
        k[0] = k[n_stages];
        k[n_stages] = tmp;
        t = t_new;
        (*n_steps)++;
    }
    memcpy(y_out, y, n * sizeof *y_out);
    rc = 0;
done:
    free(mem);
    return rc;
}
