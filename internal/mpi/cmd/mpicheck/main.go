//go:build mpi

// Command mpicheck checks and measures internal/mpi under mpirun; it is
// what scripts/mpi-test.sh runs. Build it with -tags mpi.
//
//	mpirun -np 3 mpicheck check          # Sum/Broadcast correctness, prints result digests
//	mpirun -np 3 mpicheck fail -rank 1   # rank 1 fails: all ranks must stop, exit non-zero
//	mpirun -np 2 mpicheck bench -reps 20 # time Sum of 203,530 and 2,570² numbers
//	mpirun -np 3 mpicheck fashion -n 3000 # shard loading of Fashion-MNIST with MPI
//	mpirun -np 2 mpicheck timing -n 0 -hidden 32 -reps 5 # full-batch gradient and HF iteration times
//	mpicheck compare -tol 1e-12 a.json b.json # saved models: weights and f agree?
//	mpicheck digest a.json                # digest of a saved model's weight and f bits
//
// compare and digest need no MPI (no mpirun): compare prints the largest
// relative difference of the weights (|a−b|/max(1,|a|)) and of f, and exits
// 1 when either exceeds -tol; digest prints an FNV-1a hash of the weights'
// and f's bits, so two runs can be checked for bitwise equality without the
// files' dates.
//
// check exits non-zero (through mpi.Fatal) on the first wrong result; on
// success rank 0 prints one line per vector length with a digest of the
// summed bits, so two runs with the same rank count can be compared.
package main

import (
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"slices"
	"sort"

	"github.com/bsum-go/bsum/internal/mpi"
	"github.com/bsum-go/bsum/models/dataset"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mpicheck check | fail -rank r | bench [-reps k] | fashion [-n n] | compare [-tol t] a.json b.json | digest a.json")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "compare", "digest":
		if err := modelFiles(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "mpicheck %s: %v\n", os.Args[1], err)
			os.Exit(1)
		}
		return
	}
	comm, err := mpi.Init()
	if err != nil {
		mpi.Fatal(err)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	failRank := fs.Int("rank", 1, "fail: the rank that fails")
	reps := fs.Int("reps", 10, "bench: repetitions per size")
	fashionN := fs.Int("n", 3000, "fashion: training samples to load (timing: 0 for all)")
	hidden := fs.Int("hidden", 32, "timing: hidden units of 784-hidden-10")
	cg := fs.Int("cg", 10, "timing: CG products per Hessian-free iteration")
	shards := fs.Int("shards", 1, "timing: column shards per rank")
	if err := fs.Parse(os.Args[2:]); err != nil {
		mpi.Fatal(err)
	}
	switch os.Args[1] {
	case "check":
		err = check(comm)
	case "fail":
		err = fail(comm, *failRank)
	case "bench":
		err = bench(comm, *reps)
	case "fashion":
		err = fashion(comm, *fashionN)
	case "timing":
		err = timing(comm, *fashionN, *hidden, *reps, *cg, *shards)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		mpi.Fatal(err)
	}
	if err := comm.Finalize(); err != nil {
		mpi.Fatal(err)
	}
}

// value is rank q's element i: mixed signs and magnitudes over 16 decades,
// so that the order of additions shows in the rounded sums.
func value(q, i int) float64 {
	return math.Sin(float64(i)*0.7+float64(q)*1.3) * math.Pow(10, float64((i*7+q*5)%17-8))
}

// fill sets x to rank q's values.
func fill(x []float64, q int) {
	for i := range x {
		x[i] = value(q, i)
	}
}

