package bench

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// MemPoint is the process state after Step full steps.
type MemPoint struct {
	Step    int
	Mallocs uint64 // runtime.MemStats.Mallocs (cumulative)
	Bytes   uint64 // runtime.MemStats.TotalAlloc (cumulative)
	HeapMB  float64
	RSSKB   int64 // VmRSS from /proc/self/status (-1 if unavailable)
	Elapsed time.Duration
}

// MemReport is the result of RunMemory.
type MemReport struct {
	Steps  int
	Points []MemPoint
	// AllocsPerStep and BytesPerStep are measured between the first and
	// the last checkpoint (the warm part of the run).
	AllocsPerStep, BytesPerStep float64
	// RSSGrowth is (RSS_last − RSS_first)/RSS_first; RSSGrowth10k is from
	// step 1,000 to step 10,000 when both are checkpoints (else NaN).
	RSSGrowth, RSSGrowth10k float64
	Loss                    float64
}

// RunMemory runs steps BodyFat full steps (FullStep, lr 0.1, seed 1) and
// records allocations and RSS at every checkpoint (step counts, ascending).
func RunMemory(steps int, checkpoints []int) (*MemReport, error) {
	p, err := SharedBodyFat()
	if err != nil {
		return nil, err
	}
	s, err := NewFullStep(p, BodyFatStart(p), LR)
	if err != nil {
		return nil, err
	}
	rep := &MemReport{Steps: steps, RSSGrowth10k: math.NaN()}
	start := time.Now()
	next := 0
	for k := 1; k <= steps; k++ {
		if err := s.Step(); err != nil {
			return nil, err
		}
		if next < len(checkpoints) && k == checkpoints[next] {
			next++
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			rep.Points = append(rep.Points, MemPoint{Step: k, Mallocs: ms.Mallocs, Bytes: ms.TotalAlloc,
				HeapMB: float64(ms.HeapAlloc) / (1 << 20), RSSKB: VmRSS(), Elapsed: time.Since(start)})
		}
	}
	rep.Loss = s.Loss
	if n := len(rep.Points); n >= 2 {
		a, b := rep.Points[0], rep.Points[n-1]
		d := float64(b.Step - a.Step)
		rep.AllocsPerStep = float64(b.Mallocs-a.Mallocs) / d
		rep.BytesPerStep = float64(b.Bytes-a.Bytes) / d
		if a.RSSKB > 0 {
			rep.RSSGrowth = float64(b.RSSKB-a.RSSKB) / float64(a.RSSKB)
		}
	}
	var r1k, r10k int64
	for _, p := range rep.Points {
		switch p.Step {
		case 1000:
			r1k = p.RSSKB
		case 10000:
			r10k = p.RSSKB
		}
	}
	if r1k > 0 && r10k > 0 {
		rep.RSSGrowth10k = float64(r10k-r1k) / float64(r1k)
	}
	return rep, nil
}

// VmRSS reads the resident set size in kB from /proc/self/status, or -1.
func VmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return v
		}
	}
	return -1
}

// String formats the report.
func (r *MemReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "memory: %d BodyFat full steps (lr %g), final loss %.6g\n", r.Steps, LR, r.Loss)
	for _, p := range r.Points {
		fmt.Fprintf(&b, "  step %6d: RSS %7.2f MB, heap %6.2f MB, mallocs %d, %v\n",
			p.Step, float64(p.RSSKB)/1024, p.HeapMB, p.Mallocs, p.Elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "  allocations per step (between first and last checkpoint): %.3f (%.1f B/step)\n", r.AllocsPerStep, r.BytesPerStep)
	if !math.IsNaN(r.RSSGrowth10k) {
		fmt.Fprintf(&b, "  RSS growth step 1,000 → 10,000: %+.3f%% (target < 1%%)\n", 100*r.RSSGrowth10k)
	}
	fmt.Fprintf(&b, "  RSS growth first → last checkpoint: %+.3f%%\n", 100*r.RSSGrowth)
	return b.String()
}
