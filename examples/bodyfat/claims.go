package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x626f6479)) }

// The verdict rules. Every claim is judged on each reading separately from
// K runs (seeds) per method, all with the same budget of T x-axis
// iterations.
//
//   - Moved: a method moved if the median over seeds of
//     |nMSE(T)/nMSE(0) − 1| exceeds moveTol (1%). If no method a claim
//     compares moved, the claim is INCONCLUSIVE ("nothing moved"): flat
//     curves neither support nor contradict a claim about convergence.
//   - Ordering claims (2(a), 2(b) "larger B is better"): a claim is a list
//     of pairs "A ends below B" on the final nMSE at the budget T (equal
//     budgets, so a lower final value is a faster convergence). A pair is
//     decided only when the seed ranges [min, max] of the two final values
//     do not overlap; overlapping ranges mean the curves differ by less
//     than the seed range. The claim is REFUTED if some pair is decided
//     against it, CONFIRMED if every pair is decided for it, and
//     INCONCLUSIVE otherwise. The ranges are unpaired on purpose: the
//     spread of the starts is common to both methods, so a per-seed
//     comparison would decide on differences far below the seed range
//     (it is printed as information).
//   - Monotone (A.1): f on the whole data set at the x-axis iterations
//     0, 1, …, T. An increase is f(t) > f(t−1)·(1 + monoTol); a run that
//     fails (non-finite f) counts as one. If nothing moved the claim is
//     INCONCLUSIVE (increases are still listed); otherwise it is REFUTED if
//     any judged method has an increase on any seed and CONFIRMED if none
//     has. The seed range plays no part: one seed with an increase is a
//     counterexample.
//   - Converges (2(b), growing B): a finite run cannot show a limit, so the
//     claim is CONFIRMED when every seed reaches the neighbourhood of a
//     stationary point, max_j‖∇_j f(W_T)‖ ≤ stationaryRatio·max_j‖∇_j f(W_0)‖,
//     REFUTED when a run diverges (non-finite f), and INCONCLUSIVE
//     otherwise (including when it did not move).
const (
	moveTol         = 0.01
	monoTol         = 1e-12
	stationaryRatio = 1e-2
)

// rulesText is the printed form of the rules above.
const rulesText = `verdict rules (per reading; K seeds per method, same budget T for every method):
  moved:     median over seeds of |nMSE(T)/nMSE(0) − 1| > 1%; if no compared method moved → inconclusive.
  ordering:  "A beats B" is decided when the seed ranges [min, max] of the final nMSE do not overlap;
             refuted if a pair is decided against the claim, confirmed if all pairs are decided for it,
             otherwise inconclusive (the curves differ by less than the seed range). The per-seed
             comparison from the same starts is shown, but does not decide.
  monotone:  unless nothing moved, f(t) > f(t−1)(1+1e-12) at any x-axis iteration of any seed of a
             judged (Prop) method, or a non-finite f, refutes; none confirms (BP-CLR, AdaGrad: -figure only).
  converges: every seed ends with max_j‖∇_j f‖ ≤ 1e-2 × its start → confirmed; a diverged
             (non-finite) run → refuted; otherwise inconclusive (not stationary within the budget).`

// verdict is the outcome of judging one claim under one reading.
type verdict int

const (
	inconclusive verdict = iota
	confirmed
	refuted
)

func (v verdict) String() string {
	switch v {
	case confirmed:
		return "confirmed"
	case refuted:
		return "refuted"
	}
	return "inconclusive"
}

// band is the median and the range [Lo, Hi] of one number over seeds.
type band struct{ Med, Lo, Hi float64 }

// newBand summarises xs (NaN counts as +Inf: a failed run is the worst).
func newBand(xs []float64) band {
	if len(xs) == 0 {
		return band{math.NaN(), math.NaN(), math.NaN()}
	}
	s := make([]float64, len(xs))
	for i, x := range xs {
		if math.IsNaN(x) {
			x = math.Inf(1)
		}
		s[i] = x
	}
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return band{Med: med, Lo: s[0], Hi: s[n-1]}
}

