/* SPDX-License-Identifier: MIT
 * tests/cli/plugins/failing.c - y' = -y whose right-hand side fails fatally (returns -1) once
 * t > 1, so the solve stops with status -1 after its last step that ends at or before t = 1.
 * Built as a MODULE library by tests/cli/CMakeLists.txt.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;

int rhs(double t, const double *y, double *dydt, const ivp_ctx *ctx)
{
    (void)ctx;
    if (t > 1.0) {
        return -1;
    }
    dydt[0] = -y[0];
    return 0;
}
