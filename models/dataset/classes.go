package dataset

import "fmt"

// ArgmaxColumns returns, for each of the n columns of the rows×n
// feature-major matrix m (m[k*n+j] is row k of column j), the row of its
// largest value; ties go to the first such row, and NaN is never the
// largest unless the whole column is NaN (then 0). Applied to predicted
// class scores or probabilities it gives the predicted classes; applied to
// one-hot targets, the true classes. It panics if len(m) != rows·n or
// rows < 1.
func ArgmaxColumns(m []float64, rows, n int) []int {
	if rows < 1 || n < 0 || len(m) != rows*n {
		panic(fmt.Sprintf("dataset: ArgmaxColumns: len %d for %d×%d", len(m), rows, n))
	}
	arg := make([]int, n)
	best := make([]float64, n)
	copy(best, m[:n])
	for k := 1; k < rows; k++ {
		row := m[k*n : (k+1)*n]
		for j, v := range row {
			if v > best[j] || (best[j] != best[j] && v == v) { // v > best, or best is NaN
				best[j], arg[j] = v, k
			}
		}
	}
	return arg
}

// Labels returns the class of every sample: the row of its largest target
// (see ArgmaxColumns), which for one-hot targets such as Fashion-MNIST's is
// the label.
func (s *Set) Labels() []int { return ArgmaxColumns(s.Y, s.Out, s.N) }

// Confusion counts predictions against true classes: c[t][p] is the number
// of samples of class t predicted as class p, for classes 0…k−1. Accuracy
// is the trace of c over len(truth). It returns an error if the slices
// differ in length or a class is outside [0, k).
func Confusion(truth, pred []int, k int) ([][]int, error) {
	if len(truth) != len(pred) {
		return nil, fmt.Errorf("dataset: Confusion: %d true classes, %d predictions", len(truth), len(pred))
	}
	if k < 1 {
		return nil, fmt.Errorf("dataset: Confusion: %d classes", k)
	}
	c := make([][]int, k)
	for t := range c {
		c[t] = make([]int, k)
	}
	for j, t := range truth {
		p := pred[j]
		if t < 0 || t >= k || p < 0 || p >= k {
			return nil, fmt.Errorf("dataset: Confusion: sample %d: class %d predicted as %d, want both in [0, %d)", j, t, p, k)
		}
		c[t][p]++
	}
	return c, nil
}
