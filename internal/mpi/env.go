package mpi

import (
	"os"
	"strconv"
)

// launcherSizeVars are the environment variables in which MPI launchers
// announce the number of ranks: Open MPI's mpirun, PMIx and MPICH/Hydra
// (PMI).
var launcherSizeVars = []string{"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}

// LaunchedSize returns the number of ranks that an MPI launcher (mpirun,
// mpiexec, srun) announces in this process's environment, or 0 if the
// process was not started by one. It works with or without the build tag
// mpi, so a binary built without MPI can refuse to run as one of several
// ranks (each would otherwise do the whole job and write the same files).
func LaunchedSize() int {
	for _, v := range launcherSizeVars {
		if s, ok := os.LookupEnv(v); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}
