package models

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"github.com/bsum-go/bsum/graph"
	"github.com/bsum-go/bsum/internal/quote"
	"github.com/bsum-go/bsum/models/dataset"
)

// ErrNPZ is wrapped by errors about an invalid .npz weights archive.
var ErrNPZ = errors.New("invalid .npz weights archive")

// Names of the scaler's arrays in an .npz archive. Weight blocks are
// stored under their own names, which must not start with NPZScalerPrefix.
const (
	NPZScalerPrefix     = "scaler."
	npzFeatureNames     = NPZScalerPrefix + "feature_names" // d0 strings
	npzFeatureMean      = NPZScalerPrefix + "mean"          // d0
	npzFeatureStd       = NPZScalerPrefix + "std"           // d0
	npzTargetNames      = NPZScalerPrefix + "target_names"  // dJ strings
	npzTargetMode       = NPZScalerPrefix + "target_mode"   // 0-d string
	npzTargetRange      = NPZScalerPrefix + "range"         // [lo, hi] (minmax)
	npzTargetMin        = NPZScalerPrefix + "target_min"    // dJ (minmax)
	npzTargetMax        = NPZScalerPrefix + "target_max"    // dJ (minmax)
	npzTargetMean       = NPZScalerPrefix + "target_mean"   // dJ (standard)
	npzTargetStd        = NPZScalerPrefix + "target_std"    // dJ (standard)
	npzMaxHeader        = 1 << 16
	npzMaxStringElement = 1 << 12  // characters of one string
	npzMaxStrings       = 16 << 20 // bytes of a string array
)

// NPZ is the content of an .npz weights archive: named weight blocks and,
// optionally, the data scaler. It is a plain value, not safe for
// concurrent modification.
type NPZ struct {
	// Blocks are the weight blocks in archive order (no regularisers: an
	// archive holds arrays only).
	Blocks []BlockInfo
	// Weights holds one row-major array per block.
	Weights graph.Weights
	// Scaler is the scaler stored as arrays, nil if the archive has none.
	Scaler *dataset.Scaler
}

// WeightsFor returns the archive's weights in net's block order, matched by
// name; a *MismatchError lists missing, unexpected and misshapen blocks.
func (z *NPZ) WeightsFor(net *graph.Net) (graph.Weights, error) {
	if net == nil {
		return nil, fmt.Errorf("models: nil network: %w", graph.ErrArgument)
	}
	return weightsFor(z.Blocks, z.Weights, net)
}

