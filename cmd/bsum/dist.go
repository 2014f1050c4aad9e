package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/mpi"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// distRun is the MPI state of a data-parallel `bsum train` (one rank of an
// mpirun job, binary built with -tags mpi; see mpi_on.go): the reducer,
// the shard of the training data this rank holds, and how to leave. Every
// rank loads only its shard and runs the same solver on it
// (solvers.Partition); rank 0 alone prints and writes files. It belongs to
// one command run and is not safe for concurrent use.
type distRun struct {
	red   graph.Reducer
	shard dataset.Shard // this rank's training rows of the whole set
	// fatal prints "rank r: err" and stops every rank (mpi.Fatal).
	fatal func(error)
	// finish shuts MPI down (every rank must call it).
	finish func() error
}

// root reports whether this rank writes outputs (rank 0).
func (d *distRun) root() bool { return d.red.Rank() == 0 }

// partition is the solvers.Partition of this rank's training rows.
func (d *distRun) partition() *solvers.Partition {
	return &solvers.Partition{Reducer: d.red, Lo: d.shard.Lo, N: d.shard.N}
}

// globalN is the number of training rows over all ranks (n, the local
// count, in a one-process run).
func (f *trainFlags) globalN(n int) int {
	if f.dist != nil {
		return f.dist.shard.N
	}
	return n
}

// writesOutputs reports whether this process prints results and writes
// files: always in a one-process run, on rank 0 alone under MPI.
func (f *trainFlags) writesOutputs() bool { return f.dist == nil || f.dist.root() }

// trainCommand runs `bsum train`: as one process, or as one rank of an MPI
// job when launched by mpirun with several ranks (startDist). Under MPI an
// error that the ranks may not share (loading, setup) stops every rank
// with this rank's message and exit code 1 (mpi.Fatal); a run that ended
// (also by failing, or interrupted: the ranks agree on that) waits until
// rank 0 has written its files, then every rank exits with the same code.
func trainCommand(cmd *cobra.Command, f *trainFlags) error {
	start := startDist
	if testHookStartDist != nil {
		start = testHookStartDist
	}
	d, err := start()
	if err != nil {
		return err
	}
	if d == nil {
		return train(cmd.Context(), cmd, f)
	}
	f.dist = d
	if !d.root() {
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
	}
	err = train(cmd.Context(), cmd, f)
	var done errReported
	if err != nil && !errors.As(err, &done) {
		d.fatal(err)
	}
	// Rank 0 has written its outputs when it arrives here.
	if serr := d.red.Sum(make([]float64, 1)); serr != nil {
		d.fatal(fmt.Errorf("waiting for rank 0's outputs: %w", serr))
	}
	if ferr := d.finish(); ferr != nil && err == nil {
		return failure(ferr)
	}
	return err
}

// testHookStartDist, if set, replaces startDist (tests run ranks as
// goroutines with an in-process Reducer).
var testHookStartDist func() (*distRun, error)

// loadTable is loadTable for one rank: the rows of its shard only (a CSV
// file through dataset.LoadCSVShard, the embedded BodyFat table through
// Table.Shard), scaled with statistics of all rows (Table.BuildShard).
func (d *distRun) loadTable(f *trainFlags, columns []string, cfg dataset.Config) (*dataset.Set, string, error) {
	rank, size := d.red.Rank(), d.red.Size()
	var tab *dataset.Table
	var err error
	switch f.data {
	case "-":
		return nil, "", usageErrorf("--data - (standard input) cannot be split across %d MPI ranks: give a CSV file", size)
	case bodyFatName:
		var all *dataset.Table
		if all, err = dataset.BodyFat(); err != nil {
			return nil, "", badData(err)
		}
		tab, d.shard, err = all.Shard(rank, size)
	default:
		tab, d.shard, err = dataset.LoadCSVShard(f.data, columns, rank, size)
	}
	if err != nil {
		return nil, "", badData(err)
	}
	set, err := tab.BuildShard(cfg, d.red)
	if err != nil {
		return nil, "", badData(err)
	}
	return set, tab.Name, nil
}

// loadFashion is loadFashion for one rank: its shard of the training
// images (dataset.FashionMNISTShard); rank 0 also loads the whole test set,
// which it alone classifies after the run.
func (d *distRun) loadFashion(f *trainFlags) (train, test *dataset.Set, err error) {
	opt := dataset.FashionMNISTOptions{Dir: f.dataDir, TrainN: f.trainN, TestN: f.testN}
	train, _, d.shard, _, err = dataset.FashionMNISTShard(opt, d.red)
	if err != nil {
		return nil, nil, fashionError(err)
	}
	if d.root() {
		opt.TrainN = 1 // the test set alone (no Scaler: pixels are scaled by a fixed rule)
		if _, test, err = dataset.FashionMNIST(opt); err != nil {
			return nil, nil, fashionError(err)
		}
	}
	return train, test, nil
}

// partition is the run's solvers.Partition (nil for one process).
func (f *trainFlags) partition() *solvers.Partition {
	if f.dist == nil {
		return nil
	}
	return f.dist.partition()
}

// oneProcess refuses to run command as one of several MPI ranks: it has
// no data-parallel mode, and every rank would write the same output.
func oneProcess(command string) error {
	if n := mpi.LaunchedSize(); n > 1 {
		return usageErrorf("%s runs as one process, but mpirun started %d ranks: run it without mpirun (only bsum train is data-parallel)", command, n)
	}
	return nil
}
