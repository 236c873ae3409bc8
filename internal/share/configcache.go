package share

import "sync"

// configCache keeps the shares Get found, so a request does not query
// the database for its share (a get -r of 2,000 small files spent 17% of
// the sharing node's CPU there). Every change of the share list goes
// through Configs (Add, SetRules, Remove), which bumps the generation
// after writing: a Get that started before a change never stores what it
// read.
type configCache struct {
	mu     sync.Mutex
	gen    uint64
	byName map[string]Config
}

// get returns the cached share and the generation to pass to put.
func (c *configCache) get(name string) (Config, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, ok := c.byName[name]
	return cfg, c.gen, ok
}

// put stores cfg, read from the database at generation gen.
func (c *configCache) put(name string, cfg Config, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.byName == nil {
		c.byName = map[string]Config{}
	}
	cfg.Rules = append([]Rule(nil), cfg.Rules...)
	c.byName[name] = cfg
}

// changed empties the cache after a change of the share list.
func (c *configCache) changed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.byName = nil
}
