package main

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models"
)

func TestRaceUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no solvers", []string{"race", "--data", "bodyfat"}, "missing --solvers"},
		{"empty item", []string{"race", "--data", "bodyfat", "--solvers", "lm,,gd"}, "empty item"},
		{"twice", []string{"race", "--data", "bodyfat", "--solvers", "lm,LM"}, "listed twice"},
		{"unknown solver", []string{"race", "--data", "bodyfat", "--solvers", "lm,nope"}, "nope"},
		{"bad step", []string{"race", "--data", "bodyfat", "--solvers", "bp:harmonic:x"}, "--step"},
		{"unknown block rule", []string{"race", "--data", "bodyfat", "--solvers", "lm", "--blocks", "diagonal"}, "--blocks"},
		{"negative iters", []string{"race", "--data", "bodyfat", "--solvers", "lm", "--iters", "-1"}, "--iters"},
		{"negative evals", []string{"race", "--data", "bodyfat", "--solvers", "lm", "--evals", "-1"}, "--evals"},
		{"negative parallel", []string{"race", "--data", "bodyfat", "--solvers", "lm", "--parallel", "-2"}, "--parallel"},
		{"negative target", []string{"race", "--data", "bodyfat", "--solvers", "lm", "--target-f", "-1"}, "--target-f"},
		{"no data", []string{"race", "--solvers", "lm"}, "--data"},
		{"save folder missing", []string{"race", "--data", "bodyfat", "--solvers", "lm", "--save", filepath.Join(dir, "no", "m.json")}, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runInProcess(t, context.Background(), tc.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.msg)
		})
	}
}

// rankingColumns drops the wall-time columns of a race table, which differ
// between runs.
func rankingColumns(t *testing.T, table string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[1:] {
		if strings.HasPrefix(line, "winner:") || strings.HasPrefix(line, "model:") {
			continue
		}
		i := strings.Index(line, "iteration limit")
		if i < 0 {
			i = strings.Index(line, "evaluation limit")
		}
		require.Positive(t, i, line)
		out = append(out, strings.Join(strings.Fields(line[:i]), " "))
	}
	return out
}

func TestRaceRanksAndSavesTheWinner(t *testing.T) {
	dir := t.TempDir()
	save := filepath.Join(dir, "best.json")
	args := []string{"race", "--data", "bodyfat", "--solvers", "gd,lm,bp:recursive:1,0.99,adagrad", "--iters", "12", "--target-f", "1e9"}
	r1 := runInProcess(t, context.Background(), append(args, "--parallel", "1", "--save", save)...)
	require.Equal(t, exitOK, r1.code, r1.stderr)
	r4 := runInProcess(t, context.Background(), append(args, "--parallel", "4")...)
	require.Equal(t, exitOK, r4.code, r4.stderr)
	rows := rankingColumns(t, r1.stdout)
	require.Len(t, rows, 4)
	assert.Equal(t, rows, rankingColumns(t, r4.stdout), "the ranking does not depend on --parallel")
	assert.True(t, strings.HasPrefix(rows[0], "1 * "), "the first rank is certified here and wins: %s", rows[0])
	assert.Contains(t, r1.stdout, "bp:recursive:1,0.99", "a step with two parameters stays one item")
	assert.Contains(t, r1.stdout, "(1 updates)")
	assert.Contains(t, r1.stdout, "winner:")

	m, err := models.Load(save)
	require.NoError(t, err)
	assert.Equal(t, "12", m.Meta["iterations"])
	assert.Equal(t, "true", m.Meta["certified"])
}

