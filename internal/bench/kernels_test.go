package bench

// Micro-benchmarks for the lead: graph's small-matrix loops (copied from
// graph/kernels.go matMulKernel, cases A×B and A×Bᵀ) against unrolled
// variants, at the BodyFat shapes (10×13 weights, 252 samples).

import (
	"math"
	"testing"
)

// current A×B: C[i,:] = Σ_p A[i,p] B[p,:] (graph's func2).
func mmNN(dst, a, b []float64, m, k, n int) {
	for i := 0; i < m; i++ {
		c := dst[i*n : (i+1)*n]
		clear(c)
		for p := 0; p < k; p++ {
			s := a[i*k+p]
			if s == 0 {
				continue
			}
			row := b[p*n : (p+1)*n]
			for j, v := range row {
				c[j] += s * v
			}
		}
	}
}

// A×B with four rows of B per pass over C[i,:].
func mmNN4(dst, a, b []float64, m, k, n int) {
	for i := 0; i < m; i++ {
		c := dst[i*n : (i+1)*n]
		ar := a[i*k : (i+1)*k]
		p := 0
		clear(c)
		for ; p+4 <= k; p += 4 {
			s0, s1, s2, s3 := ar[p], ar[p+1], ar[p+2], ar[p+3]
			b0, b1, b2, b3 := b[p*n:(p+1)*n], b[(p+1)*n:(p+2)*n], b[(p+2)*n:(p+3)*n], b[(p+3)*n:(p+4)*n]
			b0, b1, b2, b3 = b0[:len(c)], b1[:len(c)], b2[:len(c)], b3[:len(c)]
			for j := range c {
				c[j] += s0*b0[j] + s1*b1[j] + s2*b2[j] + s3*b3[j]
			}
		}
		for ; p < k; p++ {
			s, row := ar[p], b[p*n:(p+1)*n]
			row = row[:len(c)]
			for j := range c {
				c[j] += s * row[j]
			}
		}
	}
}

// current A×Bᵀ: C[i,j] = A[i,:]·B[j,:] (graph's func4), one accumulator.
func mmNT(dst, a, b []float64, m, k, n int) {
	for i := 0; i < m; i++ {
		ar := a[i*k : (i+1)*k]
		for j := 0; j < n; j++ {
			br := b[j*k : (j+1)*k]
			var s float64
			for p, v := range ar {
				s += v * br[p]
			}
			dst[i*n+j] = s
		}
	}
}

// A×Bᵀ with four independent accumulators.
func mmNT4(dst, a, b []float64, m, k, n int) {
	for i := 0; i < m; i++ {
		ar := a[i*k : (i+1)*k]
		for j := 0; j < n; j++ {
			br := b[j*k : (j+1)*k]
			br = br[:len(ar)]
			var s0, s1, s2, s3 float64
			p := 0
			for ; p+4 <= len(ar); p += 4 {
				s0 += ar[p] * br[p]
				s1 += ar[p+1] * br[p+1]
				s2 += ar[p+2] * br[p+2]
				s3 += ar[p+3] * br[p+3]
			}
			for ; p < len(ar); p++ {
				s0 += ar[p] * br[p]
			}
			dst[i*n+j] = (s0 + s1) + (s2 + s3)
		}
	}
}

func fill(n int, f float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(f*float64(i) + 1)
	}
	return x
}

func TestUnrolledKernelsAgree(t *testing.T) {
	m, k, n := 10, 13, 252
	a, b := fill(m*k, 0.3), fill(k*n, 0.7)
	c1, c2 := make([]float64, m*n), make([]float64, m*n)
	mmNN(c1, a, b, m, k, n)
	mmNN4(c2, a, b, m, k, n)
	if !equal(c1, c2, 1e-12) {
		t.Fatal("mmNN4 differs")
	}
	bt := fill(n*k, 0.7)
	d1, d2 := make([]float64, m*n), make([]float64, m*n)
	mmNT(d1, a, bt, m, k, n)
	mmNT4(d2, a, bt, m, k, n)
	if !equal(d1, d2, 1e-12) {
		t.Fatal("mmNT4 differs")
	}
}

// Forward product of layer 1 (W 10×13 times X 13×252) and the weight
// gradient of layer 2 (δ 10×252 times H1ᵀ, H1 10×252).
func BenchmarkKernelBodyFat(b *testing.B) {
	const m, k, n = 10, 13, 252
	w, x := fill(m*k, 0.3), fill(k*n, 0.7)
	c := make([]float64, m*n)
	b.Run("AxB-current", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mmNN(c, w, x, m, k, n)
		}
	})
	b.Run("AxB-unroll4", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mmNN4(c, w, x, m, k, n)
		}
	})
	d, h := fill(10*n, 0.2), fill(10*n, 0.9)
	g := make([]float64, 100)
	b.Run("AxBt-current", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mmNT(g, d, h, 10, n, 10)
		}
	})
	b.Run("AxBt-4acc", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mmNT4(g, d, h, 10, n, 10)
		}
	})
	s := fill(10*n, 1.1)
	out := make([]float64, 10*n)
	b.Run("logistic-exp", func(b *testing.B) { // σ' recomputed from x (layers.logistic1)
		for i := 0; i < b.N; i++ {
			for j, v := range s {
				e := math.Exp(-math.Abs(v))
				out[j] = e / ((1 + e) * (1 + e))
			}
		}
	})
	b.Run("logistic-from-output", func(b *testing.B) { // σ' = σ(1−σ) from the stored σ
		for i := 0; i < b.N; i++ {
			for j, v := range s {
				out[j] = v * (1 - v)
			}
		}
	})
}