// WriteNPZ writes the model's weights as a NumPy .npz archive (a zip of
// deflated .npy entries, as numpy.savez_compressed writes; numpy.load reads
// it without allow_pickle): one float64 array per block, named
// by the block, of shape (rows, cols) = (d_j, d_{j−1}) — (d_j, d_{j−1}+1)
// with a folded bias, the bias in the last column — in C (row-major)
// order, so that numpy.load(f)["W1"] @ x is the block's product. With a
// scaler it adds the arrays scaler.feature_names, scaler.mean,
// scaler.std, scaler.target_names, scaler.target_mode (a 0-d string:
// identity, minmax or standard) and, by mode, scaler.range ([lo, hi]),
// scaler.target_min and scaler.target_max, or scaler.target_mean and
// scaler.target_std; see dataset.Scaler for the maps they define.
func (m *Model) WriteNPZ(w io.Writer) error {
	if err := m.validate(); err != nil {
		return err
	}
	for _, b := range m.Blocks {
		if strings.HasPrefix(b.Name, NPZScalerPrefix) {
			return fmt.Errorf("models: npz: block %s: names starting with %q are reserved for the scaler: %w", quote.Quote(b.Name), NPZScalerPrefix, graph.ErrArgument)
		}
	}
	zw := npz.NewWriter(w)
	put := func(name string, v any) error {
		if err := zw.Write(name+".npy", v); err != nil {
			return fmt.Errorf("models: npz: %w", err)
		}
		return nil
	}
	for j, b := range m.Blocks {
		if err := put(b.Name, mat.NewDense(b.Rows, b.Cols, m.Weights[j])); err != nil {
			return err
		}
	}
	if s := m.Scaler; s != nil {
		mode := s.TargetMode
		if mode == "" {
			mode = dataset.TargetIdentity
		}
		type array struct {
			name string
			v    any
		}
		arrays := []array{
			{npzFeatureNames, s.FeatureNames}, {npzFeatureMean, s.Mean}, {npzFeatureStd, s.Std},
			{npzTargetNames, s.TargetNames}, {npzTargetMode, string(mode)},
		}
		switch mode {
		case dataset.TargetMinMax:
			arrays = append(arrays, array{npzTargetRange, []float64{s.Range.Lo, s.Range.Hi}},
				array{npzTargetMin, s.TargetMin}, array{npzTargetMax, s.TargetMax})
		case dataset.TargetStandard:
			arrays = append(arrays, array{npzTargetMean, s.TargetMean}, array{npzTargetStd, s.TargetStd})
		}
		for _, a := range arrays {
			if err := put(a.name, a.v); err != nil {
				return err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("models: npz: %w", err)
	}
	return nil
}

// SaveNPZ writes the archive (see WriteNPZ) to path atomically, as Save
// does, through a temporary file .bsum-npz-<digits> in the same folder.
func (m *Model) SaveNPZ(path string) error {
	if err := writeAtomic(path, npzTempPrefix, m.WriteNPZ); err != nil {
		return fmt.Errorf("models: save %s: %w", path, err)
	}
	return nil
}

// ImportNPZ replaces the model's weights by the archive's, matched by name
// (a *MismatchError lists missing, unexpected and misshapen blocks), and
// its scaler by the archive's if the archive has one that fits the
// network. On error the model is unchanged.
func (m *Model) ImportNPZ(z *NPZ) error {
	perm, mis := matchBlockInfos(z.Blocks, m.Blocks)
	if mis != nil {
		return mis
	}
	if z.Scaler != nil {
		if err := checkScaler(z.Scaler, m.In, m.Out); err != nil {
			return err
		}
	}
	w := make(graph.Weights, len(perm))
	for j, i := range perm {
		w[j] = append([]float64(nil), z.Weights[i]...)
	}
	if err := checkBlocks(m.Blocks, w, ErrNPZ); err != nil {
		return err
	}
	m.Weights = w
	if z.Scaler != nil {
		sc := cloneScaler(z.Scaler)
		m.Scaler = &sc
	}
	return nil
}

// matchBlockInfos is matchBlocks against saved block descriptions.
func matchBlockInfos(saved, want []BlockInfo) ([]int, *MismatchError) {
	blocks := make([]graph.Block, len(want))
	for j, b := range want {
		blocks[j] = graph.Block{Name: b.Name, Rows: b.Rows, Cols: b.Cols}
	}
	return matchByName(saved, blocks)
}

// LoadNPZ reads an .npz weights archive (see ReadNPZ).
func LoadNPZ(path string) (*NPZ, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	z, err := ReadNPZ(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return z, nil
}

// ReadNPZ reads an .npz archive of size bytes as WriteNPZ writes it (or
// numpy.savez / savez_compressed with 2-D float64 arrays named by block,
// in C or Fortran order, and the scaler's arrays). Every entry must be a
// .npy array; arrays whose names start with "scaler." form the scaler,
// which is validated; any other array is a weight block. Malformed
// archives are errors wrapping ErrNPZ.
func ReadNPZ(r io.ReaderAt, size int64) (*NPZ, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("models: npz: %v: %w", err, ErrNPZ)
	}
	z := &NPZ{}
	scaler := map[string]*zip.File{}
	seen := map[string]bool{}
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok || name == "" {
			return nil, fmt.Errorf("models: npz: entry %s is not a named .npy array: %w", quote.Quote(f.Name), ErrNPZ)
		}
		if seen[name] {
			return nil, fmt.Errorf("models: npz: array %s stored twice: %w", quote.Quote(name), ErrNPZ)
		}
		seen[name] = true
		if strings.HasPrefix(name, NPZScalerPrefix) {
			scaler[name] = f
			continue
		}
		shape, v, err := readFloatEntry(f, 2)
		if err != nil {
			return nil, fmt.Errorf("models: npz: block %s: %w", quote.Quote(name), err)
		}
		z.Blocks = append(z.Blocks, BlockInfo{Name: name, Rows: shape[0], Cols: shape[1]})
		z.Weights = append(z.Weights, v)
	}
	if err := checkBlocks(z.Blocks, z.Weights, ErrNPZ); err != nil {
		return nil, err
	}
	if len(scaler) > 0 {
		if z.Scaler, err = readScaler(scaler); err != nil {
			return nil, err
		}
	}
	return z, nil
}

func readScaler(files map[string]*zip.File) (*dataset.Scaler, error) {
	take := func(name string) (*zip.File, error) {
		f, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("models: npz: the scaler has no array %q: %w", name, ErrNPZ)
		}
		delete(files, name)
		return f, nil
	}
	floats := func(name string) ([]float64, error) {
		f, err := take(name)
		if err != nil {
			return nil, err
		}
		_, v, err := readFloatEntry(f, 1)
		if err != nil {
			return nil, fmt.Errorf("models: npz: %s: %w", name, err)
		}
		return v, nil
	}
	strs := func(name string, dims int) ([]string, error) {
		f, err := take(name)
		if err != nil {
			return nil, err
		}
		v, err := readStringEntry(f, dims)
		if err != nil {
			return nil, fmt.Errorf("models: npz: %s: %w", name, err)
		}
		return v, nil
	}
	s := &dataset.Scaler{}
	var err error
	if s.FeatureNames, err = strs(npzFeatureNames, 1); err != nil {
		return nil, err
	}
	if s.TargetNames, err = strs(npzTargetNames, 1); err != nil {
		return nil, err
	}
	mode, err := strs(npzTargetMode, 0)
	if err != nil {
		return nil, err
	}
	s.TargetMode = dataset.TargetMode(mode[0])
	if s.Mean, err = floats(npzFeatureMean); err != nil {
		return nil, err
	}
	if s.Std, err = floats(npzFeatureStd); err != nil {
		return nil, err
	}
	switch s.TargetMode {
	case dataset.TargetMinMax:
		r, err := floats(npzTargetRange)
		if err != nil {
			return nil, err
		}
		if len(r) != 2 {
			return nil, fmt.Errorf("models: npz: %s has %d values, want [lo, hi]: %w", npzTargetRange, len(r), ErrNPZ)
		}
		s.Range = dataset.TargetRange{Lo: r[0], Hi: r[1]}
		if s.TargetMin, err = floats(npzTargetMin); err != nil {
			return nil, err
		}
		if s.TargetMax, err = floats(npzTargetMax); err != nil {
			return nil, err
		}
	case dataset.TargetStandard:
		if s.TargetMean, err = floats(npzTargetMean); err != nil {
			return nil, err
		}
		if s.TargetStd, err = floats(npzTargetStd); err != nil {
			return nil, err
		}
	}
	for name := range files {
		return nil, fmt.Errorf("models: npz: unknown scaler array %s for target mode %s: %w", quote.Quote(name), quote.Quote(string(s.TargetMode)), ErrNPZ)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("models: npz: scaler: %w (%w)", err, ErrNPZ)
	}
	return s, nil
}

