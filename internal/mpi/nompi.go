//go:build !mpi

package mpi

import (
	"errors"
	"fmt"
	"os"
)

// ErrNotBuilt is returned by Init and by every Comm method in a binary
// built without the build tag mpi.
var ErrNotBuilt = errors.New("mpi: this binary was built without MPI support; " +
	"install Open MPI (apt-get install -y libopenmpi-dev openmpi-bin) and build with -tags mpi")

// Available reports whether this binary was built with MPI support (the
// build tag mpi). It is false here.
func Available() bool { return false }

// Comm is the MPI world communicator. Without the build tag mpi there is
// none: Init never returns a Comm and every method reports ErrNotBuilt.
// It is safe for concurrent use (it has no state).
type Comm struct{}

// Init returns ErrNotBuilt: MPI support needs the build tag mpi.
func Init() (*Comm, error) { return nil, ErrNotBuilt }

// Finalize returns ErrNotBuilt.
func (*Comm) Finalize() error { return ErrNotBuilt }

// Rank returns 0 (a binary without MPI is a single process).
func (*Comm) Rank() int { return 0 }

// Size returns 1 (a binary without MPI is a single process).
func (*Comm) Size() int { return 1 }

// Sum returns ErrNotBuilt.
func (*Comm) Sum(x []float64) error { return ErrNotBuilt }

// AllreduceSum returns ErrNotBuilt.
func (*Comm) AllreduceSum(x []float64) error { return ErrNotBuilt }

// Broadcast returns ErrNotBuilt.
func (*Comm) Broadcast(x []float64, root int) error { return ErrNotBuilt }

// Barrier returns ErrNotBuilt.
func (*Comm) Barrier() error { return ErrNotBuilt }

// Abort exits this process with the given code.
func (*Comm) Abort(code int) { os.Exit(code) }

// Fatal prints "rank 0: err" on standard error and exits with code 1 (a
// binary without MPI is the single rank 0).
func Fatal(err error) {
	fmt.Fprintf(os.Stderr, "rank 0: %v\n", err)
	os.Exit(1)
}
