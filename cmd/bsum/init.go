package main

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/models"
)

// initialWeights reads the --init model file and returns the weights to
// start from, in the order of setup's network, and the iteration the run
// continues from (the saved run's last iteration + 1), so that step-size
// schedules, the cyclic block order and the history's iteration numbers
// continue. The model must have been trained on data scaled the same way:
// its weights mean nothing on differently scaled inputs, so a different
// scaler (other data, other features, another target scaling) is refused.
// Every problem is bad input (exit 2).
func initialWeights(path string, setup *trainSetup) (graph.Weights, int, error) {
	m, err := models.Load(path)
	if err != nil {
		return nil, 0, badData(fmt.Errorf("--init: %w", err))
	}
	w, err := m.WeightsFor(setup.net)
	if err != nil {
		var mis *models.MismatchError
		if errors.As(err, &mis) {
			return nil, 0, badData(fmt.Errorf("--init %s does not fit the network of this run (--arch, --kind, --bias): %w", path, err))
		}
		return nil, 0, badData(fmt.Errorf("--init %s: %w", path, err))
	}
	if !reflect.DeepEqual(m.Scaler, setup.set.Scaler) {
		return nil, 0, badData(fmt.Errorf("--init %s was trained on data scaled differently (features, their means and deviations, or the target scaling differ); resume on the same --data, --features, --target and --output-activation", path))
	}
	_, start := m.Resume()
	return w, start, nil
}
