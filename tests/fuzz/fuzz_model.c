/* SPDX-License-Identifier: MIT
 * tests/fuzz/fuzz_model.c - fuzz target for expression models (core/src/model/): the input is
 * the JSON text of a "model" object. Beyond the sanitizers' "no crash, no leak, no undefined
 * behaviour" it checks the model's promises:
 *  - ivp_model_parse_text returns a model, or NULL with IVP_ERR_SPEC / IVP_ERR_NOMEM and a
 *    message that starts with the JSON path "$.model";
 *  - an accepted model generates C, which is printable ASCII only (nothing from the input but
 *    numbers and declared names reaches it), and a sample of it compiles: every
 *    FUZZ_MODEL_COMPILE_EVERY-th accepted input (environment; default 64 under libFuzzer, 1 in
 *    the replay program, 0 never) goes through `$CC -fsyntax-only` (default cc).
 * A broken promise calls abort(). Built like fuzz_spec.c (tests/fuzz/CMakeLists.txt).
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivp/model.h"

#ifndef FUZZ_PLUGIN_INCLUDE
#define FUZZ_PLUGIN_INCLUDE "."
#endif
#ifndef FUZZ_COMPILE_DEFAULT
#define FUZZ_COMPILE_DEFAULT 64
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_model: broken promise: %s\n", what);
        abort();
    }
}

static void fuzz_compile(const char *c, size_t len)
{
    char path[] = "/tmp/ivp-fuzz-model-XXXXXX.c", cmd[512];
    const char *cc = getenv("CC");
    int fd = mkstemps(path, 2), rc;
    FILE *f;
    fuzz_check(fd >= 0, "cannot create a temporary file");
    f = fdopen(fd, "w");
    fuzz_check(f != NULL && fwrite(c, 1, len, f) == len && fclose(f) == 0,
               "cannot write the generated C");
    snprintf(cmd, sizeof cmd, "%s -std=c99 -fsyntax-only -I'%s' '%s'",
             cc != NULL && cc[0] != '\0' ? cc : "cc", FUZZ_PLUGIN_INCLUDE, path);
    rc = system(cmd);
    unlink(path);
    fuzz_check(rc == 0, "the generated C does not compile");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long accepted;
    static long every = -1;
    ivp_error err;
    ivp_model *m;
    char *c;
    size_t len = 0, k;

    if (every < 0) {
        const char *e = getenv("FUZZ_MODEL_COMPILE_EVERY");
        every = e != NULL ? strtol(e, NULL, 10) : FUZZ_COMPILE_DEFAULT;
    }
    ivp_error_clear(&err);
    m = ivp_model_parse_text((const char *)data, size, "$.model", &err);
    if (m == NULL) {
        fuzz_check(err.status == IVP_ERR_SPEC || err.status == IVP_ERR_NOMEM,
                   "a rejected model has an error status");
        fuzz_check(strncmp(err.msg, "$.model", 7) == 0, "an error names the JSON path");
        return 0;
    }
    fuzz_check(ivp_model_dim(m) >= 1, "a model has a state");
    c = ivp_model_emit_c(m, &len);
    fuzz_check(c != NULL && strlen(c) == len, "an accepted model generates C");
    for (k = 0; k < len; k++) {
        fuzz_check(c[k] == '\n' || (c[k] >= 0x20 && c[k] < 0x7f), "the C is printable ASCII");
    }
    accepted++;
    if (every > 0 && accepted % (unsigned long)every == 0 && len < 2000000) {
        fuzz_compile(c, len);
    }
    free(c);
    ivp_model_free(m);
    return 0;
}
