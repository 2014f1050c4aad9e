// Package reducetest is an in-process graph.Reducer for tests: a Group of
// participants, one per goroutine, that meet at a barrier on every Sum and
// Broadcast and add their vectors in rank order (as internal/mpi's Comm
// does), so data-parallel runs can be checked with `go test` and no MPI.
package reducetest

import (
	"fmt"
	"sync"

	"github.com/bsum-go/bsum/graph"
)

// Group is a set of in-process participants. It is safe for concurrent use
// by its participants, one goroutine each; every participant must make the
// same sequence of calls (as with MPI collectives), or the others wait for
// ever.
type Group struct {
	size  int
	mu    sync.Mutex
	cond  *sync.Cond
	slots [][]float64
	count int // participants arrived at the current barrier
	gen   int // barrier generation
	calls int // collective calls completed (Calls)
}

// New returns the Reducers of a group of size participants; element r has
// Rank r.
func New(size int) []graph.Reducer {
	g := &Group{size: size, slots: make([][]float64, size)}
	g.cond = sync.NewCond(&g.mu)
	rs := make([]graph.Reducer, size)
	for r := range rs {
		rs[r] = &member{g: g, rank: r}
	}
	return rs
}

// Calls returns how many collective calls (Sum and Broadcast) the group of
// r has completed.
func Calls(r graph.Reducer) int {
	m := r.(*member)
	m.g.mu.Lock()
	defer m.g.mu.Unlock()
	return m.g.calls / m.g.size
}

// barrier waits until every participant has arrived.
func (g *Group) barrier() {
	gen := g.gen
	g.count++
	if g.count == g.size {
		g.count = 0
		g.gen++
		g.cond.Broadcast()
		return
	}
	for gen == g.gen {
		g.cond.Wait()
	}
}

type member struct {
	g    *Group
	rank int
}

func (m *member) Rank() int { return m.rank }
func (m *member) Size() int { return m.g.size }

// collective publishes x, waits for all, lets f read every slot, and waits
// again so that no slot is overwritten before everyone has read it.
func (m *member) collective(x []float64, f func(slots [][]float64) error) error {
	g := m.g
	g.mu.Lock()
	defer g.mu.Unlock()
	g.slots[m.rank] = x
	g.barrier()
	for r, s := range g.slots {
		if len(s) != len(x) {
			err := fmt.Errorf("reducetest: rank %d has %d values, rank %d %d", m.rank, len(x), r, len(s))
			g.barrier()
			return err
		}
	}
	err := f(g.slots)
	g.calls++
	g.barrier()
	return err
}

// Sum adds the participants' x in rank order 0, 1, … .
func (m *member) Sum(x []float64) error {
	out := make([]float64, len(x))
	err := m.collective(x, func(slots [][]float64) error {
		copy(out, slots[0])
		for _, s := range slots[1:] {
			for i, v := range s {
				out[i] += v
			}
		}
		return nil
	})
	if err == nil {
		// x is still published until the second barrier: write after.
		copy(x, out)
	}
	return err
}

// Broadcast copies root's x to every participant.
func (m *member) Broadcast(x []float64, root int) error {
	if root < 0 || root >= m.g.size {
		return fmt.Errorf("reducetest: broadcast root %d of %d participants", root, m.g.size)
	}
	out := make([]float64, len(x))
	err := m.collective(x, func(slots [][]float64) error {
		copy(out, slots[root])
		return nil
	})
	if err == nil {
		copy(x, out)
	}
	return err
}
