/* SPDX-License-Identifier: MIT
 * core/src/methods/dop853.c - DOP853: explicit Runge-Kutta of order 8 with the 5th/3rd-order
 * combined error estimate and the 7th-degree dense output of Hairer's DOP853, driven by scipy
 * 1.10's generic step-size control (not Hairer's own controller or initial step).
 *
 * References: E. Hairer, S. P. Norsett, G. Wanner, Solving Ordinary Differential Equations I,
 * 2nd ed., Springer (1993), section II.10 (the method and its dense output; coefficients as
 * published with dop853.f); scipy 1.10.1 rk.py (DOP853 class) for the semantics.
 * The coefficient values below are those decimal constants rounded to doubles.
 */
#include "methods/rk_impl.h"

#include <math.h>
#include <string.h>

/* Nodes: c1..c12 of the method, c13 = 1 (f_new), c14..c16 of the dense-output stages. */
/* The tableaus keep their rows as printed in the literature. */
/* clang-format off */
static const double dop_c[16] = {
    0, 0.05260015195876773, 0.078900227938151601,
    0.1183503419072274, 0.28164965809277259, 0.33333333333333331,
    0.25, 0.30769230769230771, 0.6512820512820513,
    0.59999999999999998, 0.8571428571428571, 1,
    1, 0.10000000000000001, 0.20000000000000001,
    0.77777777777777779,
};

/* Row s holds A[s][0..s-1]; row 12 is the weights B (b2..b5 = 0). */
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

static const double dop_d[64] = {
    -8.4289382761090135, 0, 0,
    0, 0, 0.56671495351937773,
    -3.0689499459498917, 2.3846676565120699, 2.1170345824450281,
    -0.87139158377797299, 2.2404374302607883, 0.63157877876946877,
    -0.088990336451333307, 18.148505520854727, -9.194632392478356,
    -4.4360363875948936, 10.427508642579134, 0,
    0, 0, 0,
    242.28349177525817, 165.20045171727028, -374.5467547226902,
    -22.113666853125306, 7.7334326684722638, -30.674084731089398,
    -9.3321305264302286, 15.697238121770845, -31.139403219565178,
    -9.3529243588444793, 35.816841486394082, 19.985053242002433,
    0, 0, 0,
    0, -387.03730874935178, -189.17813819516758,
    527.80815920542364, -11.573902539959629, 6.8812326946963003,
    -1.0006050966910838, 0.77771377980534429, -2.7782057523535082,
    -60.196695231264123, 84.320405506677162, 11.992291136182789,
    -25.69393346270375, 0, 0,
    0, 0, -154.18974869023643,
    -231.5293791760455, 357.63911791061412, 93.405324183624316,
    -37.458323136451632, 104.0996495089623, 29.840293426660502,
    -43.533456590011141, 96.324553959188279, -39.177261675615441,
    -149.72683625798564,
};
/* clang-format on */

#define DOP_STAGES 12
#define DOP_ROWS 16

/* ---- fused kernels: one pass per stage over the non-zero coefficients, in the order
 * ivp_rk_combine sums them (the first term always, then the others in index order); row 12 of
 * dop_a (offset 66) holds the weights B ---- */

