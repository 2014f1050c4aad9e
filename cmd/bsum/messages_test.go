package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hugeValues are the 2,000,000-byte values of issue 8 §5: plain text and
// binary (control bytes, as a file read by mistake would give).
var hugeValues = map[string]string{
	"text":   strings.Repeat("abcdefgh", 250_000),
	"binary": strings.Repeat("\x00\x01binary", 250_000),
}

// Every message that echoes a flag value, a CSV header or a model-file
// field stays short (< 1,000 bytes) however long the value, still names
// the flag or field, and the exit code is 2 (issue 8 §5).
func TestMessagesBoundHugeValues(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.json")
	r := runInProcess(t, context.Background(), "train", "--data", "bodyfat", "--iters", "1", "--quiet", "--save", model)
	require.Equal(t, exitOK, r.code, r.stderr)
	raw, err := os.ReadFile(model)
	require.NoError(t, err)
	// modelWith writes the saved model with one field changed by edit.
	modelWith := func(t *testing.T, edit func(m map[string]any)) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		edit(m)
		data, err := json.Marshal(m)
		require.NoError(t, err)
		p := filepath.Join(t.TempDir(), "edited.json")
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	sub := func(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }
	train := func(flags ...string) []string {
		return append([]string{"train", "--data", "bodyfat", "--iters", "1", "--quiet"}, flags...)
	}
	for kind, v := range hugeValues {
		for _, tc := range []struct {
			name  string
			args  func(t *testing.T) []string
			names string // what the message must still name
		}{
			{"--target", func(*testing.T) []string { return train("--target", v) }, "--target"},
			{"--features", func(*testing.T) []string { return train("--features", v) }, "--features"},
			{"--features item", func(*testing.T) []string { return train("--features", "Age,"+v+",,Neck") }, "--features"},
			{"--arch", func(*testing.T) []string { return train("--arch", v) }, "--arch"},
			{"--arch parts", func(*testing.T) []string { return train("--arch", "13-"+v+"-1") }, "--arch"},
			{"--step", func(*testing.T) []string { return train("--solver", "bp", "--step", v) }, "--step"},
			{"--step parameter", func(*testing.T) []string { return train("--solver", "bp", "--step", "harmonic:"+v) }, "--step"},
			{"--solver", func(*testing.T) []string { return train("--solver", v) }, "--solver"},
			{"--loss", func(*testing.T) []string { return train("--loss", v) }, "--loss"},
			{"--loss-param", func(*testing.T) []string { return train("--loss", "exponential", "--loss-param", v) }, "--loss-param"},
			{"--activation", func(*testing.T) []string { return train("--activation", v) }, "--activation"},
			{"--activation parameter", func(*testing.T) []string { return train("--activation", "lrelu:"+v) }, "--activation"},
			{"--output-activation", func(*testing.T) []string { return train("--output-activation", v) }, "--output-activation"},
			{"--kind", func(*testing.T) []string { return train("--kind", v) }, "--kind"},
			{"--blocks", func(*testing.T) []string { return train("--blocks", v) }, "--blocks"},
			{"--batch", func(*testing.T) []string { return train("--batch", v) }, "--batch"},
			{"--iters", func(*testing.T) []string { return []string{"train", "--data", "bodyfat", "--iters", v} }, "--iters"},
			{"unknown flag", func(*testing.T) []string { return []string{"train", "--" + v} }, "unknown flag"},
			{"unknown command", func(*testing.T) []string { return []string{v} }, "unknown command"},
			{"race --solvers", func(*testing.T) []string { return []string{"race", "--data", "bodyfat", "--solvers", "lm," + v} }, "--solvers"},
			{"race --solvers twice", func(*testing.T) []string { return []string{"race", "--data", "bodyfat", "--solvers", v + "," + v} }, "--solvers"},
			{"race --solvers step", func(*testing.T) []string { return []string{"race", "--data", "bodyfat", "--solvers", "bp:" + v} }, "--solvers"},
			{"predict --keep", func(*testing.T) []string {
				return []string{"predict", "--model", model, "--data", "bodyfat", "--keep", v}
			}, "--keep"},
			{"CSV header", func(t *testing.T) []string {
				p := filepath.Join(t.TempDir(), "wide.csv")
				require.NoError(t, os.WriteFile(p, []byte("a,"+strings.ReplaceAll(strings.ReplaceAll(v, "\x00", "z"), "\x01", "y")+",y\n1,2,3\n4,5,7\n"), 0o644))
				return []string{"train", "--data", p, "--target", "nope", "--arch", "2-1", "--iters", "1", "--quiet"}
			}, "--target"},
			{"model format", func(t *testing.T) []string {
				return []string{"predict", "--model", modelWith(t, func(m map[string]any) { m["format"] = v }), "--data", "bodyfat"}
			}, "format"},
			{"model loss", func(t *testing.T) []string {
				return []string{"predict", "--model", modelWith(t, func(m map[string]any) { sub(m, "loss")["name"] = v }), "--data", "bodyfat"}
			}, "loss"},
			{"model block name", func(t *testing.T) []string {
				return []string{"export", "--model", modelWith(t, func(m map[string]any) { m["blocks"].([]any)[0].(map[string]any)["name"] = v }), "--npz", filepath.Join(t.TempDir(), "w.npz")}
			}, "block"},
			{"model spec kind", func(t *testing.T) []string {
				return []string{"predict", "--model", modelWith(t, func(m map[string]any) { sub(m, "spec")["kind"] = v }), "--data", "bodyfat"}
			}, "kind"},
			{"model spec activation", func(t *testing.T) []string {
				return []string{"predict", "--model", modelWith(t, func(m map[string]any) { sub(m, "spec")["activation"] = v }), "--data", "bodyfat"}
			}, "activation"},
			{"model spec loss", func(t *testing.T) []string {
				return []string{"predict", "--model", modelWith(t, func(m map[string]any) { sub(m, "spec")["loss"] = v }), "--data", "bodyfat"}
			}, "loss"},
			{"model feature name", func(t *testing.T) []string {
				return []string{"predict", "--model", modelWith(t, func(m map[string]any) { sub(m, "scaler")["feature_names"].([]any)[0] = v }), "--data", "bodyfat"}
			}, "Age"},
			{"model target mode", func(t *testing.T) []string {
				return []string{"predict", "--model", modelWith(t, func(m map[string]any) { sub(m, "scaler")["target_mode"] = v }), "--data", "bodyfat"}
			}, "target"},
			{"model block name reserved for the scaler", func(t *testing.T) []string {
				return []string{"export", "--model", modelWith(t, func(m map[string]any) {
					m["blocks"].([]any)[0].(map[string]any)["name"] = "scaler." + v
					delete(m, "spec") // a custom network's model: its blocks go to the archive by name
				}), "--npz", filepath.Join(t.TempDir(), "w.npz")}
			}, "block"},
			{"model unknown field", func(t *testing.T) []string {
				return []string{"export", "--model", modelWith(t, func(m map[string]any) { m[v] = 1 }), "--npz", filepath.Join(t.TempDir(), "w.npz")}
			}, "unknown field"},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				r := runInProcess(t, context.Background(), tc.args(t)...)
				want := exitUsage
				if tc.name == "model block name reserved for the scaler" {
					want = exitFailure // a valid model that cannot be written as .npz (export's exit 1)
				}
				assert.Equal(t, want, r.code, "%.600s", r.stderr)
				assert.Less(t, len(r.stderr), 1000, "%.1200s", r.stderr)
				assert.Contains(t, r.stderr, tc.names)
				assert.True(t, utf8.ValidString(r.stderr))
				assert.Contains(t, r.stderr, "…", "the value is cut with an ellipsis")
			})
		}
	}
}

