// Package gemm is a cache-blocked double-precision matrix product for
// row-major matrices: C = α·op(A)·op(B) + β·C, the operation of BLAS dgemm.
//
// It follows the BLIS/GotoBLAS structure. op(B) is packed in KC×NC panels
// of NR-column slivers, op(A) in MC×KC blocks of MR-row slivers, and an
// MR×NR micro-kernel accumulates one tile of C over KC terms in registers.
// On amd64 CPUs with AVX-512F the micro-kernel is Go assembly with an 8×16
// tile (sixteen 8-wide accumulators); without AVX-512 but with AVX2 and FMA it is a 6×8 assembly tile (twelve
// 4-wide accumulators); both use fused multiply-add. Elsewhere (or with
// the purego build tag) a pure-Go 6×8 micro-kernel runs, so results differ
// between paths only by the rounding of fused versus separate multiply-add
// and by the order of the KC-term partial sums: each stays within the
// usual dot-product error bound, a small multiple of k·ε·Σ_p|a_ip·b_pj|.
//
// Products are split over up to GOMAXPROCS goroutines along the longer
// side of C when they are large enough to pay for it.
//
// graph sends its matrix products above 65,536 flops here in the default
// (cgo-free) build when an assembly micro-kernel runs; with the openblas
// build tag they go to OpenBLAS instead.
package gemm

import (
	"fmt"
	"runtime"
	"sync"
)

// Block sizes. A KC×NC panel of op(B) (1 MiB) and an MC×KC block of op(A)
// (384 KiB) stay in the L2 cache together; one MR×KC sliver of op(A)
// (12–16 KiB) stays in L1 while the KC×NR slivers of op(B) stream past it
// from L2. MC is a multiple of every kernel's MR, NC of every NR. Chosen by
// measurement on the large step's shapes (internal/gemm BenchmarkDgemm).
const (
	mc = 192
	kc = 256
	nc = 512
)

// maxTile bounds a micro-tile's MR·NR.
const maxTile = 8 * 16

// A micro-kernel adds the product of an mr×k sliver of packed A (mr values
// per p) and a k×nr sliver of packed B (nr values per p) into the mr×nr tile
// at c, whose rows are ldc elements apart.
type microKernel struct {
	name   string
	mr, nr int
	run    func(k int, a, b, c []float64, ldc int)
}

// goKernel is the pure-Go micro-kernel, used where no assembly one runs.
var goKernel = microKernel{name: "go 6x8", mr: 6, nr: 8, run: microGo}

// parallelFlops is the m·n·k above which a product is shared between
// goroutines; each goroutine gets at least this much work.
const parallelFlops = 1 << 21

// kernels lists the micro-kernels this CPU can run, fastest first; the
// last is goKernel.
var kernels = append(asmKernels(), goKernel)

// active is the micro-kernel in use (tests switch it to check the others).
var active = kernels[0]

// Accelerated reports whether an assembly micro-kernel runs on this CPU.
// Without one, gonum's pure-Go dgemm (whose inner loops are SSE2 assembly
// on amd64) is faster than this package's pure-Go kernel, so callers that
// can should use it instead.
func Accelerated() bool { return active.name != goKernel.name }

// Kernel names the micro-kernel in use on this CPU: "avx512 8x16",
// "avx2+fma 6x8" (amd64 assembly) or "go 6x8" (pure Go, elsewhere).
func Kernel() string { return active.name }

// Dgemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// transA and transB say, op(A) is m×k, op(B) is k×n and C is m×n. All
// matrices are row-major with row strides lda, ldb and ldc: A is m×k (k×m
// when transposed), B is k×n (n×k when transposed). When beta is 0, C is
// overwritten without being read, as in BLAS. It panics, like gonum's
// blas64, when a dimension, stride or slice length is inconsistent.
//
// Dgemm is safe for concurrent use on distinct C.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	switch {
	case m < 0 || n < 0 || k < 0:
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	case lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n):
		panic(fmt.Sprintf("gemm: bad stride lda=%d ldb=%d ldc=%d for %d×%d, %d×%d, %d×%d", lda, ldb, ldc, ar, ac, br, bc, m, n))
	case ar > 0 && ac > 0 && len(a) < (ar-1)*lda+ac:
		panic(fmt.Sprintf("gemm: A has %d elements, need %d", len(a), (ar-1)*lda+ac))
	case br > 0 && bc > 0 && len(b) < (br-1)*ldb+bc:
		panic(fmt.Sprintf("gemm: B has %d elements, need %d", len(b), (br-1)*ldb+bc))
	case m > 0 && n > 0 && len(c) < (m-1)*ldc+n:
		panic(fmt.Sprintf("gemm: C has %d elements, need %d", len(c), (m-1)*ldc+n))
	}
	if m == 0 || n == 0 {
		return
	}
	scale(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	mat := operands{kern: active, transA: transA, transB: transB, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	workers := min(runtime.GOMAXPROCS(0), max(1, m*n*k/parallelFlops))
	if workers == 1 {
		mat.serial(0, m, 0, n, k)
		return
	}
	// Split the longer side of C into workers chunks, in whole micro-tiles.
	var wg sync.WaitGroup
	splitN := n >= m
	side, unit := m, mat.kern.mr
	if splitN {
		side, unit = n, mat.kern.nr
	}
	tiles := (side + unit - 1) / unit
	for w := 0; w < workers; w++ {
		lo := tiles * w / workers * unit
		hi := min(side, tiles*(w+1)/workers*unit)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(o operands) {
			defer wg.Done()
			if splitN {
				o.serial(0, m, lo, hi, k)
			} else {
				o.serial(lo, hi, 0, n, k)
			}
		}(mat)
	}
	wg.Wait()
}

// scale sets C = beta·C, writing zeros without reading C when beta is 0.
func scale(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// operands holds one product's matrices.
type operands struct {
	kern           microKernel
	transA, transB bool
	alpha          float64
	a, b, c        []float64
	lda, ldb, ldc  int
}

// buffers are one goroutine's packing areas.
type buffers struct {
	a []float64 // mc·kc: an MC×KC block of op(A), MR-row slivers
	b []float64 // kc·nc: a KC×NC panel of op(B), NR-column slivers
	// tile receives the edge tiles of C that are narrower than MR×NR.
	tile [maxTile]float64
}

var pool = sync.Pool{New: func() any { return new(buffers) }}

// serial adds op(A)[i0:i1,:]·op(B)[:,j0:j1] (times alpha) into C[i0:i1, j0:j1].
func (o *operands) serial(i0, i1, j0, j1, k int) {
	mr, nr, micro := o.kern.mr, o.kern.nr, o.kern.run
	buf := pool.Get().(*buffers)
	defer pool.Put(buf)
	n := j1 - j0
	needB := min(kc, k) * min(nc, (n+nr-1)/nr*nr)
	if len(buf.b) < needB {
		buf.b = make([]float64, needB)
	}
	needA := min(kc, k) * min(mc, (i1-i0+mr-1)/mr*mr)
	if len(buf.a) < needA {
		buf.a = make([]float64, needA)
	}
	tile := &buf.tile
	for jc := j0; jc < j1; jc += nc {
		ncb := min(nc, j1-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			o.packB(buf.b, pc, kcb, jc, ncb)
			for ic := i0; ic < i1; ic += mc {
				mcb := min(mc, i1-ic)
				o.packA(buf.a, ic, mcb, pc, kcb)
				for ir := 0; ir < mcb; ir += mr {
					as := buf.a[ir*kcb:]
					mm := min(mr, mcb-ir)
					for jr := 0; jr < ncb; jr += nr {
						bs := buf.b[jr*kcb:]
						nn := min(nr, ncb-jr)
						ci := (ic+ir)*o.ldc + jc + jr
						if mm == mr && nn == nr {
							micro(kcb, as, bs, o.c[ci:], o.ldc)
							continue
						}
						*tile = [maxTile]float64{}
						micro(kcb, as, bs, tile[:], nr)
						for r := 0; r < mm; r++ {
							row := o.c[ci+r*o.ldc : ci+r*o.ldc+nn]
							for j := range row {
								row[j] += tile[r*nr+j]
							}
						}
					}
				}
			}
		}
	}
}

// packA copies alpha·op(A)[ic:ic+mcb, pc:pc+kcb] into dst as MR-row
// slivers, each stored column by column (MR values per p), the last sliver
// padded with zeros.
func (o *operands) packA(dst []float64, ic, mcb, pc, kcb int) {
	mr := o.kern.mr
	a, lda, alpha := o.a, o.lda, o.alpha
	for ir := 0; ir < mcb; ir += mr {
		d := dst[ir*kcb : ir*kcb+mr*kcb]
		rows := min(mr, mcb-ir)
		i := ic + ir
		if o.transA { // op(A)[i,p] = A[p,i]: the MR values of a p are contiguous
			for p := 0; p < kcb; p++ {
				src := a[(pc+p)*lda+i : (pc+p)*lda+i+rows]
				dp := d[p*mr : p*mr+mr]
				for r, v := range src {
					dp[r] = alpha * v
				}
				for r := rows; r < mr; r++ {
					dp[r] = 0
				}
			}
			continue
		}
		gather(d, mr, a, (ic+ir)*lda+pc, lda, rows, kcb, alpha)
	}
}

// packB copies op(B)[pc:pc+kcb, jc:jc+ncb] into dst as NR-column slivers,
// each stored row by row (NR values per p), the last sliver padded with
// zeros.
func (o *operands) packB(dst []float64, pc, kcb, jc, ncb int) {
	nr := o.kern.nr
	b, ldb := o.b, o.ldb
	for jr := 0; jr < ncb; jr += nr {
		d := dst[jr*kcb : jr*kcb+nr*kcb]
		cols := min(nr, ncb-jr)
		j := jc + jr
		if !o.transB { // op(B)[p,j] = B[p,j]: the NR values of a p are contiguous
			switch {
			case cols == 16 && nr == 16: // fixed-size copies, no memmove calls
				for p := 0; p < kcb; p++ {
					*(*[16]float64)(d[p*16:]) = *(*[16]float64)(b[(pc+p)*ldb+j:])
				}
				continue
			case cols == 8 && nr == 8:
				for p := 0; p < kcb; p++ {
					*(*[8]float64)(d[p*8:]) = *(*[8]float64)(b[(pc+p)*ldb+j:])
				}
				continue
			}
			for p := 0; p < kcb; p++ {
				dp := d[p*nr : p*nr+nr]
				copy(dp, b[(pc+p)*ldb+j:(pc+p)*ldb+j+cols])
				clear(dp[cols:])
			}
			continue
		}
		gather(d, nr, b, j*ldb+pc, ldb, cols, kcb, 1)
	}
}

// gather transposes a rows×kcb block of src (row r starting at
// src[off+r·ld]) into d, w values per column p: d[p·w+r] = alpha·src[off+r·ld+p],
// with zeros for rows ≥ rows. It walks the rows side by side so that both
// reads and writes are sequential.
func gather(d []float64, w int, src []float64, off, ld, rows, kcb int, alpha float64) {
	var rs [16][]float64
	for r := 0; r < rows; r++ {
		rs[r] = src[off+r*ld : off+r*ld+kcb]
	}
	d = d[:w*kcb]
	if rows < w {
		clear(d)
	}
	if alpha == 1 {
		for p := 0; p < kcb; p++ {
			dp := d[p*w : p*w+rows]
			for r := range dp {
				dp[r] = rs[r][p]
			}
		}
		return
	}
	for p := 0; p < kcb; p++ {
		dp := d[p*w : p*w+rows]
		for r := range dp {
			dp[r] = alpha * rs[r][p]
		}
	}
}

// microGo is the pure-Go micro-kernel: 48 scalar accumulators over k terms.
func microGo(k int, a, b, c []float64, ldc int) {
	const mr, nr = 6, 8
	_ = a[mr*k-1]
	_ = b[nr*k-1]
	_ = c[(mr-1)*ldc+nr-1]
	var acc [mr][nr]float64
	for p := 0; p < k; p++ {
		bp := (*[nr]float64)(b[p*nr : p*nr+nr])
		ap := (*[mr]float64)(a[p*mr : p*mr+mr])
		for r := 0; r < mr; r++ {
			s := ap[r]
			acc[r][0] += s * bp[0]
			acc[r][1] += s * bp[1]
			acc[r][2] += s * bp[2]
			acc[r][3] += s * bp[3]
			acc[r][4] += s * bp[4]
			acc[r][5] += s * bp[5]
			acc[r][6] += s * bp[6]
			acc[r][7] += s * bp[7]
		}
	}
	for r := 0; r < mr; r++ {
		row := (*[nr]float64)(c[r*ldc : r*ldc+nr])
		for j := range row {
			row[j] += acc[r][j]
		}
	}
}
