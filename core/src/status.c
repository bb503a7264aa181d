/* SPDX-License-Identifier: MIT
 * core/src/status.c - status strings and the error record.
 */
#include "ivp/status.h"

#include <stdarg.h>
#include <stdio.h>

const char *ivp_status_str(ivp_status s)
{
    switch (s) {
#define IVP_STATUS_CASE_(name, value, text)                                                        \
    case name:                                                                                     \
        return text;
        IVP_STATUS_LIST(IVP_STATUS_CASE_)
#undef IVP_STATUS_CASE_
    }
    return "unknown status";
}

ivp_status ivp_error_set(ivp_error *err, ivp_status s, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->status = s;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}

void ivp_error_clear(ivp_error *err)
{
    if (err != NULL) {
        err->status = IVP_OK;
        err->msg[0] = '\0';
    }
}
