/* SPDX-License-Identifier: MIT
 * The plugin ABI header first, then the solver's: the same types either way. */
#include "ivp_plugin.h"
#include "ivp/solve.h"

int header_order_b(const ivp_ctx *ctx);

int header_order_b(const ivp_ctx *ctx)
{
    ivp_rhs_fn *f = rhs;
    ivp_system sys = {.n = ctx->n, .rhs = f, .ctx = ctx};
    return (int)sys.n + IVP_PLUGIN_ABI_VERSION;
}
