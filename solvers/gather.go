package solvers

// sampleMajorFrom is the size of a data matrix, in float64s (2 MB, about a
// core's L2 cache), from which a mini-batch run gathers its batches from a
// sample-major copy it makes once, at the cost of the matrix's memory
// again. In bsum's feature-major layout one sample is rows values N·8 bytes
// apart, each in its own cache line and, for large N, on its own page: at
// Fashion-MNIST's size (784 × 60,000, 376 MB) gathering a batch of 128 that
// way took about as long as the batch's forward and backward passes (a
// sixth of an epoch's profile), and at 784 × 2,560 (16 MB) it still took a
// tenth of a sweep (BenchmarkSweepFashionShaped). From the copy, a sample
// is one contiguous run of rows values. Below the threshold (BodyFat's
// 13 × 252) the data stay in cache and no copy is made.
const sampleMajorFrom = 1 << 18

// columnSource gathers columns of a feature-major rows × n matrix. It
// belongs to one run and is not safe for concurrent use.
type columnSource struct {
	x       []float64 // feature-major: x[i*n+c] is feature i of sample c
	rows, n int
	t       []float64 // sample-major copy (t[c*rows+i]), or nil
}

func newColumnSource(x []float64, rows, n int) *columnSource {
	s := &columnSource{x: x, rows: rows, n: n}
	if rows > 1 && rows*n >= sampleMajorFrom {
		s.t = make([]float64, rows*n)
		transposeInto(s.t, x, rows, n)
	}
	return s
}

// gather writes the columns cols of the matrix to dst as a feature-major
// rows × len(cols) matrix.
func (s *columnSource) gather(dst []float64, cols []int) {
	if s.t == nil {
		// Row by row (problem.go's gather): the reads stay within one row
		// of x (a few pages) and the writes are sequential; column by
		// column, every read is on another page.
		gather(dst, s.x, s.rows, s.n, cols)
		return
	}
	m := len(cols)
	// Eight samples at a time, so the writes fill eight consecutive
	// values of each of dst's rows.
	const group = 8
	c := 0
	for ; c+group <= m; c += group {
		var src [group][]float64
		for g := range group {
			k := cols[c+g]
			src[g] = s.t[k*s.rows : (k+1)*s.rows]
		}
		for i := 0; i < s.rows; i++ {
			out := dst[i*m+c : i*m+c+group]
			for g := range group {
				out[g] = src[g][i]
			}
		}
	}
	for ; c < m; c++ {
		k := cols[c]
		src := s.t[k*s.rows : (k+1)*s.rows]
		for i, v := range src {
			dst[i*m+c] = v
		}
	}
}

// transposeInto writes the transpose of the rows × cols matrix src to dst,
// in square tiles that stay in cache.
func transposeInto(dst, src []float64, rows, cols int) {
	const tile = 32
	for i0 := 0; i0 < rows; i0 += tile {
		i1 := min(i0+tile, rows)
		for j0 := 0; j0 < cols; j0 += tile {
			j1 := min(j0+tile, cols)
			for i := i0; i < i1; i++ {
				row := src[i*cols : (i+1)*cols]
				for j := j0; j < j1; j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}
