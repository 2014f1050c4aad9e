package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// relEps absorbs the rounding of m·10^k and k·step when a tick is compared
// with an axis end.
const relEps = 1e-9

// niceStep returns the smallest of 1, 2 and 5 times a power of ten that
// divides span into at most target intervals.
func niceStep(span float64, target int) float64 {
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(target)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := m * mag; s >= raw*(1-relEps) {
			return s
		}
	}
	return 10 * mag
}

// linearRange is the axis range and tick step of a linear axis showing
// [dmin, dmax]: both ends are multiples of a round step (1, 2 or 5 times a
// power of ten, about five intervals), and the axis starts at 0 when
// fromZero is set and dmin ≥ 0.
func linearRange(dmin, dmax float64, fromZero bool) (lo, hi, step float64) {
	if fromZero && dmin >= 0 {
		dmin = 0
	}
	if dmin == dmax {
		d := math.Max(math.Abs(dmin)/10, 1)
		if fromZero && dmin == 0 {
			dmax = d
		} else {
			dmin, dmax = dmin-d, dmax+d
		}
	}
	step = niceStep(dmax-dmin, 5)
	lo = math.Floor(dmin/step*(1+sgnEps(dmin))) * step
	hi = math.Ceil(dmax/step*(1-sgnEps(dmax))) * step
	if fromZero && dmin == 0 {
		lo = 0
	}
	if hi <= lo {
		hi = lo + step
	}
	return lo, hi, step
}

// sgnEps is relEps with the sign of v, so that v/step·(1±sgnEps(v)) moves
// v towards zero by a rounding error before Floor or Ceil.
func sgnEps(v float64) float64 {
	if v < 0 {
		return -relEps
	}
	return relEps
}

// linearTicks labels every multiple of Step in the axis range and marks the
// half steps as minor ticks.
type linearTicks struct {
	Step float64
}

// Ticks implements plot.Ticker.
func (t linearTicks) Ticks(min, max float64) []plot.Tick {
	return stepTicks(min, max, t.Step)
}