// digest hashes the bits of x.
func digest(x []float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, v := range x {
		u := math.Float64bits(v)
		for k := range b {
			b[k] = byte(u >> (8 * k))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

// sameOnAll reports an error unless x has the same bits on every rank: rank
// 0's copy is broadcast and compared.
func sameOnAll(c *mpi.Comm, x []float64, what string) error {
	ref := slices.Clone(x)
	if err := c.Broadcast(ref, 0); err != nil {
		return err
	}
	for i := range x {
		if math.Float64bits(ref[i]) != math.Float64bits(x[i]) {
			return fmt.Errorf("%s: element %d is %v here and %v on rank 0", what, i, x[i], ref[i])
		}
	}
	return nil
}

func check(c *mpi.Comm) error {
	size, rank := c.Size(), c.Rank()
	if l := mpi.LaunchedSize(); l != size && l != 0 {
		return fmt.Errorf("the launcher announces %d ranks, MPI has %d", l, size)
	}
	for _, n := range []int{0, 1, 2, 3, 5, 1000, 203530} {
		x := make([]float64, n)
		fill(x, rank)
		if err := c.Sum(x); err != nil {
			return err
		}
		// Expected: the left-to-right sum in rank order, computed here.
		want := make([]float64, n)
		part := make([]float64, n)
		reordered := 0
		for q := range size {
			fill(part, q)
			for i := range want {
				want[i] += part[i]
			}
		}
		for i := range want {
			if math.Float64bits(x[i]) != math.Float64bits(want[i]) {
				return fmt.Errorf("sum n=%d size=%d: element %d is %v, want %v (rank order)", n, size, i, x[i], want[i])
			}
			var rev float64
			for q := size - 1; q >= 0; q-- {
				rev += value(q, i)
			}
			if math.Float64bits(rev) != math.Float64bits(want[i]) {
				reordered++
			}
		}
		if err := sameOnAll(c, x, fmt.Sprintf("Sum n=%d", n)); err != nil {
			return err
		}
		// Native MPI_Allreduce, for comparison only.
		y := make([]float64, n)
		fill(y, rank)
		if err := c.AllreduceSum(y); err != nil {
			return err
		}
		diffSum := 0
		for i := range y {
			if math.Float64bits(y[i]) != math.Float64bits(x[i]) {
				diffSum++
			}
		}
		ref := slices.Clone(y)
		if err := c.Broadcast(ref, 0); err != nil {
			return err
		}
		diffRanks := 0
		for i := range y {
			if math.Float64bits(y[i]) != math.Float64bits(ref[i]) {
				diffRanks++
			}
		}
		agree := []float64{float64(diffRanks)}
		if err := c.Sum(agree); err != nil {
			return err
		}
		if rank == 0 {
			fmt.Printf("sum n=%d size=%d digest=%016x ok; reverse order would differ in %d elements; "+
				"MPI_Allreduce differs from Sum in %d elements and across ranks in %d\n",
				n, size, digest(x), reordered, diffSum, int(agree[0]))
		}
	}
	// Broadcast from every root.
	for root := range size {
		for _, n := range []int{1, 4097} {
			x := make([]float64, n)
			fill(x, rank)
			if err := c.Broadcast(x, root); err != nil {
				return err
			}
			for i := range x {
				if want := value(root, i); math.Float64bits(x[i]) != math.Float64bits(want) {
					return fmt.Errorf("broadcast n=%d root=%d: element %d is %v, want %v", n, root, i, x[i], want)
				}
			}
		}
	}
	if err := c.Broadcast(make([]float64, 1), size); err == nil {
		return errors.New("a broadcast from rank Size did not fail")
	}
	if rank == 0 {
		fmt.Printf("broadcast size=%d ok\n", size)
	}
	return nil
}

func fail(c *mpi.Comm, failRank int) error {
	x := []float64{1}
	if err := c.Sum(x); err != nil {
		return err
	}
	if c.Rank() == failRank%c.Size() {
		return errors.New("injected failure")
	}
	// The other ranks wait in a collective that the failed rank never joins.
	if err := c.Sum(x); err != nil {
		return err
	}
	return errors.New("the ranks that did not fail returned from a collective the failed rank never joined")
}

func bench(c *mpi.Comm, reps int) error {
	for _, n := range []int{203530, 2570 * 2570} {
		x := make([]float64, n)
		for _, m := range []struct {
			name string
			f    func([]float64) error
		}{{"Sum", c.Sum}, {"MPI_Allreduce", c.AllreduceSum}} {
			times := make([]float64, 0, reps)
			for range reps + 1 {
				fill(x, c.Rank())
				if err := c.Barrier(); err != nil {
					return err
				}
				t0 := mpi.Wtime()
				if err := m.f(x); err != nil {
					return err
				}
				dt := []float64{mpi.Wtime() - t0}
				// The slowest rank's time.
				all := make([]float64, c.Size())
				all[c.Rank()] = dt[0]
				if err := c.Sum(all); err != nil {
					return err
				}
				times = append(times, slices.Max(all))
			}
			times = times[1:] // the first call allocates and warms up
			sort.Float64s(times)
			if c.Rank() == 0 {
				fmt.Printf("bench %-13s n=%-8d size=%d bytes=%-9d median %.3f ms  min %.3f ms  (%d reps)\n",
					m.name, n, c.Size(), 8*n, 1e3*times[len(times)/2], 1e3*times[0], reps)
			}
		}
	}
	return nil
}

// fashion loads this rank's shard of the first n standardised
// Fashion-MNIST training samples and checks it, and the Scaler, bit for bit
// against the same columns of an unsharded load.
func fashion(c *mpi.Comm, n int) error {
	opt := dataset.FashionMNISTOptions{TrainN: n, TestN: n / 6, Standardize: true}
	train, test, trSh, teSh, err := dataset.FashionMNISTShard(opt, c)
	if err != nil {
		return err
	}
	wholeTrain, wholeTest, err := dataset.FashionMNIST(opt)
	if err != nil {
		return err
	}
	if !slices.Equal(train.Scaler.Mean, wholeTrain.Scaler.Mean) || !slices.Equal(train.Scaler.Std, wholeTrain.Scaler.Std) {
		return errors.New("fashion: the shard's Scaler differs from the unsharded one")
	}
	for _, p := range []struct {
		name        string
		part, whole *dataset.Set
		sh          dataset.Shard
	}{{"train", train, wholeTrain, trSh}, {"test", test, wholeTest, teSh}} {
		m := p.sh.Hi - p.sh.Lo
		if p.part.N != m || p.sh.N != p.whole.N {
			return fmt.Errorf("fashion %s: shard %+v holds %d samples of %d", p.name, p.sh, p.part.N, p.whole.N)
		}
		for i := range p.whole.In {
			got := p.part.X[i*m : (i+1)*m]
			want := p.whole.X[i*p.whole.N+p.sh.Lo : i*p.whole.N+p.sh.Hi]
			if !slices.Equal(got, want) {
				return fmt.Errorf("fashion %s: pixel %d of the shard differs from the unsharded set", p.name, i)
			}
		}
	}
	counts := []float64{float64(train.N), float64(test.N)}
	if err := c.Sum(counts); err != nil {
		return err
	}
	if c.Rank() == 0 {
		fmt.Printf("fashion size=%d: shards of %d+%d samples equal the unsharded standardised sets bit for bit\n",
			c.Size(), int(counts[0]), int(counts[1]))
	}
	return nil
}
