package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idxBytes encodes an IDX file: magic, big-endian dims, then data.
func idxBytes(typ IDXType, dims []int, data []byte) []byte {
	b := []byte{0, 0, byte(typ), byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestReadIDXTypes(t *testing.T) {
	be := binary.BigEndian
	tests := []struct {
		name string
		typ  IDXType
		data []byte
		want []float64
	}{
		{"uint8", IDXUint8, []byte{0, 1, 255, 128}, []float64{0, 1, 255, 128}},
		{"int8", IDXInt8, []byte{0, 1, 255, 128}, []float64{0, 1, -1, -128}},
		{"int16", IDXInt16, be.AppendUint16(be.AppendUint16(be.AppendUint16(be.AppendUint16(nil, 1), 0xffff), 0x8000), 300),
			[]float64{1, -1, -32768, 300}},
		{"int32", IDXInt32, be.AppendUint32(be.AppendUint32(be.AppendUint32(be.AppendUint32(nil, 7), 0xffffffff), 0x80000000), 1<<30),
			[]float64{7, -1, math.MinInt32, 1 << 30}},
		{"float32", IDXFloat32, be.AppendUint32(be.AppendUint32(be.AppendUint32(be.AppendUint32(nil,
			math.Float32bits(1.5)), math.Float32bits(-0.25)), math.Float32bits(3e38)), math.Float32bits(1e-45)),
			[]float64{1.5, -0.25, float64(float32(3e38)), float64(float32(1e-45))}},
		{"float64", IDXFloat64, be.AppendUint64(be.AppendUint64(be.AppendUint64(be.AppendUint64(nil,
			math.Float64bits(math.Pi)), math.Float64bits(-1e300)), math.Float64bits(5e-324)), math.Float64bits(0)),
			[]float64{math.Pi, -1e300, 5e-324, 0}},
	}
	for _, tc := range tests {
		for _, compressed := range []bool{false, true} {
			name := tc.name
			raw := idxBytes(tc.typ, []int{2, 2}, tc.data)
			if compressed {
				raw, name = gzipBytes(t, raw), name+" gzip"
			}
			t.Run(name, func(t *testing.T) {
				a, err := ReadIDX(bytes.NewReader(raw), "t.idx", IDXOptions{})
				require.NoError(t, err)
				assert.Equal(t, tc.typ, a.Type)
				assert.Equal(t, []int{2, 2}, a.Dims)
				require.Equal(t, 4, a.Len())
				got := make([]float64, 4)
				for i := range got {
					got[i] = a.At(i)
				}
				assert.Equal(t, tc.want, got)
				assert.Equal(t, tc.typ.String(), tc.name)
			})
		}
	}
	assert.Equal(t, "type 0x42", IDXType(0x42).String())
	assert.Equal(t, 0, IDXType(0x42).Size())
}

func TestReadIDXMaxItems(t *testing.T) {
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	raw := idxBytes(IDXUint8, []int{4, 3}, data)
	tests := []struct {
		name     string
		maxItems int
		dims     []int
		data     []byte
	}{
		{"all", 0, []int{4, 3}, data},
		{"first two", 2, []int{2, 3}, data[:6]},
		{"exactly all", 4, []int{4, 3}, data},
		{"more than all", 9, []int{4, 3}, data},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, in := range [][]byte{raw, gzipBytes(t, raw)} {
				a, err := ReadIDX(bytes.NewReader(in), "m.idx", IDXOptions{MaxItems: tc.maxItems})
				require.NoError(t, err)
				assert.Equal(t, tc.dims, a.Dims)
				assert.Equal(t, tc.data, a.Data)
			}
		})
	}
	// Only the items asked for are read: a file truncated after them is fine.
	a, err := ReadIDX(bytes.NewReader(raw[:len(raw)-4]), "m.idx", IDXOptions{MaxItems: 2})
	require.NoError(t, err)
	assert.Equal(t, data[:6], a.Data)
}

