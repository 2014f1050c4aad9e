package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bsum-go/bsum/models"
)

func report(w io.Writer, cfg config, n int, figs []figureSpec, s *summary) {
	unit, blocks := "1 block update", cfg.Iters
	if j := len(models.BodyFat().Sizes) - 1; cfg.X == xSweeps {
		unit = fmt.Sprintf("1 sweep of the J = %d blocks (step rules and the growing batch B = min(k, N) count sweeps)", j)
		blocks = cfg.Iters * j
	}
	fmt.Fprintf(w, "BodyFat: N = %d, 13-10-10-10-1, cyclic blocks; x axis: 1 iteration = %s; budget T = %d iterations (%d block updates) per method\n",
		n, unit, cfg.Iters, blocks)
	fmt.Fprintf(w, "readings: %s (mean: loss/N as (16) prints; sum: the 1/N dropped, as (A.13) implies: f × N, i.e. ‖Y−H‖² and Nc·exp(‖Y−H‖²/(Nc)))\n",
		strings.Join(cfg.Readings, ", "))
	fmt.Fprintf(w, "K = %d seeds (%d..%d): each seed draws the Glorot-normal start (the same for every method) and the batches; numbers are median [min, max] over seeds\n",
		cfg.Seeds, cfg.Seed, cfg.Seed+uint64(cfg.Seeds)-1)
	if cfg.Tune {
		fmt.Fprintf(w, "constants: tuned: each method (and reading) gets the grid value with the lowest median final nMSE over the %d seeds, same budget for all:\n", cfg.Seeds)
		seen := map[string]bool{}
		for _, f := range figs {
			for _, m := range f.Methods {
				if len(m.Grid) < 2 || seen[m.Name] {
					continue
				}
				seen[m.Name] = true
				fmt.Fprintf(w, "  %-26s %s ∈ %v\n", m.Name, m.Param, m.Grid)
			}
		}
	} else {
		fmt.Fprintf(w, "constants: fixed, not tuned (the paper's where it gives them; else c/√k c=%g, c/(2k) c=%g, BP-CLR α=%g, AdaGrad η=%g, GD γ=%g)\n",
			cInvSqrt, cHarmonic, clrRate, adaEta, gdGamma)
	}

	fmt.Fprintln(w, "\nverdicts (claim × reading):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  claim")
	for _, r := range cfg.Readings {
		fmt.Fprintf(tw, "\t%s", r)
	}
	fmt.Fprintln(tw)
	defs := claimDefs()
	for _, c := range defs {
		if _, ok := s.Verdicts[c.ID]; !ok {
			continue
		}
		fmt.Fprintf(tw, "  %s", c.ID)
		for _, r := range cfg.Readings {
			fmt.Fprintf(tw, "\t%s", s.Verdicts[c.ID][r])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nwhy:")
	for _, c := range defs {
		if _, ok := s.Verdicts[c.ID]; !ok {
			continue
		}
		fmt.Fprintf(w, "  %s — %s\n", c.ID, c.Text)
		for _, r := range cfg.Readings {
			// one compared pair or method per line
			why := strings.ReplaceAll(s.Why[c.ID][r], "; ", "\n           ")
			fmt.Fprintf(w, "    %-4s %s: %s\n", r, s.Verdicts[c.ID][r], why)
		}
	}

	fmt.Fprintln(w, "\nruns (final nMSE at T; moved = median |nMSE(T)/nMSE(0) − 1|; f↑ = increases of f along the x axis, all seeds; ‖∇f‖ T/0 = final/initial max block gradient norm):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  fig\tmethod\treading\tconstant\tstart nMSE\tfinal nMSE\tmoved\tf↑\t‖∇f‖ T/0\tcertified\ttime/run\tnote")
	for _, f := range figs {
		for _, m := range f.Methods {
			for _, r := range cfg.Readings {
				o := s.Outcomes[r][outcomeKey(f.ID, m.Name)]
				if o == nil {
					continue
				}
				k := "-"
				if m.Param != "" {
					k = fmt.Sprintf("%s=%g", m.Param, o.K)
				}
				inc := 0
				for _, v := range o.Series.Increases {
					inc += v
				}
				var el time.Duration
				cert := true
				for _, run := range o.Runs {
					el += run.Elapsed
					cert = cert && run.Certified
				}
				el /= time.Duration(max(1, len(o.Runs)))
				note := ""
				if m.Role == extra {
					note = " (reference)"
				}
				if o.Series.Failed > 0 {
					note += fmt.Sprintf(" %d of %d failed: %v", o.Series.Failed, len(o.Runs), firstErr(o.Runs))
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%.2g%%\t%d\t%s\t%v\t%v\t%s\n", f.ID, m.Name, r, k, o.Series.Start, o.Series.Final,
					100*o.Series.Moved, inc, newBand(o.Series.GradRel), cert, el.Round(time.Millisecond), strings.TrimSpace(note))
			}
		}
	}
	tw.Flush()
	if cfg.Tune {
		fmt.Fprintln(w, "\ntuning scores (median final nMSE over the seeds, per grid value):")
		for _, f := range figs {
			for _, m := range f.Methods {
				for _, r := range cfg.Readings {
					o := s.Outcomes[r][outcomeKey(f.ID, m.Name)]
					if o == nil || len(o.TuneScores) == 0 {
						continue
					}
					var parts []string
					for i, v := range o.TuneScores {
						parts = append(parts, fmt.Sprintf("%g:%.3g", m.Grid[i], v))
					}
					fmt.Fprintf(w, "  %s %s %s: %s\n", f.ID, m.Name, r, strings.Join(parts, " "))
				}
			}
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, rulesText)
	if len(s.Files) > 0 {
		fmt.Fprintln(w, "\nwrote", strings.Join(s.Files, ", "))
	}
}

func firstErr(runs []runOut) error {
	for _, r := range runs {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}