func (b band) String() string {
	if b.Lo == b.Hi {
		return fmt.Sprintf("%.4g", b.Med)
	}
	return fmt.Sprintf("%.4g [%.4g, %.4g]", b.Med, b.Lo, b.Hi)
}

// order is +1 when a lies below b beyond the seed ranges (a.Hi < b.Lo),
// −1 when above (a.Lo > b.Hi), 0 when the ranges overlap.
func order(a, b band) int {
	switch {
	case a.Hi < b.Lo:
		return 1
	case a.Lo > b.Hi:
		return -1
	}
	return 0
}

// pair is the claim that curve Low ends below curve High.
type pair struct{ Low, High string }

// series is what the rules see of one method under one reading.
type series struct {
	Start     band      // nMSE at the start over seeds
	Finals    []float64 // per seed: final nMSE (+Inf for a failed run)
	Final     band      // final nMSE over seeds
	Moved     float64   // median over seeds of |nMSE(T)/nMSE(0) − 1|
	Increases []int     // per seed: increases of f along the x axis (monotone rule)
	MaxRise   float64   // largest relative increase f(t)/f(t−1) − 1 over seeds
	GradRel   []float64 // per seed: final / initial max block gradient norm
	Failed    int       // seeds whose run failed (non-finite values)
}

// anyMoved reports whether some named method moved more than moveTol.
func anyMoved(s map[string]series, names []string) bool {
	for _, n := range names {
		if s[n].Moved > moveTol {
			return true
		}
	}
	return false
}

func nothingMoved(s map[string]series, names []string) string {
	var ev []string
	for _, n := range names {
		ev = append(ev, fmt.Sprintf("%s %.2g%%", n, 100*s[n].Moved))
	}
	return "nothing moved more than 1% from its start: " + strings.Join(ev, ", ")
}