static int dop853_stages(ivp_stepper *s, rk_state *st, double t, double h, ivp_error *err)
{
    const size_t n = s->n;
    const double *restrict y = s->y;
    double *restrict w = st->work;
    double *restrict yn = st->y_new;
    double *restrict k0 = st->krow[0], *restrict k1 = st->krow[1], *restrict k2 = st->krow[2];
    double *restrict k3 = st->krow[3], *restrict k4 = st->krow[4], *restrict k5 = st->krow[5];
    double *restrict k6 = st->krow[6], *restrict k7 = st->krow[7], *restrict k8 = st->krow[8];
    double *restrict k9 = st->krow[9], *restrict k10 = st->krow[10], *restrict k11 = st->krow[11];
    double *restrict k12 = st->krow[12];
    size_t i;
    uint64_t bad = 0;
    int rc;

    for (i = 0; i < n; i++) {
        w[i] = y[i] + (dop_a[0] * k0[i]) * h;
    }
    rc = ivp_rk_rhs(s, t + dop_c[1] * h, w, k1, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k1[i]);
        w[i] = y[i] + (dop_a[1] * k0[i] + dop_a[2] * k1[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k1, t + dop_c[1] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[2] * h, w, k2, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k2[i]);
        w[i] = y[i] + (dop_a[3] * k0[i] + dop_a[5] * k2[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k2, t + dop_c[2] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[3] * h, w, k3, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k3[i]);
        w[i] = y[i] + (dop_a[6] * k0[i] + dop_a[8] * k2[i] + dop_a[9] * k3[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k3, t + dop_c[3] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[4] * h, w, k4, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k4[i]);
        w[i] = y[i] + (dop_a[10] * k0[i] + dop_a[13] * k3[i] + dop_a[14] * k4[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k4, t + dop_c[4] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[5] * h, w, k5, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k5[i]);
        w[i] = y[i] +
               (dop_a[15] * k0[i] + dop_a[18] * k3[i] + dop_a[19] * k4[i] + dop_a[20] * k5[i]) * h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k5, t + dop_c[5] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[6] * h, w, k6, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k6[i]);
        w[i] = y[i] + (dop_a[21] * k0[i] + dop_a[24] * k3[i] + dop_a[25] * k4[i] +
                       dop_a[26] * k5[i] + dop_a[27] * k6[i]) *
                          h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k6, t + dop_c[6] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[7] * h, w, k7, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k7[i]);
        w[i] = y[i] + (dop_a[28] * k0[i] + dop_a[31] * k3[i] + dop_a[32] * k4[i] +
                       dop_a[33] * k5[i] + dop_a[34] * k6[i] + dop_a[35] * k7[i]) *
                          h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k7, t + dop_c[7] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[8] * h, w, k8, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k8[i]);
        w[i] = y[i] +
               (dop_a[36] * k0[i] + dop_a[39] * k3[i] + dop_a[40] * k4[i] + dop_a[41] * k5[i] +
                dop_a[42] * k6[i] + dop_a[43] * k7[i] + dop_a[44] * k8[i]) *
                   h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k8, t + dop_c[8] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[9] * h, w, k9, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k9[i]);
        w[i] = y[i] +
               (dop_a[45] * k0[i] + dop_a[48] * k3[i] + dop_a[49] * k4[i] + dop_a[50] * k5[i] +
                dop_a[51] * k6[i] + dop_a[52] * k7[i] + dop_a[53] * k8[i] + dop_a[54] * k9[i]) *
                   h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k9, t + dop_c[9] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[10] * h, w, k10, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k10[i]);
        w[i] = y[i] + (dop_a[55] * k0[i] + dop_a[58] * k3[i] + dop_a[59] * k4[i] +
                       dop_a[60] * k5[i] + dop_a[61] * k6[i] + dop_a[62] * k7[i] +
                       dop_a[63] * k8[i] + dop_a[64] * k9[i] + dop_a[65] * k10[i]) *
                          h;
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k10, t + dop_c[10] * h);
    }
    rc = ivp_rk_rhs(s, t + dop_c[11] * h, w, k11, err);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        RK_CHECK(bad, k11[i]);
        yn[i] = y[i] + h * (dop_a[66] * k0[i] + dop_a[71] * k5[i] + dop_a[72] * k6[i] +
                            dop_a[73] * k7[i] + dop_a[74] * k8[i] + dop_a[75] * k9[i] +
                            dop_a[76] * k10[i] + dop_a[77] * k11[i]);
    }
    if (RK_BAD(bad)) {
        return ivp_rk_nonfinite(s, k11, t + dop_c[11] * h);
    }
    rc = ivp_rk_rhs(s, t + h, yn, k12, err);
    if (rc != 0) {
        return rc;
    }
    return 0;
}

/* Hairer's combined estimate: |h| S5 / sqrt((S5 + 0.01 S3) n), where S5 and S3 are the squared
 * norms of the 5th- and 3rd-order error vectors over scale, each formed as scipy does
 * (norm(...)**2), both in one pass with the scale. */
