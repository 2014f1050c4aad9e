package dataset

import (
	"fmt"
	"math"
	"slices"
)

// TargetMode selects how targets are scaled.
type TargetMode string

// Target scaling modes. The empty TargetMode means TargetIdentity.
const (
	// TargetIdentity leaves targets in original units (for linear outputs).
	TargetIdentity TargetMode = "identity"
	// TargetMinMax maps each target affinely so that its minimum goes to
	// Range.Lo and its maximum to Range.Hi (for bounded output activations).
	TargetMinMax TargetMode = "minmax"
	// TargetStandard standardises each target to mean 0 and population
	// standard deviation 1 (an option for linear outputs).
	TargetStandard TargetMode = "standard"
)

// TargetRange is the interval [Lo, Hi] that TargetMinMax maps targets to;
// choose it to match the range of the output activation.
type TargetRange struct {
	// Lo is the value the smallest target is mapped to.
	Lo float64 `json:"lo"`
	// Hi is the value the largest target is mapped to; Hi > Lo.
	Hi float64 `json:"hi"`
}

// Common target ranges.
var (
	// RangeLogistic is [0, 1], the range of the logistic (sigmoid) activation.
	RangeLogistic = TargetRange{Lo: 0, Hi: 1}
	// RangeTanh is [-1, 1], the range of the tanh activation.
	RangeTanh = TargetRange{Lo: -1, Hi: 1}
)

// Scaler holds the scaling fitted on training data: features are
// standardised, x' = (x − Mean[i]) / Std[i], with the population standard
// deviation; targets are scaled according to TargetMode. It is plain JSON
// (all fields exported and tagged) so that it can be saved with a model;
// call [Scaler.Validate] after decoding one. Its methods only read it, so a
// Scaler is safe for concurrent use as long as no one modifies its fields.
type Scaler struct {
	// FeatureNames are the input columns, in the order of the rows of X.
	FeatureNames []string `json:"feature_names"`
	// Mean is the training mean of each feature.
	Mean []float64 `json:"mean"`
	// Std is the training population standard deviation of each feature (> 0).
	Std []float64 `json:"std"`
	// TargetNames are the target columns, in the order of the rows of Y.
	TargetNames []string `json:"target_names"`
	// TargetMode is how targets are scaled; "" means TargetIdentity.
	TargetMode TargetMode `json:"target_mode"`
	// Range is the interval targets are mapped to when TargetMode is TargetMinMax.
	Range TargetRange `json:"range"`
	// TargetMin is the training minimum of each target (TargetMinMax only).
	TargetMin []float64 `json:"target_min,omitempty"`
	// TargetMax is the training maximum of each target (TargetMinMax only).
	TargetMax []float64 `json:"target_max,omitempty"`
	// TargetMean is the training mean of each target (TargetStandard only).
	TargetMean []float64 `json:"target_mean,omitempty"`
	// TargetStd is the training population standard deviation of each
	// target (TargetStandard only).
	TargetStd []float64 `json:"target_std,omitempty"`
}

// FitScaler fits a Scaler to the raw (unscaled) values of s: mean and
// population standard deviation of every feature, and the target
// statistics that mode needs. r is used only by TargetMinMax. A feature
// (or, unless mode is TargetIdentity, a target) whose values are all equal
// yields [ErrConstantColumn] naming the column.
func FitScaler(s *Set, mode TargetMode, r TargetRange) (*Scaler, error) {
	return fitScaler(s, mode, r, "")
}

func fitScaler(s *Set, mode TargetMode, r TargetRange, file string) (*Scaler, error) {
	if err := checkMode(mode, r); err != nil {
		return nil, err
	}
	if mode == "" {
		mode = TargetIdentity
	}
	if s.N < 1 {
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w: no samples to fit", ErrTooFewRows)}
	}
	if len(s.X) != s.In*s.N || len(s.Y) != s.Out*s.N || len(s.FeatureNames) != s.In || len(s.TargetNames) != s.Out {
		return nil, fmt.Errorf("dataset: inconsistent Set: In=%d Out=%d N=%d len(X)=%d len(Y)=%d",
			s.In, s.Out, s.N, len(s.X), len(s.Y))
	}
	sc := &Scaler{
		FeatureNames: slices.Clone(s.FeatureNames),
		Mean:         make([]float64, s.In),
		Std:          make([]float64, s.In),
		TargetNames:  slices.Clone(s.TargetNames),
		TargetMode:   mode,
	}
	constant := func(name string) error {
		return &ParseError{File: file, Column: name,
			Err: fmt.Errorf("%w: every value is equal, cannot scale", ErrConstantColumn)}
	}
	for i := range s.In {
		row := s.X[i*s.N : (i+1)*s.N]
		mean, std, lo, hi := stats(row)
		if lo == hi || std == 0 {
			return nil, constant(s.FeatureNames[i])
		}
		sc.Mean[i], sc.Std[i] = mean, std
	}
	switch mode {
	case TargetMinMax:
		sc.Range = r
		sc.TargetMin = make([]float64, s.Out)
		sc.TargetMax = make([]float64, s.Out)
		for k := range s.Out {
			_, _, lo, hi := stats(s.Y[k*s.N : (k+1)*s.N])
			if lo == hi {
				return nil, constant(s.TargetNames[k])
			}
			sc.TargetMin[k], sc.TargetMax[k] = lo, hi
		}
	case TargetStandard:
		sc.TargetMean = make([]float64, s.Out)
		sc.TargetStd = make([]float64, s.Out)
		for k := range s.Out {
			mean, std, lo, hi := stats(s.Y[k*s.N : (k+1)*s.N])
			if lo == hi || std == 0 {
				return nil, constant(s.TargetNames[k])
			}
			sc.TargetMean[k], sc.TargetStd[k] = mean, std
		}
	}
	return sc, nil
}

