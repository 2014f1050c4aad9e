// Package finite tests float64 slices for NaN and ±Inf at memory speed.
package finite

// All reports whether every value of x is finite (neither NaN nor ±Inf).
//
// v·0 is ±0 for a finite v and NaN for NaN and ±Inf, so the sum of the
// products is 0 exactly when every value is finite. The sum runs in four
// independent accumulators without a branch per value: about a quarter of
// the time of testing each value with math.IsNaN and math.IsInf, which
// mattered when a 200,000-weight block's gradient, direction and weights
// were each checked on every update.
func All(x []float64) bool {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * 0
		s1 += x[i+1] * 0
		s2 += x[i+2] * 0
		s3 += x[i+3] * 0
	}
	for ; i < len(x); i++ {
		s0 += x[i] * 0
	}
	return s0+s1+s2+s3 == 0
}