func TestBoundMessages(t *testing.T) {
	long := strings.Repeat("x", 100)
	cut := `"` + strings.Repeat("x", 80) + `"… (100 bytes)`
	for _, tc := range []struct {
		name, in, quoted, flag string
	}{
		{"short", `invalid argument "x" for "--iters" flag`, `invalid argument "x" for "--iters" flag`, `invalid argument "x" for "--iters" flag`},
		{"long quoted", `invalid argument "` + long + `" for "--iters" flag: parsing "` + long + `"`,
			`invalid argument ` + cut + ` for "--iters" flag: parsing ` + cut, `invalid argument ` + cut + ` for "--iters" flag: parsing ` + cut},
		{"unknown flag", "unknown flag: --" + long, "unknown flag: --" + long, `unknown flag: "--` + strings.Repeat("x", 78) + `"… (102 bytes)`},
		{"stray quote", `a "b` + long, `a "b` + long, `a "b` + long},
		{"too long unquoted", strings.Repeat("y", 500), strings.Repeat("y", 500), strings.Repeat("y", maxFlagMessage) + "… (500 bytes)"},
		{"multi-byte cut", strings.Repeat("é", 300), strings.Repeat("é", 300), strings.Repeat("é", maxFlagMessage/2) + "… (600 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.quoted, boundQuoted(tc.in))
			assert.Equal(t, tc.flag, boundFlagMessage(tc.in))
		})
	}
	assert.Equal(t, "Age, W1, \"a,b\", \"\", \"\\x00\", "+`"`+strings.Repeat("z", 80)+`"… (81 bytes)`,
		plainList([]string{"Age", "W1", "a,b", "", "\x00", strings.Repeat("z", 81)}))
	many := make([]string, 25)
	for i := range many {
		many[i] = "c"
	}
	assert.True(t, strings.HasSuffix(plainList(many), "c, … (5 more)"), plainList(many))
}
