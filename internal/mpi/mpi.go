//go:build mpi

package mpi

/*
#cgo pkg-config: ompi-c
#include <stdlib.h>
#include <mpi.h>

static int bsum_init(int *provided) {
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
}
static int bsum_initialized(int *flag) { return MPI_Initialized(flag); }
static int bsum_finalized(int *flag) { return MPI_Finalized(flag); }
static int bsum_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int bsum_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static int bsum_errors_return(void) {
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static int bsum_alltoallv(double *send, int *scounts, int *sdispls,
		double *recv, int *rcounts, int *rdispls) {
	return MPI_Alltoallv(send, scounts, sdispls, MPI_DOUBLE,
		recv, rcounts, rdispls, MPI_DOUBLE, MPI_COMM_WORLD);
}
static int bsum_allgatherv(double *send, int scount, double *recv, int *rcounts, int *rdispls) {
	return MPI_Allgatherv(send, scount, MPI_DOUBLE, recv, rcounts, rdispls, MPI_DOUBLE, MPI_COMM_WORLD);
}
static int bsum_allreduce(double *x, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static int bsum_bcast(double *x, int n, int root) {
	return MPI_Bcast(x, n, MPI_DOUBLE, root, MPI_COMM_WORLD);
}
static int bsum_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int bsum_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static int bsum_finalize(void) { return MPI_Finalize(); }
static void bsum_error_string(int code, char *buf, int *len) { MPI_Error_string(code, buf, len); }
static double bsum_wtime(void) { return MPI_Wtime(); }
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"

	"github.com/bsum-go/bsum/graph"
)

// Available reports whether this binary was built with MPI support (the
// build tag mpi). It is true here.
func Available() bool { return true }

// state is the process-wide MPI state: MPI can be initialised once per
// process.
var state struct {
	mu    sync.Mutex
	comm  *Comm
	final bool
}

// Comm is MPI_COMM_WORLD as a graph.Reducer. It is safe for concurrent use
// in the sense that its calls are serialised by a mutex (MPI is initialised
// with MPI_THREAD_SERIALIZED), but collective calls must be made in the
// same order on every rank, so in practice one goroutine drives it.
type Comm struct {
	mu         sync.Mutex
	rank, size int
	buf        []float64 // scratch for Sum: (Size+1)·(a rank's share)
}

var _ graph.Reducer = (*Comm)(nil)

// Init initialises MPI (MPI_Init_thread with MPI_THREAD_SERIALIZED) and
// returns the world communicator. Later calls return the same Comm; after
// Finalize it returns an error. MPI errors are set to be returned rather
// than to abort, so they reach the caller as Go errors.
func Init() (*Comm, error) {
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.final {
		return nil, fmt.Errorf("mpi: Init after Finalize")
	}
	if state.comm != nil {
		return state.comm, nil
	}
	var provided C.int
	if err := check("MPI_Init_thread", C.bsum_init(&provided)); err != nil {
		return nil, err
	}
	if provided < C.MPI_THREAD_SERIALIZED {
		C.bsum_finalize()
		return nil, fmt.Errorf("mpi: MPI_Init_thread: the library provides thread level %d, need MPI_THREAD_SERIALIZED (%d)",
			int(provided), int(C.MPI_THREAD_SERIALIZED))
	}
	if err := check("MPI_Comm_set_errhandler", C.bsum_errors_return()); err != nil {
		return nil, err
	}
	var r, s C.int
	if err := check("MPI_Comm_rank", C.bsum_rank(&r)); err != nil {
		return nil, err
	}
	if err := check("MPI_Comm_size", C.bsum_size(&s)); err != nil {
		return nil, err
	}
	state.comm = &Comm{rank: int(r), size: int(s)}
	return state.comm, nil
}

// Finalize shuts MPI down (MPI_Finalize, a collective call: every rank
// must make it). Comm must not be used afterwards; a second call does
// nothing.
func (c *Comm) Finalize() error {
	state.mu.Lock()
	defer state.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if state.final {
		return nil
	}
	state.final = true
	return check("MPI_Finalize", C.bsum_finalize())
}

// Rank returns this process's rank in MPI_COMM_WORLD.
func (c *Comm) Rank() int { return c.rank }

// Size returns the number of ranks in MPI_COMM_WORLD.
func (c *Comm) Size() int { return c.size }

// counts returns the element counts and offsets of the ranks' ranges of
// an n-vector (graph.ShardRange), as C ints.
func (c *Comm) counts(n int) (cnt, off []C.int) {
	cnt, off = make([]C.int, c.size), make([]C.int, c.size)
	for r := range c.size {
		lo, hi := graph.ShardRange(n, r, c.size)
		cnt[r], off[r] = C.int(hi-lo), C.int(lo)
	}
	return cnt, off
}

// Sum replaces x on every rank by the element-wise sum over ranks, added
// in rank order 0, 1, …, Size−1 (see the package documentation): the
// result has the same bits on every rank and depends only on Size. Every
// rank must call Sum with the same len(x).
func (c *Comm) Sum(x []float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(x)
	if c.size == 1 || n == 0 {
		return nil
	}
	// Chunk r of x (rank r's range) goes to rank r; rank r receives its
	// range from every rank q at offset q·m, m = its range length.
	lo, hi := graph.ShardRange(n, c.rank, c.size)
	m := hi - lo
	if int64(m)*int64(c.size) > math.MaxInt32 {
		return fmt.Errorf("mpi: Sum of %d numbers over %d ranks: a rank's share exceeds the MPI count limit", n, c.size)
	}
	if cap(c.buf) < m*(c.size+1) {
		c.buf = make([]float64, m*(c.size+1))
	}
	recv, own := c.buf[:m*c.size], c.buf[m*c.size:m*(c.size+1)]
	scnt, soff := c.counts(n)
	rcnt, roff := make([]C.int, c.size), make([]C.int, c.size)
	for q := range c.size {
		rcnt[q], roff[q] = C.int(m), C.int(q*m)
	}
	if err := check("MPI_Alltoallv", C.bsum_alltoallv(ptr(x), &scnt[0], &soff[0], ptr(recv), &rcnt[0], &roff[0])); err != nil {
		return fmt.Errorf("mpi: Sum of %d numbers: %w", n, err)
	}
	copy(own, recv[:m])
	for q := 1; q < c.size; q++ {
		part := recv[q*m : (q+1)*m]
		for i, v := range part {
			own[i] += v
		}
	}
	if err := check("MPI_Allgatherv", C.bsum_allgatherv(ptr(own), C.int(m), ptr(x), &scnt[0], &soff[0])); err != nil {
		return fmt.Errorf("mpi: Sum of %d numbers: %w", n, err)
	}
	return nil
}

// AllreduceSum replaces x on every rank by MPI_Allreduce(MPI_SUM) of x.
// Open MPI chooses the algorithm, and so the order of the additions, by
// message size and rank count; the result is not guaranteed to be bitwise
// equal across ranks or to Sum. It exists to measure and compare; the
// solvers use Sum.
func (c *Comm) AllreduceSum(x []float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(x) == 0 {
		return nil
	}
	if len(x) > math.MaxInt32 {
		return fmt.Errorf("mpi: AllreduceSum of %d numbers exceeds the MPI count limit", len(x))
	}
	if err := check("MPI_Allreduce", C.bsum_allreduce(ptr(x), C.int(len(x)))); err != nil {
		return fmt.Errorf("mpi: AllreduceSum of %d numbers: %w", len(x), err)
	}
	return nil
}

// Broadcast copies the x of rank root to every rank (MPI_Bcast). Every
// rank must call it with the same len(x) and root.
func (c *Comm) Broadcast(x []float64, root int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if root < 0 || root >= c.size {
		return fmt.Errorf("mpi: Broadcast from rank %d of %d", root, c.size)
	}
	if len(x) == 0 || c.size == 1 {
		return nil
	}
	if len(x) > math.MaxInt32 {
		return fmt.Errorf("mpi: Broadcast of %d numbers exceeds the MPI count limit", len(x))
	}
	if err := check("MPI_Bcast", C.bsum_bcast(ptr(x), C.int(len(x)), C.int(root))); err != nil {
		return fmt.Errorf("mpi: Broadcast of %d numbers from rank %d: %w", len(x), root, err)
	}
	return nil
}

// Barrier blocks until every rank has called it (MPI_Barrier).
func (c *Comm) Barrier() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return check("MPI_Barrier", C.bsum_barrier())
}

// Wtime returns MPI_Wtime, seconds since an arbitrary point in the past.
func Wtime() float64 { return float64(C.bsum_wtime()) }

// Abort stops every rank of the job (MPI_Abort on MPI_COMM_WORLD) with
// the given exit code; mpirun then exits non-zero. It does not return.
func (c *Comm) Abort(code int) {
	C.bsum_abort(C.int(code))
	os.Exit(code) // MPI_Abort should not return; make sure this rank stops
}

// Fatal prints "rank r: err" on standard error and aborts the whole job
// with exit code 1 (MPI_Abort), so that a failure on one rank stops all
// ranks, which would otherwise wait for it in the next collective. Before
// Init (or after Finalize) it prints "rank ?: err" and exits this process
// with code 1. It does not return.
func Fatal(err error) {
	state.mu.Lock()
	c, final := state.comm, state.final
	state.mu.Unlock()
	if c == nil || final {
		fmt.Fprintf(os.Stderr, "rank ?: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "rank %d: %v\n", c.rank, err)
	os.Stderr.Sync()
	c.Abort(1)
}

// ptr returns the address of x[0] as a C double pointer (nil for empty x).
func ptr(x []float64) *C.double {
	if len(x) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&x[0]))
}

// check turns an MPI return code into an error naming the call.
func check(call string, code C.int) error {
	if code == C.MPI_SUCCESS {
		return nil
	}
	buf := make([]C.char, C.MPI_MAX_ERROR_STRING)
	var n C.int
	C.bsum_error_string(code, &buf[0], &n)
	return fmt.Errorf("mpi: %s: %s (code %d)", call, C.GoStringN(&buf[0], n), int(code))
}
