package solvers_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// Hold out a fifth of BodyFat for validation, train LM with early stopping
// (patience 10 validated records), stop at a goal or when f stalls, and
// watch the run with an observer that may stop it too.
func Example_earlyStopping() {
	set, _ := dataset.BodyFatRegression()
	net, _ := models.BodyFat().Net()
	train, val, err := solvers.Data{X: set.X, Y: set.Y, N: set.N}.Split(net.In(), 0.2, 1)
	if err != nil {
		panic(err)
	}
	// An observer that stops a diverging run: w is the run's own, read it
	// during the call and Clone it to keep it.
	watch := solvers.ObserverFunc(func(r solvers.Record, w graph.Weights) error {
		if !w.AllFinite() || r.ValMetric > 100 {
			return fmt.Errorf("validation nMSE %g at iteration %d: diverging", r.ValMetric, r.K)
		}
		return nil
	})
	var log strings.Builder
	s := solvers.Settings{
		MaxIter:    2000,
		Seed:       1,
		Validation: &val,
		Patience:   10,
		Convergers: []solvers.Converger{solvers.Goal{F: 1e-6}, solvers.RelativeChange{Tol: 1e-9}},
		Observers:  []solvers.Observer{watch, &solvers.Printer{W: &log, Every: 500}},
	}
	res, err := solvers.Minimize(context.Background(), net, train, nil, solvers.LM(), s)
	if err != nil {
		panic(err)
	}
	lines := strings.Split(log.String(), "\n")
	fmt.Println(lines[0])
	fmt.Println(lines[1])
	last := res.Last()
	fmt.Println("status:", res.Status)
	fmt.Println("stopped", last.K-res.Best.K, "validated records after the best")
	fmt.Println("returned weights are the best:", res.ValLoss == res.Best.ValLoss && res.ValLoss < last.ValLoss)
	fmt.Println("one Gauss-Newton matrix per block update:", res.Stats.GaussNewtonMatrix == len(res.History))
	// Output:
	// LM, 4 blocks, iterations 1..2000
	//     iter              f     val nMSE        ‖∇f‖           α           γ
	// status: early stopped
	// stopped 10 validated records after the best
	// returned weights are the best: true
	// one Gauss-Newton matrix per block update: true
}
