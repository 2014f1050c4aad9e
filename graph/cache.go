package graph

import "fmt"

// ProgramCache holds the compiled programs of one run (or of one goroutine):
// one Program per batch size, compiled on first use or taken from the Net's
// pool of idle programs, and kept least recently used first out up to the
// Net's MaxPrograms bound.
//
// A ProgramCache and the programs it hands out belong to one goroutine at a
// time: a ProgramCache is not safe for concurrent use. Concurrent runs on one
// Net each create their own (solvers.Minimize does), so they never share a
// Program and their results equal those of lone runs bit for bit. Release
// hands the programs back to the Net's pool, so a later run on the same Net
// does not compile them again.
type ProgramCache struct {
	net   *Net
	progs map[int]*Program
	used  []int // batch sizes, least recently used first
}

// NewProgramCache returns an empty cache of programs for n, private to the
// caller. NewProgramCache is safe for concurrent use.
func (n *Net) NewProgramCache() *ProgramCache {
	return &ProgramCache{net: n, progs: map[int]*Program{}}
}

// Program returns the cache's program for batch size batch: the one it
// already holds, an idle one from the Net's pool, or a newly compiled one.
// The program is exclusive to this cache until Release.
func (c *ProgramCache) Program(batch int) (*Program, error) {
	if c.progs == nil {
		return nil, fmt.Errorf("graph: ProgramCache used after Release or not made by Net.NewProgramCache: %w", ErrArgument)
	}
	if p, ok := c.progs[batch]; ok {
		c.used = touch(c.used, batch)
		return p, nil
	}
	p := c.net.takeIdle(batch)
	if p == nil {
		var err error
		if p, err = c.net.NewProgram(batch); err != nil {
			return nil, err
		}
	}
	c.progs[batch] = p
	c.used = touch(c.used, batch)
	for len(c.used) > c.net.maxPrograms {
		c.net.putIdle(c.progs[c.used[0]])
		delete(c.progs, c.used[0])
		c.used = c.used[1:]
	}
	return p, nil
}

// Len is the number of programs the cache holds.
func (c *ProgramCache) Len() int { return len(c.progs) }

// Release returns every program of the cache to the Net's pool of idle
// programs, for later runs to reuse. The programs handed out must not be used
// after Release, nor the cache itself. Release on a released cache does
// nothing.
func (c *ProgramCache) Release() {
	for _, b := range c.used {
		c.net.putIdle(c.progs[b])
	}
	c.progs, c.used = nil, nil
}

// takeIdle removes and returns an idle program for batch from the pool (nil
// when there is none).
func (n *Net) takeIdle(batch int) *Program {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := len(n.idle) - 1; i >= 0; i-- {
		if p := n.idle[i]; p.batch == batch {
			n.idle = append(n.idle[:i], n.idle[i+1:]...)
			return p
		}
	}
	return nil
}

// putIdle adds p to the pool, dropping the oldest idle program beyond the
// pool's bound (twice MaxPrograms).
func (n *Net) putIdle(p *Program) {
	if p == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.idle = append(n.idle, p)
	if over := len(n.idle) - 2*n.maxPrograms; over > 0 {
		clear(n.idle[:over])
		n.idle = n.idle[over:]
	}
}

// touch moves batch to the most recently used end of used.
func touch(used []int, batch int) []int {
	for i, b := range used {
		if b == batch {
			used = append(used[:i], used[i+1:]...)
			break
		}
	}
	return append(used, batch)
}