// stats returns the mean, population standard deviation, minimum and
// maximum of v (len(v) > 0), using two passes.
func stats(v []float64) (mean, std, lo, hi float64) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		mean += x
		lo = min(lo, x)
		hi = max(hi, x)
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		d := x - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(v))), lo, hi
}

// checkMode validates a target mode and, for TargetMinMax, its range.
func checkMode(mode TargetMode, r TargetRange) error {
	switch mode {
	case "", TargetIdentity, TargetStandard:
		return nil
	case TargetMinMax:
		if !(r.Lo < r.Hi) || math.IsInf(r.Lo, 0) || math.IsInf(r.Hi, 0) {
			return fmt.Errorf("dataset: %w: target range [%v, %v] must have finite Lo < Hi", ErrBadConfig, r.Lo, r.Hi)
		}
		return nil
	default:
		return fmt.Errorf("dataset: %w: unknown target mode %s", ErrBadConfig, quote(string(mode)))
	}
}

// In returns the number of features the Scaler expects.
func (s *Scaler) In() int { return len(s.FeatureNames) }

// Out returns the number of targets the Scaler maps.
func (s *Scaler) Out() int { return len(s.TargetNames) }

// TransformX standardises x, an In×n feature-major matrix, into dst
// (len In·n). dst may be x. It panics if the lengths do not match.
func (s *Scaler) TransformX(dst, x []float64, n int) {
	checkLen("TransformX", dst, x, s.In(), n)
	for i := range s.In() {
		m, sd := s.Mean[i], s.Std[i]
		for j := i * n; j < (i+1)*n; j++ {
			dst[j] = (x[j] - m) / sd
		}
	}
}

// InverseX undoes TransformX: it maps standardised features x (In×n)
// back to original units in dst. dst may be x.
func (s *Scaler) InverseX(dst, x []float64, n int) {
	checkLen("InverseX", dst, x, s.In(), n)
	for i := range s.In() {
		m, sd := s.Mean[i], s.Std[i]
		for j := i * n; j < (i+1)*n; j++ {
			dst[j] = x[j]*sd + m
		}
	}
}

// TransformY scales targets y, an Out×n target-major matrix in original
// units, into dst (len Out·n) according to TargetMode. dst may be y.
func (s *Scaler) TransformY(dst, y []float64, n int) {
	checkLen("TransformY", dst, y, s.Out(), n)
	for k := range s.Out() {
		lo, hi := k*n, (k+1)*n
		switch s.TargetMode {
		case TargetMinMax:
			tmin, span, rlo, rspan := s.TargetMin[k], s.TargetMax[k]-s.TargetMin[k], s.Range.Lo, s.Range.Hi-s.Range.Lo
			for j := lo; j < hi; j++ {
				dst[j] = (y[j]-tmin)/span*rspan + rlo
			}
		case TargetStandard:
			m, sd := s.TargetMean[k], s.TargetStd[k]
			for j := lo; j < hi; j++ {
				dst[j] = (y[j] - m) / sd
			}
		default:
			copy(dst[lo:hi], y[lo:hi])
		}
	}
}

// InverseY maps scaled targets or predictions y (Out×n) back to original
// units in dst (len Out·n); it undoes TransformY. dst may be y. With
// TargetMinMax, predictions outside Range map outside the training
// target range.
func (s *Scaler) InverseY(dst, y []float64, n int) {
	checkLen("InverseY", dst, y, s.Out(), n)
	for k := range s.Out() {
		lo, hi := k*n, (k+1)*n
		switch s.TargetMode {
		case TargetMinMax:
			tmin, span, rlo, rspan := s.TargetMin[k], s.TargetMax[k]-s.TargetMin[k], s.Range.Lo, s.Range.Hi-s.Range.Lo
			for j := lo; j < hi; j++ {
				dst[j] = (y[j]-rlo)/rspan*span + tmin
			}
		case TargetStandard:
			m, sd := s.TargetMean[k], s.TargetStd[k]
			for j := lo; j < hi; j++ {
				dst[j] = y[j]*sd + m
			}
		default:
			copy(dst[lo:hi], y[lo:hi])
		}
	}
}

