package solvers_test

import (
	"context"
	"fmt"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
	"github.com/bsum-go/bsum/solvers"
)

// Hessian-free training of the BodyFat network: Gauss-Newton products on a
// tenth of each batch of 100, at most 30 CG products per model, Nielsen
// damping by the gain ratio on the batch. No p×p matrix is formed.
func ExampleHessianFree() {
	set, _ := dataset.BodyFatRegression()
	net, _ := models.BodyFat().Net()
	data := solvers.Data{X: set.X, Y: set.Y, N: set.N}

	m := solvers.HessianFree(solvers.HFOptions{CurvatureFraction: 0.1, CGIters: 30})
	m.Batches = solvers.FixedBatch(100) // the gradient and gain ratio use the batch, the curvature 10 of its columns
	res, err := solvers.Minimize(context.Background(), net, data, nil, m, solvers.Settings{MaxIter: 200, Seed: 1, FullEvalEvery: 50})
	if err != nil {
		panic(err)
	}
	fmt.Println(m)
	fmt.Println("normalised MSE below 0.5:", res.NormMSE < 0.5)
	fmt.Println("explicit curvature matrices:", res.Stats.GaussNewtonMatrix+res.Stats.Hessian)
	// Output:
	// HF (curvature 0.1 of the batch, CG ≤ 30)
	// normalised MSE below 0.5: true
	// explicit curvature matrices: 0
}
