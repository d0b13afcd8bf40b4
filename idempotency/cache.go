package idempotency

import (
	"container/list"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// lru is a bounded least-recently-used cache of COMPLETED records, the
// local cache of Powertools (use_local_cache). Safe for concurrent use.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recently used; values are store.Record
	items map[string]*list.Element
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns the live record for key. Expired records are dropped.
func (c *lru) get(key string, now time.Time) (store.Record, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return store.Record{}, false
	}
	rec := el.Value.(store.Record)
	if !rec.Live(now) {
		c.order.Remove(el)
		delete(c.items, key)
		return store.Record{}, false
	}
	c.order.MoveToFront(el)
	return rec, true
}

// put stores a COMPLETED record; anything else is ignored.
func (c *lru) put(rec store.Record) {
	if rec.Status != store.StatusCompleted || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[rec.Key]; ok {
		el.Value = rec
		c.order.MoveToFront(el)
		return
	}
	c.items[rec.Key] = c.order.PushFront(rec)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(store.Record).Key)
	}
}

// remove drops key.
func (c *lru) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