// stepTicks labels the multiples of step in [min, max] and puts a minor
// tick halfway between them.
func stepTicks(min, max, step float64) []plot.Tick {
	if !(step > 0) || !(max >= min) || math.IsInf(max-min, 0) || (max-min)/step > 1000 {
		return nil
	}
	dec := 0
	if e := -int(math.Floor(math.Log10(step) + relEps)); e > 0 {
		dec = e
	}
	half := step / 2
	first := math.Ceil(min/half - relEps)
	var ticks []plot.Tick
	for i := first; i*half <= max+relEps*math.Max(math.Abs(max), step); i++ {
		v := i * half
		if math.Abs(v) < relEps*step {
			v = 0
		}
		if math.Mod(i, 2) == 0 {
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', dec, 64)})
		} else {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// mantissaSets are the labelled mantissas a log axis tries, coarsest first.
var mantissaSets = [][]float64{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}

// logTicks labels a log axis. With Step > 0 it labels the multiples of
// Step (an axis spanning a small fraction of a decade); otherwise it labels
// m·10^k for m in Mantissas and k a multiple of Every, and marks the other
// m·10^k (m = 1…9) as minor ticks when the axis spans at most 6 decades.
type logTicks struct {
	Mantissas []float64
	Every     int
	Step      float64
}

// Ticks implements plot.Ticker.
func (t logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max >= min) || math.IsInf(max, 0) {
		return nil
	}
	if t.Step > 0 {
		return stepTicks(min, max, t.Step)
	}
	every := max2(t.Every, 1)
	k0 := int(math.Floor(math.Log10(min)))
	k1 := int(math.Ceil(math.Log10(max)))
	minors := k1-k0 <= 6
	var ticks []plot.Tick
	for k := k0; k <= k1; k++ {
		p := math.Pow(10, float64(k))
		for m := 1; m <= 9; m++ {
			v := float64(m) * p
			if v < min*(1-relEps) || v > max*(1+relEps) {
				continue
			}
			labelled := contains(t.Mantissas, float64(m)) && (every == 1 || (m == 1 && mod(k, every) == 0))
			switch {
			case labelled:
				ticks = append(ticks, plot.Tick{Value: v, Label: formatLog(float64(m), k)})
			case minors || m == 1:
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// logRange is the axis range and ticker of a log axis showing [dmin, dmax]
// (0 < dmin ≤ dmax). It tries the mantissa sets {1}, {1, 2, 5} and
// {1, …, 9} in turn: each end of the axis moves out to the next labelled
// tick when that adds at most a tenth of the data's log range (otherwise
// it stays at the data, with a margin of 3% of that range), and the first set that labels at least three
// ticks wins. When none does (data within a small fraction of a decade),
// the axis is labelled like a linear one, with round steps.
func logRange(dmin, dmax float64) (lo, hi float64, t logTicks) {
	if dmin == dmax {
		dmin, dmax = dmin/2, dmax*2
	}
	span := math.Log(dmax / dmin)
	for _, ms := range mantissaSets {
		lo, hi := floorLog(dmin, ms), ceilLog(dmax, ms)
		decades := math.Log10(dmax / dmin)
		every := 1
		if len(ms) == 1 && decades > 7 {
			every = int(math.Ceil(decades / 7))
			lo = math.Pow(10, float64(every*int(math.Floor(math.Log10(lo)/float64(every)+relEps))))
			hi = math.Pow(10, float64(every*int(math.Ceil(math.Log10(hi)/float64(every)-relEps))))
		}
		if math.Log(dmin/lo) > span/10 {
			lo = dmin * math.Exp(-span*logPad)
		}
		if math.Log(hi/dmax) > span/10 {
			hi = dmax * math.Exp(span*logPad)
		}
		t := logTicks{Mantissas: ms, Every: every}
		if labels(t.Ticks(lo, hi)) >= 3 {
			return lo, hi, t
		}
	}
	lo, hi, step := linearRange(dmin, dmax, false)
	if lo <= 0 {
		lo = dmin
	}
	return lo, hi, logTicks{Step: step}
}

// logPad is the margin, as a fraction of the data's log range, beyond a
// log axis end that stays at the data.
const logPad = 0.03

// floorLog is the largest m·10^k ≤ v with m in ms.
func floorLog(v float64, ms []float64) float64 {
	k := math.Floor(math.Log10(v))
	best := 0.0
	for _, kk := range []float64{k - 1, k, k + 1} {
		for _, m := range ms {
			if c := m * math.Pow(10, kk); c <= v*(1+relEps) && c > best {
				best = c
			}
		}
	}
	return best
}

// ceilLog is the smallest m·10^k ≥ v with m in ms.
func ceilLog(v float64, ms []float64) float64 {
	k := math.Floor(math.Log10(v))
	best := math.Inf(1)
	for _, kk := range []float64{k - 1, k, k + 1} {
		for _, m := range ms {
			if c := m * math.Pow(10, kk); c >= v*(1-relEps) && c < best {
				best = c
			}
		}
	}
	return best
}

// formatLog writes m·10^k as a decimal for 10^-4 ≤ v < 10^5 and as "me±k"
// otherwise.
func formatLog(m float64, k int) string {
	if k >= -4 && k <= 4 {
		return strconv.FormatFloat(m*math.Pow(10, float64(k)), 'f', max2(-k, 0), 64)
	}
	return strconv.FormatFloat(m, 'f', -1, 64) + "e" + strconv.Itoa(k)
}

// labels counts the labelled ticks.
func labels(ticks []plot.Tick) int {
	n := 0
	for _, t := range ticks {
		if t.Label != "" {
			n++
		}
	}
	return n
}

func contains(s []float64, v float64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func mod(a, b int) int { return ((a % b) + b) % b }

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}
