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
	net     *Net
	progs   map[int]*Program
	sharded map[cacheKey]*Sharded
	used    []cacheKey // least recently used first
}

// cacheKey names a cache entry: a Program (shards 0) or a Sharded evaluator.
type cacheKey struct{ batch, shards int }

// NewProgramCache returns an empty cache of programs for n, private to the
// caller. NewProgramCache is safe for concurrent use.
func (n *Net) NewProgramCache() *ProgramCache {
	return &ProgramCache{net: n, progs: map[int]*Program{}, sharded: map[cacheKey]*Sharded{}}
}

// Program returns the cache's program for batch size batch: the one it
// already holds, an idle one from the Net's pool, or a newly compiled one.
// The program is exclusive to this cache until Release.
func (c *ProgramCache) Program(batch int) (*Program, error) {
	if c.progs == nil {
		return nil, fmt.Errorf("graph: ProgramCache used after Release or not made by Net.NewProgramCache: %w", ErrArgument)
	}
	k := cacheKey{batch: batch}
	if p, ok := c.progs[batch]; ok {
		c.used = touch(c.used, k)
		return p, nil
	}
	p, err := c.take(batch, false)
	if err != nil {
		return nil, err
	}
	c.progs[batch] = p
	c.add(k)
	return p, nil
}

// Evaluator returns the cache's evaluator for batch columns split into
// shards column shards: the Program of Program(batch) for shards ≤ 1 or a
// loss that is not SampleSeparable (which cannot be sharded), otherwise a
// Sharded evaluator (ShardConfig{Shards: shards}, capped at batch shards)
// whose data-only programs come from the cache's pool like Program's. A
// Sharded entry counts as one of the MaxPrograms the cache keeps. The
// evaluator is exclusive to this cache until Release.
func (c *ProgramCache) Evaluator(batch, shards int) (Evaluator, error) {
	shards = min(shards, batch)
	if shards <= 1 || !c.net.Separable() {
		return c.Program(batch)
	}
	if c.progs == nil {
		return nil, fmt.Errorf("graph: ProgramCache used after Release or not made by Net.NewProgramCache: %w", ErrArgument)
	}
	k := cacheKey{batch: batch, shards: shards}
	if s, ok := c.sharded[k]; ok {
		c.used = touch(c.used, k)
		return s, nil
	}
	var taken []*Program
	s, err := c.net.newSharded(batch, ShardConfig{Shards: shards}, func(b int) (*Program, error) {
		p, err := c.take(b, true)
		if err == nil {
			taken = append(taken, p)
		}
		return p, err
	})
	if err != nil {
		for _, p := range taken {
			c.net.putIdle(p)
		}
		return nil, err
	}
	c.sharded[k] = s
	c.add(k)
	return s, nil
}

// take returns an idle program from the Net's pool or compiles one.
func (c *ProgramCache) take(batch int, dataOnly bool) (*Program, error) {
	if p := c.net.takeIdle(batch, dataOnly); p != nil {
		return p, nil
	}
	return c.net.newProgram(batch, dataOnly)
}

// add records k as most recently used and evicts beyond MaxPrograms.
func (c *ProgramCache) add(k cacheKey) {
	c.used = touch(c.used, k)
	for len(c.used) > c.net.maxPrograms {
		c.drop(c.used[0])
		c.used = c.used[1:]
	}
}

// drop hands entry k's programs back to the Net's pool.
func (c *ProgramCache) drop(k cacheKey) {
	if k.shards == 0 {
		c.net.putIdle(c.progs[k.batch])
		delete(c.progs, k.batch)
		return
	}
	for _, p := range c.sharded[k].shards {
		c.net.putIdle(p)
	}
	delete(c.sharded, k)
}

// Len is the number of entries the cache holds (programs and Sharded
// evaluators).
func (c *ProgramCache) Len() int { return len(c.progs) + len(c.sharded) }

// Release returns every program of the cache to the Net's pool of idle
// programs, for later runs to reuse. The programs handed out must not be used
// after Release, nor the cache itself. Release on a released cache does
// nothing.
func (c *ProgramCache) Release() {
	for _, k := range c.used {
		c.drop(k)
	}
	c.progs, c.sharded, c.used = nil, nil, nil
}

// takeIdle removes and returns an idle program for batch (data-only or
// not) from the pool (nil when there is none).
func (n *Net) takeIdle(batch int, dataOnly bool) *Program {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := len(n.idle) - 1; i >= 0; i-- {
		if p := n.idle[i]; p.batch == batch && p.dataOnly == dataOnly {
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
func touch[K comparable](used []K, batch K) []K {
	for i, b := range used {
		if b == batch {
			used = append(used[:i], used[i+1:]...)
			break
		}
	}
	return append(used, batch)
}