static inline double dop853_error_norm_pass(const ivp_stepper *s, const rk_state *st, double h,
                                            int *bad_out, int uniform)
{
    const size_t n = s->n;
    const double *restrict y = s->y;
    const double *restrict yn = st->y_new;
    const double *restrict atol = s->atol;
    const double atol0 = atol[0];
    const double rtol = s->rtol;
    const double *restrict k0 = st->krow[0], *restrict k5 = st->krow[5], *restrict k6 = st->krow[6];
    const double *restrict k7 = st->krow[7], *restrict k8 = st->krow[8], *restrict k9 = st->krow[9];
    const double *restrict k10 = st->krow[10], *restrict k11 = st->krow[11];
    const double *restrict k12 = st->krow[12];
    double acc5 = 0.0, acc3 = 0.0, s5, s3;
    size_t i;
    uint64_t bad = 0;

    for (i = 0; i < n; i++) {
        double sc = (uniform ? atol0 : atol[i]) + rk_fmax_abs(fabs(y[i]), fabs(yn[i])) * rtol;
        double e5 = dop_e5[0] * k0[i] + dop_e5[5] * k5[i] + dop_e5[6] * k6[i] + dop_e5[7] * k7[i] +
                    dop_e5[8] * k8[i] + dop_e5[9] * k9[i] + dop_e5[10] * k10[i] +
                    dop_e5[11] * k11[i];
        double e3 = dop_e3[0] * k0[i] + dop_e3[5] * k5[i] + dop_e3[6] * k6[i] + dop_e3[7] * k7[i] +
                    dop_e3[8] * k8[i] + dop_e3[9] * k9[i] + dop_e3[10] * k10[i] +
                    dop_e3[11] * k11[i];
        double q5 = e5 / sc, q3 = e3 / sc;
        RK_CHECK(bad, k12[i]);
        acc5 += q5 * q5;
        acc3 += q3 * q3;
    }
    *bad_out = RK_BAD(bad);
    s5 = sqrt(acc5);
    s5 *= s5;
    s3 = sqrt(acc3);
    s3 *= s3;
    if (s5 == 0.0 && s3 == 0.0) {
        return 0.0;
    }
    return fabs(h) * s5 / sqrt((s5 + 0.01 * s3) * (double)n);
}

static double dop853_error_norm(const ivp_stepper *s, const rk_state *st, double h, int *bad_out)
{
    if (st->atol_uniform) {
        return dop853_error_norm_pass(s, st, h, bad_out, 1);
    }
    return dop853_error_norm_pass(s, st, h, bad_out, 0);
}

/* Dense output: three extra stages (counted in nfev, as scipy counts them), then Hairer's
 * CONTD8 form y_old + x(F0 + (1-x)(F1 + x(F2 + (1-x)(F3 + x(F4 + (1-x)(F5 + x F6)))))) with
 * F0 = dy, F1 = h f_old - dy, F2 = 2 dy - h (f_new + f_old), F3.. = h D K, multiplied out into
 * powers of x. */
