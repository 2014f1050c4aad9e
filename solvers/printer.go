package solvers

import (
	"fmt"
	"io"
	"math"

	"github.com/bsum-go/bsum/graph"
)

// Printer is an Observer that writes a log line every Every records, like
// trainlm's training log or gonum/optimize's Printer: iteration, f, the
// validation metric, the gradient norm, α and γ. It writes a heading at
// the start (Starter) and a last line with the status and reason at the
// end (Finisher), after the final record if that was not printed yet. A
// write error stops the run with status ObserverStop.
//
// A Printer holds the state of one run at a time: it is not safe for
// concurrent use; give each run its own.
type Printer struct {
	// W receives the log.
	W io.Writer
	// Every is the number of records between lines. If Every is 0, it
	// defaults to 1 (every record); the first and the last record are
	// always printed.
	Every int
	// HeadingEvery repeats the column heading every this many lines. If
	// HeadingEvery is 0, the heading is written once, at the start.
	HeadingEvery int

	metric  string
	lines   int
	n       int
	pending *Record // last record seen, if not printed
	lastRec Record
}

// Start implements Starter: it writes the method and the heading.
func (p *Printer) Start(info RunInfo) error {
	p.metric, p.lines, p.n, p.pending = info.Metric, 0, 0, nil
	if _, err := fmt.Fprintf(p.W, "%s, %d blocks, iterations %d..%d\n", info.Method, info.Blocks, info.StartIter, info.MaxIter); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	return p.heading()
}

func (p *Printer) heading() error {
	val := "-"
	if p.metric != "" {
		val = "val " + p.metric
	}
	if _, err := fmt.Fprintf(p.W, "%8s  %13s  %11s  %10s  %10s  %10s\n", "iter", "f", val, "‖∇f‖", "α", "γ"); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	return nil
}

// Observe implements Observer.
func (p *Printer) Observe(rec Record, _ graph.Weights) error {
	every := p.Every
	if every <= 0 {
		every = 1
	}
	p.n++
	if p.n != 1 && (p.n-1)%every != 0 {
		p.lastRec = rec
		p.pending = &p.lastRec
		return nil
	}
	p.pending = nil
	return p.line(rec)
}

func (p *Printer) line(rec Record) error {
	if p.HeadingEvery > 0 && p.lines > 0 && p.lines%p.HeadingEvery == 0 {
		if err := p.heading(); err != nil {
			return err
		}
	}
	p.lines++
	val := "-"
	if !math.IsNaN(rec.ValMetric) {
		val = fmt.Sprintf("%.5g", rec.ValMetric)
	}
	f := fmt.Sprintf("%.6e", rec.F)
	if !rec.Full {
		f += "*" // a batch value
	}
	if _, err := fmt.Fprintf(p.W, "%8d  %13s  %11s  %10.3e  %10.4g  %10.3e\n", rec.K, f, val, rec.GradNorm, rec.Alpha, rec.MaxGamma); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	return nil
}

// Finish implements Finisher: it prints the last record if it was not
// printed, then the status and reason.
func (p *Printer) Finish(res *Result) {
	if p.pending != nil {
		_ = p.line(*p.pending) // nothing left to stop
		p.pending = nil
	}
	_, _ = fmt.Fprintf(p.W, "stopped: %s: %s\n", res.Status, res.Reason)
}