// npyEntry is an opened .npy entry whose header has been parsed, with the
// number of data bytes the entry holds after the header.
type npyEntry struct {
	rc     io.ReadCloser
	rd     *npy.Reader
	count  *countReader
	descr  string // the dtype, without quotes
	shape  []int
	elems  int
	hdrEnd int64 // bytes of the entry up to the end of the header
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// openNPY opens an entry and parses its header, refusing headers and
// shapes larger than the entry (so that a corrupt header cannot make the
// reader allocate without bound) and shapes of another rank than dims.
func openNPY(f *zip.File, dims int) (e *npyEntry, err error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrNPZ)
	}
	defer func() {
		if err != nil {
			rc.Close()
		}
	}()
	// Magic (6 bytes), major and minor version, then the header length
	// (2 bytes in version 1, 4 in versions 2 and 3).
	pre := make([]byte, 12)
	if _, err := io.ReadFull(rc, pre[:10]); err != nil {
		return nil, fmt.Errorf("not a .npy array (%v): %w", err, ErrNPZ)
	}
	hlen, npre := int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	if pre[6] >= 2 {
		if _, err := io.ReadFull(rc, pre[10:12]); err != nil {
			return nil, fmt.Errorf("not a .npy array (%v): %w", err, ErrNPZ)
		}
		hlen, npre = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	}
	if hlen > npzMaxHeader || hlen+int64(npre) > int64(f.UncompressedSize64) {
		return nil, fmt.Errorf(".npy header of %d bytes: %w", hlen, ErrNPZ)
	}
	e = &npyEntry{rc: rc, count: &countReader{r: rc, n: int64(npre)}}
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("malformed .npy header: %v", r)
			}
		}()
		e.rd, err = npy.NewReader(io.MultiReader(bytes.NewReader(pre[:npre]), e.count))
	}()
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrNPZ)
	}
	e.hdrEnd = e.count.n
	e.descr = strings.Trim(e.rd.Header.Descr.Type, "'\"")
	e.shape = e.rd.Header.Descr.Shape
	if len(e.shape) != dims {
		return nil, fmt.Errorf("array of shape %v, want %d dimensions: %w", e.shape, dims, ErrNPZ)
	}
	e.elems = 1
	for _, d := range e.shape {
		if d <= 0 || d > maxDim {
			return nil, fmt.Errorf("array of shape %v: %w", e.shape, ErrNPZ)
		}
		e.elems *= d
		if e.elems > maxWeights {
			return nil, fmt.Errorf("array of shape %v is too large: %w", e.shape, ErrNPZ)
		}
	}
	return e, nil
}