static ivp_status dop853_dense(ivp_stepper *s, double *a, ivp_error *err)
{
    rk_state *st = s->state;
    const size_t n = s->n;
    const double h = st->h_previous;
    double *const *k = st->krow;
    unsigned stage, r, deg;
    size_t i;
    int rc;

    for (stage = DOP_STAGES + 1; stage < DOP_ROWS; stage++) {
        const double *arow = dop_a + (size_t)stage * (stage - 1) / 2;
        ivp_rk_combine(n, stage, arow, st->krow, st->work);
        for (i = 0; i < n; i++) {
            st->work[i] = s->y_old[i] + st->work[i] * h;
        }
        rc = ivp_rhs_eval(s, s->t_old + dop_c[stage] * h, st->work, st->krow[stage], err);
        if (rc != 0) {
            if (rc > 0) {
                return ivp_recover_fail(s, "evaluating DOP853's dense-output stages", err);
            }
            return (ivp_status)rc;
        }
    }

    /* Multiply the bracket Q(x) out from the innermost F6: Q <- F_r + m_r(x) Q with m_r = x
     * for odd r and (1 - x) for even r. Row k + 1 of a holds the coefficient of x^k of Q, so
     * that y_old + x Q(x) needs only a[0] = y_old at the end. */
    for (i = 0; i < 8 * n; i++) {
        a[i] = 0.0;
    }
    /* p = F6 (degree 0), stored in row 1 (power x^0 of the bracket). */
    deg = 0;
    for (r = 7; r-- > 0;) {
        double *fr = st->work;
        unsigned kk;
        if (r == 0) {
            for (i = 0; i < n; i++) {
                fr[i] = s->y[i] - s->y_old[i];
            }
        } else if (r == 1) {
            for (i = 0; i < n; i++) {
                fr[i] = h * k[0][i] - (s->y[i] - s->y_old[i]);
            }
        } else if (r == 2) {
            const double *f_new = k[DOP_STAGES];
            for (i = 0; i < n; i++) {
                fr[i] = 2.0 * (s->y[i] - s->y_old[i]) - h * (f_new[i] + k[0][i]);
            }
        } else {
            ivp_rk_combine(n, DOP_ROWS, dop_d + (size_t)(r - 3) * DOP_ROWS, k, fr);
            for (i = 0; i < n; i++) {
                fr[i] *= h;
            }
        }
        if (r == 6) {
            memcpy(a + n, fr, n * sizeof *a);
            continue;
        }
        if (r % 2 == 1) {
            /* Q <- x Q: shift every power up by one */
            for (kk = deg + 1; kk-- > 0;) {
                memcpy(a + (size_t)(kk + 2) * n, a + (size_t)(kk + 1) * n, n * sizeof *a);
            }
            for (i = 0; i < n; i++) {
                a[n + i] = 0.0;
            }
        } else {
            /* Q <- (1 - x) Q: q_k <- q_k - q_{k-1}, from the top down */
            for (kk = deg + 1; kk > 0; kk--) {
                double *qk = a + (size_t)(kk + 1) * n;
                const double *pk1 = a + (size_t)kk * n;
                for (i = 0; i < n; i++) {
                    qk[i] -= pk1[i];
                }
            }
        }
        deg++;
        for (i = 0; i < n; i++) {
            a[n + i] += fr[i];
        }
    }
    memcpy(a, s->y_old, n * sizeof *a);
    return IVP_OK;
}

/* Hairer's DOP853 stiffness estimate: stage 11 and f_new, both at c = 1 (arguments work and
 * y_new), as RK45's in rk.c; the test fires above Hairer's 6.1, about DOP853's real stability
 * boundary. */
static double dop853_stiff_hlambda(const ivp_stepper *s, const rk_state *st, double h)
{
    const size_t n = s->n;
    const double *restrict w = st->work;
    const double *restrict yn = st->y_new;
    const double *restrict k11 = st->krow[11], *restrict k12 = st->krow[12];
    double num = 0.0, den = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double df = k12[i] - k11[i], dy = yn[i] - w[i];
        num += df * df;
        den += dy * dy;
    }
    return den > 0.0 ? fabs(h) * sqrt(num / den) : 0.0;
}

static const rk_tableau dop853_tab = {
    .n_stages = DOP_STAGES,
    .n_rows = DOP_ROWS,
    .error_order = 7,
    .c = dop_c,
    .a = dop_a,
    .b = dop_a + (size_t)DOP_STAGES * (DOP_STAGES - 1) / 2,
    .e = NULL,
    .stages = dop853_stages,
    .error_norm = dop853_error_norm,
    .stiff_hlambda = dop853_stiff_hlambda,
    .stiff_boundary = 6.1,
};

static ivp_status dop853_alloc(ivp_stepper *s, ivp_error *err)
{
    return ivp_rk_alloc(s, &dop853_tab, err);
}

const ivp_method_type ivp_method_dop853 = {
    .alloc = dop853_alloc,
    .reset = ivp_rk_reset,
    .init = ivp_rk_init,
    .step = ivp_rk_step,
    .dense = dop853_dense,
    .free = ivp_rk_free,
};
