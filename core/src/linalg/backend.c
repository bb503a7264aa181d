/* SPDX-License-Identifier: MIT
 * core/src/linalg/backend.c - loading LAPACK, KLU, UMFPACK and AMD on first use (see
 * backend.h), and the BLAS thread request.
 */
#define _POSIX_C_SOURCE 200809L

#include "linalg/backend.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivp/solve.h"

/* Sonames: the major versions of the headers the core was compiled against (CMake may pass
 * others). */
#define IVP_STR_(x) #x
#define IVP_STR(x) IVP_STR_(x)
#ifndef IVP_LAPACK_SONAME
#define IVP_LAPACK_SONAME "liblapack.so.3"
#endif
#ifndef IVP_KLU_SONAME
#define IVP_KLU_SONAME "libklu.so." IVP_STR(KLU_MAIN_VERSION)
#endif
#ifndef IVP_UMFPACK_SONAME
#define IVP_UMFPACK_SONAME "libumfpack.so." IVP_STR(UMFPACK_MAIN_VERSION)
#endif
#ifndef IVP_AMD_SONAME
#define IVP_AMD_SONAME "libamd.so." IVP_STR(AMD_MAIN_VERSION)
#endif

/* One library: its table, and the outcome of the one attempt to load it. */
typedef struct backend_lib {
    const char *soname;
    const char *package;             /* Debian package that provides it */
    const char *what;                /* what ivp uses it for */
    const char *const *symbols;      /* NULL-terminated */
    void (*fill)(void *const *syms); /* copies the resolved symbols into the table */
    const void *table;
    void *handle;
    int ok;
    char reason[256]; /* why loading failed */
    pthread_once_t once;
} backend_lib;

static const char *const lapack_symbols[] = {"dgetrf_", "dgetrs_", "zgetrf_", "zgetrs_", "dgbtrf_",
                                             "dgbtrs_", "zgbtrf_", "zgbtrs_", NULL};
static const char *const klu_symbols[] = {
    "klu_defaults",   "klu_analyze", "klu_factor",       "klu_z_factor",      "klu_refactor",
    "klu_z_refactor", "klu_rcond",   "klu_z_rcond",      "klu_rgrowth",       "klu_z_rgrowth",
    "klu_solve",      "klu_z_solve", "klu_free_numeric", "klu_free_symbolic", NULL};
static const char *const umfpack_symbols[] = {"umfpack_dl_defaults",
                                              "umfpack_zl_defaults",
                                              "umfpack_dl_symbolic",
                                              "umfpack_zl_symbolic",
                                              "umfpack_dl_numeric",
                                              "umfpack_zl_numeric",
                                              "umfpack_dl_wsolve",
                                              "umfpack_zl_wsolve",
                                              "umfpack_dl_free_numeric",
                                              "umfpack_zl_free_numeric",
                                              "umfpack_dl_free_symbolic",
                                              "umfpack_zl_free_symbolic",
                                              NULL};
static const char *const amd_symbols[] = {"amd_l_order", NULL};

static ivp_lapack_api lapack_table;
static ivp_klu_api klu_table;
static ivp_umfpack_api umfpack_table;
static ivp_amd_api amd_table;

/* POSIX guarantees that a function's address round-trips through dlsym's void *. */
#define SET(member, k) memcpy(&(member), &syms[k], sizeof(member))

static void fill_lapack(void *const *syms)
{
    SET(lapack_table.dgetrf, 0);
    SET(lapack_table.dgetrs, 1);
    SET(lapack_table.zgetrf, 2);
    SET(lapack_table.zgetrs, 3);
    SET(lapack_table.dgbtrf, 4);
    SET(lapack_table.dgbtrs, 5);
    SET(lapack_table.zgbtrf, 6);
    SET(lapack_table.zgbtrs, 7);
}

static void fill_klu(void *const *syms)
{
    SET(klu_table.defaults, 0);
    SET(klu_table.analyze, 1);
    SET(klu_table.factor, 2);
    SET(klu_table.z_factor, 3);
    SET(klu_table.refactor, 4);
    SET(klu_table.z_refactor, 5);
    SET(klu_table.rcond, 6);
    SET(klu_table.z_rcond, 7);
    SET(klu_table.rgrowth, 8);
    SET(klu_table.z_rgrowth, 9);
    SET(klu_table.solve, 10);
    SET(klu_table.z_solve, 11);
    SET(klu_table.free_numeric, 12);
    SET(klu_table.free_symbolic, 13);
}

static void fill_umfpack(void *const *syms)
{
    SET(umfpack_table.dl_defaults, 0);
    SET(umfpack_table.zl_defaults, 1);
    SET(umfpack_table.dl_symbolic, 2);
    SET(umfpack_table.zl_symbolic, 3);
    SET(umfpack_table.dl_numeric, 4);
    SET(umfpack_table.zl_numeric, 5);
    SET(umfpack_table.dl_wsolve, 6);
    SET(umfpack_table.zl_wsolve, 7);
    SET(umfpack_table.dl_free_numeric, 8);
    SET(umfpack_table.zl_free_numeric, 9);
    SET(umfpack_table.dl_free_symbolic, 10);
    SET(umfpack_table.zl_free_symbolic, 11);
}

