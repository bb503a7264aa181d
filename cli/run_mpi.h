/* SPDX-License-Identifier: MIT
 * cli/run_mpi.h - `ivp run` under mpirun or srun (contracts.md section 5), built with
 * -DIVP_MPI=ON (OpenMPI); without it, a single process whose functions below are trivial.
 *
 * MPI is initialised only when an MPI launcher started the process (OMPI_COMM_WORLD_SIZE,
 * PMIX_RANK or PMI_RANK in the environment), so a plain `ivp run` of the MPI build is the serial
 * program. Under P > 1 ranks an ensemble is solved by all of them: rank 0 hands out members
 * dynamically, solves some itself, and is the only one that writes (the same writer and the same
 * file as the threaded run); a single run is done by rank 0 alone.
 */
#ifndef IVP_CLI_RUN_MPI_H
#define IVP_CLI_RUN_MPI_H

#include <stdio.h>

#include "ivp/ensemble.h"

#ifdef IVP_MPI

/* From main(): initialises MPI when launched by an MPI launcher. Returns 0, or an exit code. */
int run_mpi_init(int *argc, char ***argv);
/* From main(), before returning: finalises MPI if it was initialised. */
void run_mpi_finalize(void);
/* This process's rank (0 without MPI) and the number of ranks (1 without MPI). */
int run_mpi_rank(void);
int run_mpi_size(void);
/* ivp_ensemble_run over every rank (the same configuration on each: the same spec and
 * command line). Only rank 0 calls cfg->output (every member, in order) and fills sum; the
 * other ranks return IVP_OK once rank 0 has nothing more for them, or an error they also sent
 * to rank 0 (which then fails the run with that message). With one rank: ivp_ensemble_run. */
ivp_status run_mpi_ensemble_run(const ivp_ensemble_config *cfg, ivp_ensemble_summary *sum,
                                ivp_error *err);
/* On rank 0 after an ensemble over several ranks: prints "ivp: MPI: P ranks x -j J; members
 * per rank: n0 n1 ..." (the members handed to each rank) to f; nothing otherwise. */
void run_mpi_print_summary(FILE *f);

#else

static inline void run_mpi_print_summary(FILE *f)
{
    (void)f;
}

static inline int run_mpi_rank(void)
{
    return 0;
}
static inline int run_mpi_size(void)
{
    return 1;
}
static inline ivp_status run_mpi_ensemble_run(const ivp_ensemble_config *cfg,
                                              ivp_ensemble_summary *sum, ivp_error *err)
{
    return ivp_ensemble_run(cfg, sum, err);
}

#endif

#endif /* IVP_CLI_RUN_MPI_H */
