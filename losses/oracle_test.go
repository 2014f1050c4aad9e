package losses

import "math"

// Plain-Go reference implementations of every loss and of its gradient with
// respect to H, written independently of the graph code (textbook formulas,
// not the package's custom ops). h and y are rows×cols, row-major.

type oracle struct {
	value func(h, y []float64, rows, cols int) float64
	grad  func(h, y []float64, rows, cols int) []float64
}

func refSigmoid(x float64) float64 {
	if x < 0 {
		return math.Exp(x) / (1 + math.Exp(x))
	}
	return 1 / (1 + math.Exp(-x))
}

// refSoftplus is log(1+eˣ), with the x > 0 branch rewritten to avoid overflow.
func refSoftplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

var oracleL2 = oracle{
	value: func(h, y []float64, rows, cols int) float64 {
		var s float64
		for i := range h {
			s += (y[i] - h[i]) * (y[i] - h[i])
		}
		return s / float64(cols)
	},
	grad: func(h, y []float64, rows, cols int) []float64 {
		g := make([]float64, len(h))
		for i := range h {
			g[i] = 2 * (h[i] - y[i]) / float64(cols)
		}
		return g
	},
}

func oracleExp(c float64) oracle {
	sq := func(h, y []float64) float64 {
		var s float64
		for i := range h {
			s += (y[i] - h[i]) * (y[i] - h[i])
		}
		return s
	}
	return oracle{
		value: func(h, y []float64, rows, cols int) float64 {
			return c * math.Exp(sq(h, y)/(c*float64(cols)))
		},
		grad: func(h, y []float64, rows, cols int) []float64 {
			e := math.Exp(sq(h, y) / (c * float64(cols)))
			g := make([]float64, len(h))
			for i := range h {
				g[i] = 2 * (h[i] - y[i]) / float64(cols) * e
			}
			return g
		},
	}
}

var oracleCE = oracle{
	value: func(h, y []float64, rows, cols int) float64 {
		var s float64
		for i := range h {
			if y[i] > 0 {
				s -= y[i] * math.Log(h[i])
			}
			if y[i] < 1 {
				s -= (1 - y[i]) * math.Log(1-h[i])
			}
		}
		return s / float64(cols)
	},
	grad: func(h, y []float64, rows, cols int) []float64 {
		g := make([]float64, len(h))
		for i := range h {
			if y[i] > 0 {
				g[i] -= y[i] / h[i]
			}
			if y[i] < 1 {
				g[i] += (1 - y[i]) / (1 - h[i])
			}
			g[i] /= float64(cols)
		}
		return g
	},
}

var oracleCELogits = oracle{
	value: func(z, y []float64, rows, cols int) float64 {
		var s float64
		for i := range z {
			// −[y log σ(z) + (1−y) log σ(−z)], log σ(z) = −softplus(−z).
			s += y[i]*refSoftplus(-z[i]) + (1-y[i])*refSoftplus(z[i])
		}
		return s / float64(cols)
	},
	grad: func(z, y []float64, rows, cols int) []float64 {
		g := make([]float64, len(z))
		for i := range z {
			g[i] = (refSigmoid(z[i]) - y[i]) / float64(cols)
		}
		return g
	},
}

func oracleSqHinge(c float64) oracle {
	return oracle{
		value: func(h, y []float64, rows, cols int) float64 {
			var s float64
			for i := range h {
				if m := 1 - y[i]*h[i]; m > 0 {
					s += m * m
				}
			}
			return s / (2 * c * float64(cols))
		},
		grad: func(h, y []float64, rows, cols int) []float64 {
			g := make([]float64, len(h))
			for i := range h {
				if m := 1 - y[i]*h[i]; m > 0 {
					g[i] = -y[i] * m / (c * float64(cols))
				}
			}
			return g
		},
	}
}

func columnDots(h, y []float64, rows, cols int) []float64 {
	t := make([]float64, cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c] += y[r*cols+c] * h[r*cols+c]
		}
	}
	return t
}

var oracleLogistic = oracle{
	value: func(h, y []float64, rows, cols int) float64 {
		var s float64
		for _, t := range columnDots(h, y, rows, cols) {
			s += refSoftplus(-t)
		}
		return s / float64(cols)
	},
	grad: func(h, y []float64, rows, cols int) []float64 {
		t := columnDots(h, y, rows, cols)
		g := make([]float64, len(h))
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				g[r*cols+c] = -y[r*cols+c] * refSigmoid(-t[c]) / float64(cols)
			}
		}
		return g
	},
}

func refLogSumExp(h []float64, rows, cols, c int) float64 {
	m := math.Inf(-1)
	for r := 0; r < rows; r++ {
		m = math.Max(m, h[r*cols+c])
	}
	var s float64
	for r := 0; r < rows; r++ {
		s += math.Exp(h[r*cols+c] - m)
	}
	return m + math.Log(s)
}

var oracleSoftmaxCE = oracle{
	value: func(h, y []float64, rows, cols int) float64 {
		var s float64
		for c := 0; c < cols; c++ {
			s += refLogSumExp(h, rows, cols, c)
			for r := 0; r < rows; r++ {
				s -= y[r*cols+c] * h[r*cols+c]
			}
		}
		return s / float64(cols)
	},
	grad: func(h, y []float64, rows, cols int) []float64 {
		g := make([]float64, len(h))
		for c := 0; c < cols; c++ {
			l := refLogSumExp(h, rows, cols, c)
			for r := 0; r < rows; r++ {
				i := r*cols + c
				g[i] = (math.Exp(h[i]-l) - y[i]) / float64(cols)
			}
		}
		return g
	},
}