// finish checks that exactly want data bytes were read and that the entry
// ends there (which also verifies its checksum), then closes it.
func (e *npyEntry) finish(want int64) error {
	defer e.rc.Close()
	var one [1]byte
	k, err := e.count.Read(one[:])
	if k != 0 || err != io.EOF {
		if err != nil && err != io.EOF {
			return fmt.Errorf("%v: %w", err, ErrNPZ)
		}
		return fmt.Errorf("trailing data after the array: %w", ErrNPZ)
	}
	if got := e.count.n - e.hdrEnd; got != want {
		return fmt.Errorf("array of shape %v holds %d bytes, want %d: %w", e.shape, got, want, ErrNPZ)
	}
	return nil
}

// readFloatEntry reads a float64 array of rank dims as row-major values.
func readFloatEntry(f *zip.File, dims int) (shape []int, v []float64, err error) {
	e, err := openNPY(f, dims)
	if err != nil {
		return nil, nil, err
	}
	if e.descr != "<f8" && e.descr != ">f8" {
		e.rc.Close()
		return nil, nil, fmt.Errorf("dtype %s, want float64 (<f8): %w", quote.Quote(e.descr), ErrNPZ)
	}
	if int64(e.elems)*8 > int64(f.UncompressedSize64) {
		e.rc.Close()
		return nil, nil, fmt.Errorf("array of shape %v is larger than its entry: %w", e.shape, ErrNPZ)
	}
	// Read in chunks, so that memory grows with the data actually present,
	// not with what a (possibly corrupt) header declares.
	const chunk = 1 << 14
	v = make([]float64, 0, min(e.elems, chunk))
	buf := make([]float64, min(e.elems, chunk))
	for len(v) < e.elems {
		c := buf[:min(len(buf), e.elems-len(v))]
		if err := guard(func() error { return e.rd.Read(&c) }); err != nil {
			e.rc.Close()
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, nil, fmt.Errorf("array of shape %v is truncated after %d values: %w", e.shape, len(v), ErrNPZ)
			}
			return nil, nil, fmt.Errorf("%v: %w", err, ErrNPZ)
		}
		v = append(v, c...)
	}
	if err := e.finish(int64(e.elems) * 8); err != nil {
		return nil, nil, err
	}
	if e.rd.Header.Descr.Fortran && dims == 2 {
		rows, cols := e.shape[0], e.shape[1]
		t := make([]float64, len(v))
		for c := range cols {
			for r := range rows {
				t[r*cols+c] = v[c*rows+r]
			}
		}
		v = t
	}
	return e.shape, v, nil
}

// readStringEntry reads a unicode string array ('<U' dtype) of rank dims
// (0 for a single string).
func readStringEntry(f *zip.File, dims int) ([]string, error) {
	e, err := openNPY(f, dims)
	if err != nil {
		return nil, err
	}
	width, err := strconv.Atoi(strings.TrimPrefix(e.descr, "<U"))
	if !strings.HasPrefix(e.descr, "<U") || err != nil || width <= 0 || width > npzMaxStringElement {
		e.rc.Close()
		return nil, fmt.Errorf("dtype %s, want a unicode string (<U…): %w", quote.Quote(e.descr), ErrNPZ)
	}
	want := int64(e.elems) * int64(width) * 4
	if want > int64(f.UncompressedSize64) || want > npzMaxStrings {
		e.rc.Close()
		return nil, fmt.Errorf("array of shape %v is larger than its entry: %w", e.shape, ErrNPZ)
	}
	var out []string
	if dims == 0 {
		var s string
		err = guard(func() error { return e.rd.Read(&s) })
		out = []string{s}
	} else {
		err = guard(func() error { return e.rd.Read(&out) })
	}
	if err != nil && err != io.EOF {
		e.rc.Close()
		return nil, fmt.Errorf("%v: %w", err, ErrNPZ)
	}
	if err := e.finish(want); err != nil {
		return nil, err
	}
	if len(out) != e.elems {
		return nil, fmt.Errorf("%d strings for shape %v: %w", len(out), e.shape, ErrNPZ)
	}
	return out, nil
}

// guard turns a panic inside the .npy decoder into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed .npy data: %v", r)
		}
	}()
	return f()
}
