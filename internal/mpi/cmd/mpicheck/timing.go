//go:build mpi

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/mpi"
	"github.com/bsum-go/bsum/losses"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// timing measures, on each rank's shard of Fashion-MNIST (n training
// images, 0 for all 60,000) and a 784-hidden-10 tanh network with biases
// and softmax cross-entropy: the wall time of one full-batch gradient of
// every block (reduced across ranks), and of one Hessian-free iteration
// (LM-damped Gauss-Newton CG with cg products on the whole batch), on
// shards column shards per rank. Rank 0 prints the median of reps runs.
func timing(comm *mpi.Comm, n, hidden, reps, cg, shards int) error {
	train, _, sh, _, err := dataset.FashionMNISTShard(dataset.FashionMNISTOptions{TrainN: n, TestN: 1, Standardize: true}, comm)
	if err != nil {
		return err
	}
	spec := models.MLP("tanh", 784, hidden, 10)
	spec.Output, spec.Loss, spec.Bias = "identity", losses.NameSoftmaxCrossEntropy, true
	net, err := spec.Net()
	if err != nil {
		return err
	}
	w := net.Init(rand.New(rand.NewPCG(1, 2)))
	p := 0
	for _, b := range net.Blocks() {
		p += b.Size()
	}
	ev, err := net.NewSharded(train.N, graph.ShardConfig{Shards: max(1, min(shards, train.N)), Total: sh.N, Reducer: comm})
	if err != nil {
		return err
	}
	if err := ev.SetBatch(train.X, train.Y); err != nil {
		return err
	}
	grads := make([][]float64, net.NumBlocks())
	for j, b := range net.Blocks() {
		grads[j] = make([]float64, b.Size())
	}
	times := make([]float64, 0, reps)
	for r := 0; r <= reps; r++ { // the first is a warm-up
		w[0][0] += 1e-9 // new weights: no memoised values
		if err := comm.Barrier(); err != nil {
			return err
		}
		t0 := mpi.Wtime()
		if err := ev.SetWeights(w); err != nil {
			return err
		}
		for j := range grads {
			if err := ev.Grad(j, grads[j]); err != nil {
				return err
			}
		}
		if r > 0 {
			times = append(times, mpi.Wtime()-t0)
		}
	}
	tGrad := median(times)

	m := solvers.HessianFree(solvers.HFOptions{CurvatureFraction: 1, CGIters: cg, Progress: -1})
	if err := comm.Barrier(); err != nil {
		return err
	}
	t0 := mpi.Wtime()
	res, err := solvers.Minimize(context.Background(), net, solvers.Data{X: train.X, Y: train.Y, N: train.N}, w, m,
		solvers.Settings{MaxIter: reps, FullEvalEvery: -1, Shards: shards, Partition: &solvers.Partition{Reducer: comm, Lo: sh.Lo, N: sh.N}})
	if err != nil {
		return err
	}
	tHF := (mpi.Wtime() - t0) / float64(len(res.History))
	if comm.Rank() == 0 {
		load, _ := os.ReadFile("/proc/loadavg")
		fmt.Printf("timing ranks=%d shards/rank=%d N=%d 784-%d-10 p=%d: full-batch gradient (all blocks) %.3f s (median of %d); "+
			"HF iteration (one block, %d GN products, %d gradients in %d iterations) %.3f s; load average %s\n",
			comm.Size(), shards, sh.N, hidden, p, tGrad, reps, res.Stats.GaussNewton/len(res.History), res.Stats.Gradient, len(res.History), tHF,
			strings.Join(strings.Fields(string(load))[:3], " "))
	}
	return nil
}

// median returns the median of x (x is reordered).
func median(x []float64) float64 {
	slices.Sort(x)
	k := len(x) / 2
	if len(x)%2 == 1 {
		return x[k]
	}
	return (x[k-1] + x[k]) / 2
}
