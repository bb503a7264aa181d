/* SPDX-License-Identifier: MIT
 * core/src/plugin_header.h - the plugin ABI header built into the library (private).
 *
 * plugins/ivp_plugin.h is compiled into ivp_core (CMake generates plugin_header_data.h from
 * it), so `ivp build` and on-demand builds can write it next to the build cache and compile
 * plugins wherever ivp is installed, without the source tree.
 */
#ifndef IVP_SRC_PLUGIN_HEADER_H
#define IVP_SRC_PLUGIN_HEADER_H

#include <stddef.h>

#include "ivp/status.h"

/* File name the header is written under (what plugins #include). */
#define IVP_PLUGIN_HEADER_NAME "ivp_plugin.h"

/* The bytes of plugins/ivp_plugin.h this library was built with, in static storage (not
 * NUL-terminated); *len receives their number. */
const unsigned char *ivp_plugin_header_data(size_t *len);

/* Makes <dir>/ivp_plugin.h hold exactly those bytes. A file that already matches is left
 * alone (no write, so its mtime is kept) if it is a regular file only this user can change;
 * otherwise the bytes go to a temporary file in dir that
 * is renamed into place, so concurrent callers never see a partial header. dir must exist.
 * Returns IVP_OK, or IVP_ERR_BUILD (a plugin cannot be built without the header) with the path
 * and the system's reason; the existing file, if any, is then unchanged. */
ivp_status ivp_plugin_header_install(const char *dir, ivp_error *err);

#endif /* IVP_SRC_PLUGIN_HEADER_H */