static void fill_amd(void *const *syms)
{
    SET(amd_table.l_order, 0);
}
#undef SET

/* The most symbols any one table takes. */
#define BACKEND_MAX_SYMBOLS 16

#define BACKEND_LIB(so, pkg, purpose, name)                                                        \
    {                                                                                              \
        .soname = (so), .package = (pkg), .what = (purpose), .symbols = name##_symbols,            \
        .fill = fill_##name, .table = &name##_table, .once = PTHREAD_ONCE_INIT                     \
    }

static backend_lib lib_lapack = BACKEND_LIB(IVP_LAPACK_SONAME, "liblapack3 (or libopenblas0)",
                                            "dense and banded LU", lapack);
static backend_lib lib_klu = BACKEND_LIB(IVP_KLU_SONAME, "libklu" IVP_STR(KLU_MAIN_VERSION),
                                         "sparse LU (KLU)", klu);
static backend_lib lib_umfpack = BACKEND_LIB(
    IVP_UMFPACK_SONAME, "libumfpack" IVP_STR(UMFPACK_MAIN_VERSION), "sparse LU (UMFPACK)", umfpack);
static backend_lib lib_amd = BACKEND_LIB(IVP_AMD_SONAME, "libamd" IVP_STR(AMD_MAIN_VERSION),
                                         "the sparse fill estimate (AMD)", amd);

/* ---- BLAS threads --------------------------------------------------------------------- */

/* Requested BLAS thread count (0: leave the BLAS alone), and OpenBLAS's setter once LAPACK is
 * loaded (NULL for another BLAS, or before). */
static atomic_int blas_threads_wanted;
static void (*_Atomic blas_set_threads)(int);

/* Applies the request unless the user chose a count in the environment. */
static void blas_apply(void (*set_threads)(int))
{
    int n = atomic_load(&blas_threads_wanted);
    if (set_threads == NULL || n <= 0 || getenv("OPENBLAS_NUM_THREADS") != NULL ||
        getenv("OMP_NUM_THREADS") != NULL) {
        return;
    }
    set_threads(n);
}

void ivp_set_blas_threads(int n)
{
    atomic_store(&blas_threads_wanted, n > 0 ? n : 0);
    blas_apply(atomic_load(&blas_set_threads));
}

/* ---- loading ---------------------------------------------------------------------------- */

static void backend_load(backend_lib *lib)
{
    void *syms[BACKEND_MAX_SYMBOLS];
    size_t k;
    const char *e;
    lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == NULL) {
        e = dlerror();
        snprintf(lib->reason, sizeof lib->reason, "%s", e != NULL ? e : "dlopen failed");
        return;
    }
    for (k = 0; lib->symbols[k] != NULL && k < BACKEND_MAX_SYMBOLS; k++) {
        (void)dlerror();
        syms[k] = dlsym(lib->handle, lib->symbols[k]);
        if (syms[k] == NULL) {
            e = dlerror();
            snprintf(lib->reason, sizeof lib->reason, "%s: no symbol %s%s%s", lib->soname,
                     lib->symbols[k], e != NULL ? ": " : "", e != NULL ? e : "");
            return; /* the handle stays open: harmless, and loading is not retried */
        }
    }
    lib->fill(syms);
    lib->ok = 1;
}

static void load_lapack(void)
{
    backend_load(&lib_lapack);
    if (lib_lapack.ok) {
        /* OpenBLAS (the library behind Debian's liblapack.so.3 when libopenblas0 is
         * installed): remember its thread setter and apply a pending request. */
        void *sym = dlsym(lib_lapack.handle, "openblas_set_num_threads");
        void (*set_threads)(int) = NULL;
        if (sym != NULL) {
            memcpy(&set_threads, &sym, sizeof sym);
        }
        atomic_store(&blas_set_threads, set_threads);
        blas_apply(set_threads);
    }
}
static void load_klu(void)
{
    backend_load(&lib_klu);
}
static void load_umfpack(void)
{
    backend_load(&lib_umfpack);
}
static void load_amd(void)
{
    backend_load(&lib_amd);
}

static const void *backend_get(backend_lib *lib, void (*load)(void), ivp_error *err)
{
    if (pthread_once(&lib->once, load) != 0 || !lib->ok) {
        ivp_error_set(err, IVP_ERR_LINALG,
                      "%s needs %s, which could not be loaded (%s); install the Debian package "
                      "%s",
                      lib->what, lib->soname, lib->reason[0] != '\0' ? lib->reason : "unknown",
                      lib->package);
        return NULL;
    }
    return lib->table;
}

const ivp_lapack_api *ivp_backend_lapack(ivp_error *err)
{
    return backend_get(&lib_lapack, load_lapack, err);
}

const ivp_klu_api *ivp_backend_klu(ivp_error *err)
{
    return backend_get(&lib_klu, load_klu, err);
}

const ivp_umfpack_api *ivp_backend_umfpack(ivp_error *err)
{
    return backend_get(&lib_umfpack, load_umfpack, err);
}

const ivp_amd_api *ivp_backend_amd(ivp_error *err)
{
    return backend_get(&lib_amd, load_amd, err);
}
