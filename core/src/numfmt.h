/* SPDX-License-Identifier: MIT
 * core/src/numfmt.h - private: the text a double is written as in specs and messages.
 */
#ifndef IVP_SRC_NUMFMT_H
#define IVP_SRC_NUMFMT_H

/* Writes d into buf and returns buf: the first of printf's "%.15g", "%.16g", "%.17g" of d that
 * strtod reads back as d (the "%.17g" text when neither shorter one does; the "%.15g" text for
 * an infinity or a NaN). The bytes are exactly those of that loop (tests/spec/test_numfmt.c
 * compares them), but most doubles of magnitude about 1e-15 to 1e46 are formatted from exact
 * integer arithmetic, without printf or strtod; the others take the loop itself. Thread-safe;
 * the result depends on no locale (the C locale is assumed, as everywhere in ivp). */
const char *ivp_numfmt_shortest(double d, char buf[32]);

#endif /* IVP_SRC_NUMFMT_H */