// judgeOrder applies the ordering rule to pairs over the methods in s.
func judgeOrder(s map[string]series, pairs []pair) (verdict, string) {
	var names []string
	for _, p := range pairs {
		for _, n := range []string{p.Low, p.High} {
			if _, ok := s[n]; !ok {
				return inconclusive, "no run of " + n
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if !anyMoved(s, names) {
		return inconclusive, nothingMoved(s, names)
	}
	var for_, against, open []string
	for _, p := range pairs {
		lo, hi := s[p.Low].Final, s[p.High].Final
		ev := fmt.Sprintf("%s %s %%s %s %s%s", p.Low, lo, p.High, hi, paired(s[p.Low].Finals, s[p.High].Finals))
		switch order(lo, hi) {
		case 1:
			for_ = append(for_, fmt.Sprintf(ev, "<"))
		case -1:
			against = append(against, fmt.Sprintf(ev, ">"))
		default:
			open = append(open, fmt.Sprintf(ev, "~"))
		}
	}
	switch {
	case len(against) > 0:
		return refuted, fmt.Sprintf("%d of %d pairs decided against; %s", len(against), len(pairs), strings.Join(against, "; "))
	case len(open) == 0:
		return confirmed, fmt.Sprintf("all %d pairs decided for; %s", len(pairs), strings.Join(for_, "; "))
	}
	return inconclusive, fmt.Sprintf("%d of %d pairs within the seed range; %s", len(open), len(pairs), strings.Join(open, "; "))
}

// paired describes the per-seed comparison of two methods run from the
// same starts (information only: the verdict uses the unpaired ranges).
func paired(a, b []float64) string {
	if len(a) != len(b) || len(a) < 2 {
		return ""
	}
	below := 0
	for i := range a {
		if a[i] < b[i] {
			below++
		}
	}
	return fmt.Sprintf(" (below on %d/%d seeds)", below, len(a))
}

// judgeMonotone applies the monotone rule to the named methods.
func judgeMonotone(s map[string]series, names []string) (verdict, string) {
	for _, n := range names {
		if _, ok := s[n]; !ok {
			return inconclusive, "no run of " + n
		}
	}
	var bad, ev []string
	for _, n := range names {
		r := s[n]
		total := 0
		for _, k := range r.Increases {
			total += k
		}
		ev = append(ev, fmt.Sprintf("%s %d", n, total))
		switch {
		case r.Failed > 0:
			bad = append(bad, fmt.Sprintf("%s: f became non-finite on %d of %d seeds, %d increases", n, r.Failed, len(r.Increases), total))
		case total > 0:
			bad = append(bad, fmt.Sprintf("%s: %d increases (largest %.2g relative)", n, total, r.MaxRise))
		}
	}
	if !anyMoved(s, names) {
		why := nothingMoved(s, names) + " (a flat curve is trivially monotone)"
		if len(bad) > 0 {
			why += "; increases anyway: " + strings.Join(bad, "; ")
		}
		return inconclusive, why
	}
	if len(bad) > 0 {
		return refuted, strings.Join(bad, "; ")
	}
	return confirmed, "no increase of f on any seed: " + strings.Join(ev, ", ")
}

// judgeConverge applies the convergence rule to method name.
func judgeConverge(s map[string]series, name string) (verdict, string) {
	r, ok := s[name]
	if !ok {
		return inconclusive, "no run of " + name
	}
	if r.Failed > 0 {
		return refuted, fmt.Sprintf("%s diverged on %d seeds", name, r.Failed)
	}
	g := newBand(r.GradRel)
	ev := fmt.Sprintf("%s: final/initial ‖∇f‖ %s (≤ %g counts), final nMSE %s", name, g, stationaryRatio, r.Final)
	if r.Moved <= moveTol {
		return inconclusive, nothingMoved(s, []string{name})
	}
	if len(r.GradRel) > 0 && g.Hi <= stationaryRatio {
		return confirmed, ev
	}
	return inconclusive, ev + ": not stationary within the budget"
}

// claimDef is one claim of the paper's Section 6 and how it is judged.
type claimDef struct {
	ID     string // as printed in the table
	Figure string
	Text   string
	Judge  func(s map[string]series) (verdict, string)
}

// claimDefs are the claims, in table order.
func claimDefs() []claimDef {
	f2a := figures(false)[0]
	var props, bases []string
	for _, m := range f2a.Methods {
		switch m.Role {
		case proposed:
			props = append(props, m.Name)
		case baseline:
			bases = append(bases, m.Name)
		}
	}
	var beat []pair
	for _, p := range props {
		for _, b := range bases {
			beat = append(beat, pair{Low: p, High: b})
		}
	}
	b50, b100, b200, grow := batchName(figure2bBatches[0]), batchName(figure2bBatches[1]), batchName(figure2bBatches[2]), batchName(figure2bBatches[3])
	fa1 := figures(false)[2]
	var monotone []string
	for _, m := range fa1.Methods {
		if m.Role == proposed {
			monotone = append(monotone, m.Name)
		}
	}
	return []claimDef{
		{ID: "2(a) each Prop rule beats BP-CLR, AdaGrad", Figure: "2a",
			Text:  "all three proposed step rules outperform BP-CLR and AdaGrad in convergence rate (final nMSE at equal budget)",
			Judge: func(s map[string]series) (verdict, string) { return judgeOrder(s, beat) }},
		{ID: "2(b) larger B is better (50, 100, 200)", Figure: "2b",
			Text:  "performance improves as B increases from 50 to 100 to 200",
			Judge: func(s map[string]series) (verdict, string) { return judgeOrder(s, []pair{{b100, b50}, {b200, b100}}) }},
		{ID: "2(b) growing B = min(k,N) converges", Figure: "2b",
			Text:  "with B = min(k, N) the method converges (to a stationary point)",
			Judge: func(s map[string]series) (verdict, string) { return judgeConverge(s, grow) }},
		{ID: "A.1 Prop rules decrease f monotonically", Figure: "a1",
			Text:  "with exponential loss and softplus the proposed BSUM methods decrease f monotonically (" + strings.Join(monotone, ", ") + ")",
			Judge: func(s map[string]series) (verdict, string) { return judgeMonotone(s, monotone) }},
	}
}
