package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// IDXType is the element type of an IDX array, the third byte of its magic
// number.
type IDXType byte

// The element types of the IDX format (LeCun et al., "THE MNIST DATABASE").
// Multi-byte elements are stored big-endian.
const (
	IDXUint8   IDXType = 0x08 // unsigned byte
	IDXInt8    IDXType = 0x09 // signed byte
	IDXInt16   IDXType = 0x0B // 2-byte integer
	IDXInt32   IDXType = 0x0C // 4-byte integer
	IDXFloat32 IDXType = 0x0D // 4-byte IEEE 754 float
	IDXFloat64 IDXType = 0x0E // 8-byte IEEE 754 float
)

// Size returns the size of one element in bytes, or 0 for an unknown type.
func (t IDXType) Size() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

// String returns the type's name, such as "uint8", or its code in hex.
func (t IDXType) String() string {
	switch t {
	case IDXUint8:
		return "uint8"
	case IDXInt8:
		return "int8"
	case IDXInt16:
		return "int16"
	case IDXInt32:
		return "int32"
	case IDXFloat32:
		return "float32"
	case IDXFloat64:
		return "float64"
	}
	return fmt.Sprintf("type 0x%02x", byte(t))
}

// DefaultIDXMaxBytes is the largest data part ReadIDX accepts when
// IDXOptions.MaxBytes is zero: 4 GiB.
const DefaultIDXMaxBytes = 4 << 30

// IDX is an n-dimensional array read from an IDX file: Dims[0] items (for
// example images), each of shape Dims[1:], elements stored row-major and
// big-endian in Data, as in the file. An IDX is a plain value, not safe
// for concurrent modification.
type IDX struct {
	// Type is the element type.
	Type IDXType
	// Dims are the sizes of the dimensions, outermost first.
	Dims []int
	// Data holds Len()·Type.Size() bytes.
	Data []byte
}

// Len returns the number of elements, the product of Dims.
func (a *IDX) Len() int {
	n := 1
	for _, d := range a.Dims {
		n *= d
	}
	return n
}

// At returns element i (0 ≤ i < Len(), in row-major order) as a float64,
// which represents every IDX element type exactly.
func (a *IDX) At(i int) float64 {
	switch a.Type {
	case IDXUint8:
		return float64(a.Data[i])
	case IDXInt8:
		return float64(int8(a.Data[i]))
	case IDXInt16:
		return float64(int16(binary.BigEndian.Uint16(a.Data[2*i:])))
	case IDXInt32:
		return float64(int32(binary.BigEndian.Uint32(a.Data[4*i:])))
	case IDXFloat32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(a.Data[4*i:])))
	case IDXFloat64:
		return math.Float64frombits(binary.BigEndian.Uint64(a.Data[8*i:]))
	}
	panic(fmt.Sprintf("dataset: IDX.At: unknown %v", a.Type))
}

// shape formats dims as "60000×28×28".
func shape(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "×")
}

// IDXOptions tunes ReadIDX and LoadIDX. The zero value reads the whole
// array.
type IDXOptions struct {
	// MaxItems, if positive, reads only the first MaxItems items (entries of
	// the first dimension); the rest of the file is neither read nor
	// checked. Dims[0] of the result is then min(MaxItems, Dims[0]).
	MaxItems int
	// FirstItem, if positive, skips the first FirstItem items: they are
	// read past but neither kept nor checked, Dims[0] of the result counts
	// the items from FirstItem on, and MaxItems counts from there too. It
	// must not exceed the number of items in the file. Data-parallel
	// loaders use it to read one contiguous shard.
	FirstItem int
	// MaxBytes is the largest data part accepted; 0 means
	// DefaultIDXMaxBytes. A header announcing more is refused before
	// anything is allocated.
	MaxBytes int64
}

// ReadIDX reads an IDX array from r, plain or gzip-compressed (recognised
// by its magic bytes 1f 8b). name is used in error messages. The header is
// checked before any large allocation: the magic number (two zero bytes,
// a known element type, at least one dimension), and the data size, which
// must not overflow or exceed MaxBytes. Memory then grows only as data
// actually arrives, so a short file that announces a huge array fails
// without allocating it. Truncated data, bytes after the array, and gzip
// corruption (including a bad checksum) are errors. Errors wrap [ErrIDX].
func ReadIDX(r io.Reader, name string, opt IDXOptions) (*IDX, error) {
	return readIDX(r, name, opt, 0)
}

// LoadIDX opens path and reads it with ReadIDX. For an uncompressed file
// the announced size is also checked against the file's length before the
// data is read.
func LoadIDX(path string, opt IDXOptions) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return readIDX(f, path, opt, size)
}

