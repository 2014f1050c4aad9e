//go:build mpi

package main

import (
	"fmt"

	"github.com/bsum-go/bsum/internal/mpi"
)

// startDist initialises MPI when mpirun (or another launcher) started this
// process as one of several ranks, and returns nil for a lone process.
func startDist() (*distRun, error) {
	if mpi.LaunchedSize() <= 1 {
		return nil, nil
	}
	c, err := mpi.Init()
	if err != nil {
		return nil, failure(fmt.Errorf("starting MPI: %w", err))
	}
	return &distRun{red: c, fatal: mpi.Fatal, finish: c.Finalize}, nil
}
