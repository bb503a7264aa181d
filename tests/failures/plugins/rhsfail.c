/* SPDX-License-Identifier: MIT
 * tests/failures/plugins/rhsfail.c - the oscillator y0' = y1, y1' = -y0 whose right-hand side
 * fails for every t > t_f: it returns 'code' (> 0 recoverable, < 0 fatal), or with code = 0
 * it returns 0 with a NaN in dydt[1]. No Jacobian of any kind (jac, jac_sparsity,
 * jac_values), so it also serves the spec errors that ask for the plugin's Jacobian or
 * pattern. For the failure tests of the implicit methods (tests/failures/test_failures.py).
 */
#include <math.h>

#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 2;
const char *const ivp_param_names[] = {"t_f", "code", NULL};

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    const double code = ctx->p[1];
    dydt[0] = y[1];
    dydt[1] = -y[0];
    if (t > ctx->p[0]) {
        if (code == 0.0) {
            dydt[1] = (double)NAN;
            return 0;
        }
        return (int)code;
    }
    return 0;
}