// readIDX reads an IDX array; fileSize, if positive, is the length of the
// (possibly compressed) input.
func readIDX(r io.Reader, name string, opt IDXOptions, fileSize int64) (*IDX, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("dataset: %s: %w: %s", name, ErrIDX, fmt.Sprintf(format, a...))
	}
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(2)
	if len(head) < 2 {
		if err == nil || err == io.EOF {
			return nil, bad("%d bytes, too short for an IDX header", len(head))
		}
		return nil, fmt.Errorf("dataset: %s: %w", name, err)
	}
	var in io.Reader = br
	compressed := head[0] == 0x1f && head[1] == 0x8b
	// avail bounds the data size: exactly for a plain file, by deflate's
	// maximum ratio (1032:1) for a compressed one, unknown (0) otherwise.
	var avail int64
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, bad("gzip: %v", err)
		}
		defer zr.Close()
		in = zr
		if fileSize > 0 && fileSize < math.MaxInt64/1100 {
			avail = fileSize*1032 + 1<<16
		}
	} else if fileSize > 0 {
		avail = fileSize
	}

	var magic [4]byte
	if n, err := io.ReadFull(in, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, bad("%d bytes, too short for an IDX header", n)
		}
		return nil, bad("reading the header: %v", err)
	}
	typ, ndim := IDXType(magic[2]), int(magic[3])
	if magic[0] != 0 || magic[1] != 0 {
		return nil, bad("not an IDX file: magic number %02x %02x %02x %02x, want 00 00 <type> <dims>", magic[0], magic[1], magic[2], magic[3])
	}
	if typ.Size() == 0 {
		return nil, bad("unknown element %v in the magic number (known: 08 uint8, 09 int8, 0b int16, 0c int32, 0d float32, 0e float64)", typ)
	}
	if ndim == 0 {
		return nil, bad("the magic number declares 0 dimensions")
	}
	raw := make([]byte, 4*ndim)
	if n, err := io.ReadFull(in, raw); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, bad("truncated header: %d dimensions need %d bytes, got %d", ndim, 4*ndim, n)
		}
		return nil, bad("reading the header: %v", err)
	}
	maxBytes := opt.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultIDXMaxBytes
	}
	a := &IDX{Type: typ, Dims: make([]int, ndim)}
	for i := range a.Dims {
		a.Dims[i] = int(binary.BigEndian.Uint32(raw[4*i:]))
	}
	full := int64(typ.Size()) // bytes the header announces
	for _, d := range a.Dims {
		if d != 0 && full > maxBytes/int64(d) {
			return nil, bad("the header announces a %s array of %v, more than the limit of %d bytes", shape(a.Dims), typ, maxBytes)
		}
		full *= int64(d)
	}
	want := full // bytes to read
	var skip int64
	if opt.FirstItem > 0 {
		if opt.FirstItem > a.Dims[0] {
			return nil, bad("cannot skip %d items of a %s array", opt.FirstItem, shape(a.Dims))
		}
		skip = full / int64(a.Dims[0]) * int64(opt.FirstItem)
		want -= skip
		a.Dims[0] -= opt.FirstItem
	}
	if opt.MaxItems > 0 && opt.MaxItems < a.Dims[0] {
		want = want / int64(a.Dims[0]) * int64(opt.MaxItems)
		a.Dims[0] = opt.MaxItems
	}
	header := int64(4 + 4*ndim)
	if !compressed && avail > 0 && header+skip+want > avail {
		return nil, bad("truncated: the header announces a %s array of %v (%d data bytes) but the file has only %d bytes after the header",
			shape(a.Dims), typ, want, avail-header)
	}
	if skip > 0 {
		if m, err := io.CopyN(io.Discard, in, skip); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("dataset: %s: %w: truncated: skipping %d data bytes, the file holds %d: %w",
					name, ErrIDX, skip, m, io.ErrUnexpectedEOF)
			}
			return nil, bad("skipping the first %d items: %v", opt.FirstItem, err)
		}
	}
	a.Data, err = readAtMost(in, want, avail)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("dataset: %s: %w: truncated: the header announces %d data bytes (%s %v), the file holds %d: %w",
				name, ErrIDX, want, shape(a.Dims), typ, len(a.Data), io.ErrUnexpectedEOF)
		}
		return nil, bad("reading the data: %v", err)
	}
	if skip+want == full {
		// Nothing may follow the array; reading to the end also makes gzip
		// verify its checksum.
		var extra [1]byte
		n, err := io.ReadFull(in, extra[:])
		if n > 0 {
			return nil, bad("data continues after the %s array of %v the header announces", shape(a.Dims), typ)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, bad("after the data: %v", err)
		}
	}
	return a, nil
}

// readAtMost reads exactly n bytes from r. If avail (a bound on what r can
// deliver, 0 if unknown) covers n, it allocates once; otherwise the buffer
// grows as bytes arrive, so a false size costs at most twice what was
// really read. A short input returns the bytes read and io.ErrUnexpectedEOF.
func readAtMost(r io.Reader, n, avail int64) ([]byte, error) {
	if n == 0 {
		return []byte{}, nil
	}
	const first = 1 << 20
	capacity := n
	if avail <= 0 || avail < n {
		capacity = min(n, first)
	}
	buf := make([]byte, 0, capacity)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// WriteIDX writes a as an uncompressed IDX file (wrap w in a gzip.Writer
// for a .gz file). It checks that a has 1 to 255 dimensions, each below
// 2³², a known type, and Len()·Type.Size() data bytes.
func WriteIDX(w io.Writer, a *IDX) error {
	if a.Type.Size() == 0 {
		return fmt.Errorf("dataset: WriteIDX: %w: unknown element %v", ErrIDX, a.Type)
	}
	if len(a.Dims) == 0 || len(a.Dims) > 255 {
		return fmt.Errorf("dataset: WriteIDX: %w: %d dimensions, want 1 to 255", ErrIDX, len(a.Dims))
	}
	head := []byte{0, 0, byte(a.Type), byte(len(a.Dims))}
	n := int64(a.Type.Size())
	for _, d := range a.Dims {
		if d < 0 || int64(d) > math.MaxUint32 {
			return fmt.Errorf("dataset: WriteIDX: %w: dimension %d out of range", ErrIDX, d)
		}
		head = binary.BigEndian.AppendUint32(head, uint32(d))
		n *= int64(d)
	}
	if int64(len(a.Data)) != n {
		return fmt.Errorf("dataset: WriteIDX: %w: %d data bytes for a %s array of %v (want %d)", ErrIDX, len(a.Data), shape(a.Dims), a.Type, n)
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("dataset: WriteIDX: %w", err)
	}
	if _, err := w.Write(a.Data); err != nil {
		return fmt.Errorf("dataset: WriteIDX: %w", err)
	}
	return nil
}