func TestReadIDXEmpty(t *testing.T) {
	a, err := ReadIDX(bytes.NewReader(idxBytes(IDXUint8, []int{0, 28, 28}, nil)), "e.idx", IDXOptions{})
	require.NoError(t, err)
	assert.Equal(t, 0, a.Len())
	assert.Empty(t, a.Data)
	// A zero dimension makes the product zero whatever the other sizes.
	a, err = ReadIDX(bytes.NewReader(idxBytes(IDXFloat64, []int{0, 1 << 31, 1 << 31}, nil)), "e.idx", IDXOptions{})
	require.NoError(t, err)
	assert.Equal(t, 0, a.Len())
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(IDXUint8, []int{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	gz := gzipBytes(t, good)
	corruptCRC := bytes.Clone(gz)
	corruptCRC[len(corruptCRC)-5] ^= 0xff // last byte of the CRC-32 trailer
	huge := idxBytes(IDXFloat64, []int{1 << 31, 1 << 31, 1 << 31}, []byte{1, 2})
	tests := []struct {
		name string
		in   []byte
		opt  IDXOptions
		has  string
		eof  bool // also wraps io.ErrUnexpectedEOF
	}{
		{"empty", nil, IDXOptions{}, "0 bytes, too short for an IDX header", false},
		{"one byte", []byte{0}, IDXOptions{}, "1 bytes, too short", false},
		{"three bytes", []byte{0, 0, 8}, IDXOptions{}, "3 bytes, too short", false},
		{"PNG", []byte("\x89PNG\r\n\x1a\n...."), IDXOptions{}, "not an IDX file: magic number 89 50 4e 47", false},
		{"text", []byte("a,b\n1,2\n"), IDXOptions{}, "not an IDX file", false},
		{"unknown type", idxBytes(0x0A, []int{1}, []byte{1}), IDXOptions{}, "unknown element type 0x0a", false},
		{"no dims", []byte{0, 0, 8, 0}, IDXOptions{}, "0 dimensions", false},
		{"truncated dims", good[:9], IDXOptions{}, "truncated header: 2 dimensions need 8 bytes, got 5", false},
		{"truncated data", good[:len(good)-1], IDXOptions{}, "the header announces 6 data bytes (3×2 uint8), the file holds 5", true},
		{"truncated gzip data", gzipBytes(t, good[:len(good)-2]), IDXOptions{}, "the file holds 4", true},
		{"trailing data", append(bytes.Clone(good), 0), IDXOptions{}, "data continues after the 3×2 array of uint8", false},
		{"trailing gzip data", gzipBytes(t, append(bytes.Clone(good), 9, 9)), IDXOptions{}, "data continues", false},
		{"huge dims", huge, IDXOptions{}, "the header announces a 2147483648×2147483648×2147483648 array of float64, more than the limit", false},
		{"over MaxBytes", good, IDXOptions{MaxBytes: 5}, "more than the limit of 5 bytes", false},
		{"huge but possible dims", idxBytes(IDXUint8, []int{1 << 20, 1 << 10}, []byte{1, 2, 3}), IDXOptions{}, "the file holds 3", true},
		{"bad gzip header", []byte{0x1f, 0x8b, 0, 0}, IDXOptions{}, "gzip:", false},
		{"gzip CRC", corruptCRC, IDXOptions{}, "checksum", false},
		{"truncated gzip stream", gz[:len(gz)-10], IDXOptions{}, "", false},
		{"gzip of garbage", gzipBytes(t, []byte("hello world")), IDXOptions{}, "not an IDX file", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadIDX(bytes.NewReader(tc.in), "bad.idx", tc.opt)
			require.Error(t, err)
			assert.Nil(t, a)
			assert.ErrorIs(t, err, ErrIDX)
			assert.Contains(t, err.Error(), "bad.idx: malformed IDX file")
			assert.Contains(t, err.Error(), tc.has)
			if tc.eof {
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			}
		})
	}
}

// TestLoadIDXChecksFileSize: a plain file that announces more data than it
// holds is refused from its length, before the data is read.
func TestLoadIDXChecksFileSize(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		raw  []byte
		has  string
	}{
		{"plain, 60000×28×28 announced, 10 bytes present", idxBytes(IDXUint8, []int{60000, 28, 28}, make([]byte, 10)),
			"the header announces a 60000×28×28 array of uint8 (47040000 data bytes) but the file has only 10 bytes after the header"},
		{"plain, float64 4e9 announced", idxBytes(IDXFloat64, []int{1 << 29}, nil), "(4294967296 data bytes) but the file has only 0"},
		{"gzip, 60000×28×28 announced", gzipBytes(t, idxBytes(IDXUint8, []int{60000, 28, 28}, make([]byte, 10))), "the file holds 10"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, string(rune('a'+i)))
			require.NoError(t, os.WriteFile(p, tc.raw, 0o644))
			_, err := LoadIDX(p, IDXOptions{})
			assert.ErrorIs(t, err, ErrIDX)
			assert.Contains(t, err.Error(), tc.has)
		})
	}
	// With MaxItems only the items asked for must be present.
	p := filepath.Join(dir, "partial")
	require.NoError(t, os.WriteFile(p, idxBytes(IDXUint8, []int{1000, 2}, []byte{1, 2, 3, 4, 5}), 0o644))
	a, err := LoadIDX(p, IDXOptions{MaxItems: 2})
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3, 4}, a.Data)
	_, err = LoadIDX(p, IDXOptions{MaxItems: 3})
	assert.ErrorContains(t, err, "a 3×2 array of uint8 (6 data bytes) but the file has only 5 bytes")
	_, err = LoadIDX(filepath.Join(dir, "nope"), IDXOptions{})
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// TestReadAtMostGrows: with no size bound, memory grows with the data that
// really arrives.
func TestReadAtMostGrows(t *testing.T) {
	src := bytes.Repeat([]byte{7}, 3<<20+5)
	got, err := readAtMost(bytes.NewReader(src), int64(len(src)), 0)
	require.NoError(t, err)
	assert.Equal(t, src, got)
	got, err = readAtMost(bytes.NewReader(src[:100]), 1<<40, 0)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Len(t, got, 100)
	assert.LessOrEqual(t, cap(got), 1<<20)
}

