//go:build !mpi

package main

import "github.com/bsum-go/bsum/internal/mpi"

// startDist refuses to run as one of several MPI ranks: a binary built
// without the tag mpi cannot share the work, and every rank would train
// on all the data and write the same files. A lone process gets nil.
func startDist() (*distRun, error) {
	if n := mpi.LaunchedSize(); n > 1 {
		return nil, usageErrorf("launched by mpirun as %d ranks, but this bsum was built without MPI support: "+
			"rebuild with `go build -tags mpi ./cmd/bsum` (needs apt-get install -y libopenmpi-dev openmpi-bin)", n)
	}
	return nil, nil
}
