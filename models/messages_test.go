package models

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bsum-go/bsum/models/dataset"
)

// Errors about model files and .npz archives quote at most ~80 characters
// of any name they echo (issue 8 §5): entry names, dtypes, block, loss and
// format names, spec names and unknown JSON fields of 2,000,000 bytes give
// messages under 1,000 bytes that still say which field is wrong.
func TestMessagesBounded(t *testing.T) {
	huge := map[string]string{
		"text":   strings.Repeat("abcdefgh", 250_000),
		"binary": strings.Repeat("\x00\x01binary", 250_000),
	}
	var saved bytes.Buffer
	require.NoError(t, tinyModel(t).Write(&saved))
	edited := func(t *testing.T, edit func(m map[string]any)) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(saved.Bytes(), &m))
		edit(m)
		data, err := json.Marshal(m)
		require.NoError(t, err)
		return data
	}
	spec := func(m map[string]any) map[string]any { return m["spec"].(map[string]any) }
	good := string(npyBytes("<f8", false, "(1, 2)", f64(1, 2)))
	// The entries of a valid archive with a scaler, to add one to.
	var scaled []string
	sc := writeNPZ(t, withScaler(t, tinyModel(t), &dataset.Scaler{FeatureNames: []string{"a", "b"}, Mean: []float64{0, 0}, Std: []float64{1, 1}, TargetNames: []string{"y"}, TargetMode: dataset.TargetIdentity}))
	zr, err := zip.NewReader(bytes.NewReader(sc), int64(len(sc)))
	require.NoError(t, err)
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		scaled = append(scaled, f.Name, string(b))
	}
	for kind, v := range huge {
		files := []struct {
			name, names string
			edit        func(m map[string]any)
		}{
			{"format", "format", func(m map[string]any) { m["format"] = v }},
			{"loss", "loss", func(m map[string]any) { m["loss"].(map[string]any)["name"] = v }},
			{"block name", "block", func(m map[string]any) { m["blocks"].([]any)[0].(map[string]any)["name"] = v }},
			{"two blocks named alike", "saved twice", func(m map[string]any) {
				b := m["blocks"].([]any)
				b[0].(map[string]any)["name"] = v
				m["blocks"] = append(b, b[0])
			}},
			{"spec kind", "kind", func(m map[string]any) { spec(m)["kind"] = v }},
			{"spec activation", "activation", func(m map[string]any) { spec(m)["activation"] = v }},
			{"spec output", "output", func(m map[string]any) { spec(m)["output"] = v }},
			{"spec loss", "loss", func(m map[string]any) { spec(m)["loss"] = v }},
			{"unknown field", "unknown field", func(m map[string]any) { m[v] = 1 }},
		}
		for _, tc := range files {
			t.Run(kind+"/model "+tc.name, func(t *testing.T) {
				_, err := Read(bytes.NewReader(edited(t, tc.edit)))
				require.ErrorIs(t, err, ErrModelFile)
				msg := err.Error()
				assert.Less(t, len(msg), 1000, "%.1200s", msg)
				assert.Contains(t, msg, tc.names)
				assert.Contains(t, msg, "…")
				assert.True(t, utf8.ValidString(msg))
			})
		}
		// A zip entry name holds at most 65,535 bytes.
		n := v[:60_000]
		archives := []struct {
			name, names string
			data        []byte
		}{
			{"entry name", "entry", zipOf(n+".txt", good)},
			{"array twice", "stored twice", zipOf(n+".npy", good, n+".npy", good)},
			{"block entry", "block", zipOf(n+".npy", "not numpy")},
			{"scaler array", "scaler array", zipOf(append(scaled, "scaler."+n+".npy", good)...)},
			// A .npy version 1 header holds at most 65,535 bytes.
			{"dtype", "dtype", zipOf("W.npy", string(npyBytes(v[:2000], false, "(1, 2)", f64(1, 2))))},
		}
		for _, tc := range archives {
			t.Run(kind+"/npz "+tc.name, func(t *testing.T) {
				_, err := readNPZ(tc.data)
				require.ErrorIs(t, err, ErrNPZ)
				msg := err.Error()
				assert.Less(t, len(msg), 1000, "%.1200s", msg)
				assert.Contains(t, msg, tc.names)
				assert.Contains(t, msg, "…")
			})
		}
	}
}

func TestJSONError(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`json: unknown field "a"`, `json: unknown field "a"`},
		{`json: unknown field "` + strings.Repeat("b", 90) + `"`, `json: unknown field "` + strings.Repeat("b", 80) + `"… (90 bytes)`},
		{"invalid character 'x' looking for beginning of value", "invalid character 'x' looking for beginning of value"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "… (300 bytes)"},
	} {
		assert.Equal(t, tc.want, jsonError(errString(tc.in)))
	}
}

type errString string

func (e errString) Error() string { return string(e) }
