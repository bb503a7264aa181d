/* SPDX-License-Identifier: MIT
 * tests/plugin/plugins/no_rhs.c - a plugin without the required 'rhs'.
 */
#include "ivp_plugin.h"

IVP_PLUGIN_ABI;
const size_t ivp_dim = 1;