func checkLen(op string, dst, src []float64, rows, n int) {
	if n < 0 || len(src) != rows*n || len(dst) != rows*n {
		panic(fmt.Sprintf("dataset: Scaler.%s: len(dst)=%d len(src)=%d, want %d×%d",
			op, len(dst), len(src), rows, n))
	}
}

// Validate checks that the Scaler is consistent and usable: non-empty,
// unique feature names, one finite mean and positive finite standard
// deviation per feature, unique target names, a known TargetMode, and the
// statistics that mode needs (finite, with max > min or std > 0). Errors
// wrap [ErrInvalidScaler].
func (s *Scaler) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("dataset: %w: %s", ErrInvalidScaler, fmt.Sprintf(format, a...))
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if s == nil {
		return bad("nil")
	}
	if len(s.FeatureNames) == 0 {
		return bad("no features")
	}
	if err := uniqueNames(s.FeatureNames, s.TargetNames); err != "" {
		return bad("%s", err)
	}
	d := len(s.FeatureNames)
	if len(s.Mean) != d || len(s.Std) != d {
		return bad("%d features but %d means and %d stds", d, len(s.Mean), len(s.Std))
	}
	for i := range d {
		if !finite(s.Mean[i]) || !finite(s.Std[i]) || s.Std[i] <= 0 {
			return bad("feature %s: mean %v, std %v", quote(s.FeatureNames[i]), s.Mean[i], s.Std[i])
		}
	}
	if err := checkMode(s.TargetMode, s.Range); err != nil {
		return bad("%v", err)
	}
	m := len(s.TargetNames)
	switch s.TargetMode {
	case TargetMinMax:
		if len(s.TargetMin) != m || len(s.TargetMax) != m {
			return bad("%d targets but %d minima and %d maxima", m, len(s.TargetMin), len(s.TargetMax))
		}
		for k := range m {
			if !finite(s.TargetMin[k]) || !finite(s.TargetMax[k]) || !(s.TargetMin[k] < s.TargetMax[k]) {
				return bad("target %s: min %v, max %v", quote(s.TargetNames[k]), s.TargetMin[k], s.TargetMax[k])
			}
		}
	case TargetStandard:
		if len(s.TargetMean) != m || len(s.TargetStd) != m {
			return bad("%d targets but %d means and %d stds", m, len(s.TargetMean), len(s.TargetStd))
		}
		for k := range m {
			if !finite(s.TargetMean[k]) || !finite(s.TargetStd[k]) || s.TargetStd[k] <= 0 {
				return bad("target %s: mean %v, std %v", quote(s.TargetNames[k]), s.TargetMean[k], s.TargetStd[k])
			}
		}
	}
	return nil
}

// uniqueNames reports the first empty or repeated name across both lists.
func uniqueNames(features, targets []string) string {
	seen := make(map[string]bool)
	for _, name := range slices.Concat(features, targets) {
		if name == "" {
			return "empty column name"
		}
		if seen[name] {
			return fmt.Sprintf("column %s named twice", quote(name))
		}
		seen[name] = true
	}
	return ""
}

// Apply selects the Scaler's feature and target columns from a new table
// (for example a test split) and scales them, returning a Set whose Scaler
// is s. A column missing from t yields [ErrUnknownColumn]. Other columns
// of t are ignored. Use ApplyFeatures when t has no target columns.
func (s *Scaler) Apply(t *Table) (*Set, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	set, err := t.Select(s.FeatureNames, s.TargetNames)
	if err != nil {
		return nil, err
	}
	s.TransformX(set.X, set.X, set.N)
	s.TransformY(set.Y, set.Y, set.N)
	set.Scaler = s
	return set, nil
}

// ApplyFeatures selects the Scaler's feature columns from t and
// standardises them, returning the In×n feature-major matrix and n, the
// number of rows; this is the input for prediction. A missing feature
// column yields [ErrUnknownColumn]; target columns are not needed.
func (s *Scaler) ApplyFeatures(t *Table) (x []float64, n int, err error) {
	if err := s.Validate(); err != nil {
		return nil, 0, err
	}
	set, err := t.Select(s.FeatureNames, nil)
	if err != nil {
		return nil, 0, err
	}
	s.TransformX(set.X, set.X, set.N)
	return set.X, set.N, nil
}