// --evals gives every solver the same number of network passes; the
// ranking, with its evaluation counts, does not depend on --parallel.
func TestRaceEvaluationBudget(t *testing.T) {
	args := []string{"race", "--data", "bodyfat", "--solvers", "gd,lm,hf,bp:armijo", "--evals", "1500"}
	r1 := runInProcess(t, context.Background(), append(args, "--parallel", "1")...)
	require.Equal(t, exitOK, r1.code, r1.stderr)
	r2 := runInProcess(t, context.Background(), append(args, "--parallel", "2")...)
	require.Equal(t, exitOK, r2.code, r2.stderr)
	rows := rankingColumns(t, r1.stdout)
	require.Len(t, rows, 4)
	assert.Equal(t, rows, rankingColumns(t, r2.stdout), "the ranking does not depend on --parallel")
	head := strings.Fields(strings.SplitN(r1.stdout, "\n", 2)[0])
	require.Contains(t, head, "evals")
	col := slices.Index(head, "evals")
	for _, row := range rows {
		f := strings.Fields(row)
		if f[1] == "*" {
			f = append(f[:1], f[2:]...)
		}
		// The method names hold spaces: count the columns from the end.
		evals, err := strconv.Atoi(f[len(f)-(len(head)-col)+3])
		require.NoError(t, err, row)
		assert.GreaterOrEqual(t, evals, 1500, row)
		assert.Less(t, evals, 1500+2*130+200, "%s: overshoots by more than one LM update", row)
	}
	table, _, _ := strings.Cut(r1.stdout, "winner:")
	assert.Equal(t, 4, strings.Count(table, "evaluation limit"), r1.stdout)
}

func TestRootNamesRaceAndExport(t *testing.T) {
	r := runInProcess(t, context.Background())
	assert.Equal(t, exitUsage, r.code)
	for _, c := range []string{"race", "export", "train", "predict"} {
		assert.Contains(t, r.stderr, c)
	}
	assert.Contains(t, r.stderr, "missing command (want train, predict, race, export, solvers or version)")
	r = runInProcess(t, context.Background(), "race", "--help")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "--evals")
	assert.Contains(t, r.stdout, "network passes")
}

func TestRaceWithoutCertifiedWinnerFails(t *testing.T) {
	r := runInProcess(t, context.Background(), "race", "--data", "bodyfat", "--solvers", "adagrad", "--iters", "3")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "no winner")
	r = runInProcess(t, context.Background(), "race", "--data", "bodyfat", "--solvers", "adagrad", "--iters", "3", "--uncertified")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "winner:")
}

func TestParseRaceSolvers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []raceEntry
		err  bool
	}{
		{in: "lm", want: []raceEntry{{"lm", "lm", ""}}},
		{in: "lm, gd ,bp:harmonic:1", want: []raceEntry{{"lm", "lm", ""}, {"gd", "gd", ""}, {"bp:harmonic:1", "bp", "harmonic:1"}}},
		{in: "bp:recursive:1,0.99,adagrad", want: []raceEntry{{"bp:recursive:1,0.99", "bp", "recursive:1,0.99"}, {"adagrad", "adagrad", ""}}},
		{in: "", err: true},
		{in: "lm,", err: true},
		{in: "0.5", want: []raceEntry{{"0.5", "0.5", ""}}}, // not a solver: ByName refuses it later
		{in: "gd,GD", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseRaceSolvers(tc.in)
			if tc.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseRaceSolvers(f *testing.F) {
	for _, s := range []string{"lm,gd,bp:harmonic:1,adagrad", "bp:recursive:1,0.99", ",", "a:1,2,3,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseRaceSolvers(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, got)
		var specs []string
		for _, e := range got {
			require.NotEmpty(t, e.spec)
			name, _, _ := strings.Cut(strings.ToLower(e.spec), ":")
			assert.Equal(t, strings.TrimSpace(name), e.solver)
			specs = append(specs, e.spec)
		}
		// Items rejoined by commas give back the list (up to spaces).
		norm := func(s string) string { return strings.ReplaceAll(s, " ", "") }
		var parts []string
		for _, p := range strings.Split(s, ",") {
			parts = append(parts, strings.TrimSpace(p))
		}
		assert.Equal(t, norm(strings.Join(parts, ",")), norm(strings.Join(specs, ",")))
	})
}