// errReader fails after its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadIDXReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	good := idxBytes(IDXUint8, []int{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	for _, cut := range []int{0, 1, 6, 13} {
		_, err := ReadIDX(&errReader{data: good[:cut], err: boom}, "r.idx", IDXOptions{})
		require.Error(t, err, "cut %d", cut)
		assert.Contains(t, err.Error(), "disk on fire", "cut %d", cut)
		assert.Contains(t, err.Error(), "r.idx")
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(IDXUint8, []int{2, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 255}))
	f.Add(idxBytes(IDXUint8, []int{3}, []byte{0, 9, 3}))
	f.Add(idxBytes(IDXInt16, []int{1, 2}, []byte{0xff, 0xfe, 0, 1}))
	f.Add(idxBytes(IDXFloat64, []int{1}, []byte{0x40, 9, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}))
	f.Add(idxBytes(IDXUint8, []int{60000, 28, 28}, []byte{1, 2, 3}))
	f.Add(gzipBytes(f, idxBytes(IDXUint8, []int{2, 3}, []byte{1, 2, 3, 4, 5, 6})))
	f.Add([]byte{0, 0, 8})
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, maxItems := range []int{0, 1} {
			a, err := ReadIDX(bytes.NewReader(in), "fuzz.idx", IDXOptions{MaxItems: maxItems, MaxBytes: 1 << 20})
			if err != nil {
				if a != nil || !strings.Contains(err.Error(), "fuzz.idx") || !errors.Is(err, ErrIDX) {
					t.Fatalf("bad error %v (array %v)", err, a != nil)
				}
				continue
			}
			if len(a.Dims) == 0 || len(a.Data) != a.Len()*a.Type.Size() {
				t.Fatalf("%v %v: %d data bytes for %d elements", a.Type, a.Dims, len(a.Data), a.Len())
			}
			if maxItems == 1 && a.Dims[0] > 1 {
				t.Fatalf("MaxItems 1 read %d items", a.Dims[0])
			}
			for i := range a.Len() {
				_ = a.At(i) // every element decodes
			}
			// What was read writes back to the same array.
			var buf bytes.Buffer
			if err := WriteIDX(&buf, a); err != nil {
				t.Fatalf("WriteIDX of an accepted array: %v", err)
			}
			back, err := ReadIDX(&buf, "back.idx", IDXOptions{})
			if err != nil || back.Type != a.Type || !slices.Equal(back.Dims, a.Dims) || !bytes.Equal(back.Data, a.Data) {
				t.Fatalf("round trip differs: %v", err)
			}
		}
	})
}

func TestWriteIDX(t *testing.T) {
	tests := []struct {
		name string
		a    *IDX
		err  string // "" for a valid array, which must round-trip
	}{
		{"uint8 images", &IDX{Type: IDXUint8, Dims: []int{2, 2, 3}, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255}}, ""},
		{"int32 vector", &IDX{Type: IDXInt32, Dims: []int{2}, Data: []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}}, ""},
		{"empty", &IDX{Type: IDXFloat64, Dims: []int{0, 5}, Data: []byte{}}, ""},
		{"unknown type", &IDX{Type: 0x01, Dims: []int{1}, Data: []byte{1}}, "unknown element type 0x01"},
		{"no dims", &IDX{Type: IDXUint8, Data: []byte{1}}, "0 dimensions"},
		{"negative dim", &IDX{Type: IDXUint8, Dims: []int{-1}}, "dimension -1 out of range"},
		{"short data", &IDX{Type: IDXInt16, Dims: []int{3}, Data: []byte{1, 2, 3}}, "3 data bytes for a 3 array of int16 (want 6)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteIDX(&buf, tc.a)
			if tc.err != "" {
				assert.ErrorIs(t, err, ErrIDX)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, idxBytes(tc.a.Type, tc.a.Dims, tc.a.Data), buf.Bytes())
			back, err := ReadIDX(&buf, "rt.idx", IDXOptions{})
			require.NoError(t, err)
			assert.Equal(t, tc.a, back)
		})
	}
	// A failing writer is reported.
	err := WriteIDX(&errWriter{}, &IDX{Type: IDXUint8, Dims: []int{1}, Data: []byte{1}})
	assert.ErrorContains(t, err, "write failed")
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("write failed") }
