package redis_test

import (
	"testing"

	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/redis"
	"github.com/idemproxy/idemproxy/store/storetest"
)

// testLimit is the response limit of most test stores: small enough to keep
// the suite fast.
const testLimit = 256 << 10

// renamed returns options with non-default names for every configurable
// field.
func renamed() redis.Options {
	return redis.Options{
		ExpiryAttr:           "exp_at",
		InProgressExpiryAttr: "lease_until_ms",
		StatusAttr:           "state",
		DataAttr:             "body",
		ValidationAttr:       "payload_hash",
	}
}

// open returns a Store for opts talking to the server at addr, closed when t
// ends.
func open(t *testing.T, addr string, opts redis.Options) *redis.Store {
	t.Helper()
	opts.URL = "redis://" + addr
	s, err := redis.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// harness returns a conformance harness whose stores (each with its own
// client) use opts against addr.
func harness(addr string, opts redis.Options) storetest.Harness {
	mk := func(t *testing.T) store.Store { return open(t, addr, opts) }
	return storetest.Harness{New: mk, NewClient: mk, MaxResponseBytes: opts.MaxResponseBytes,
		CompressAboveBytes: store.CompressThreshold(opts.CompressAboveBytes)}
}

func TestConformance(t *testing.T) {
	p := testservers.MustStartRedis(t)
	storetest.Run(t, harness(p.Addr, redis.Options{MaxResponseBytes: testLimit}))
}

// TestConformanceRenamedAttributes also runs at the default limit, so the
// too-large case sends Lambda's largest response.
func TestConformanceRenamedAttributes(t *testing.T) {
	p := testservers.MustStartRedis(t)
	opts := renamed()
	opts.MaxResponseBytes = redis.DefaultMaxResponseBytes
	storetest.Run(t, harness(p.Addr, opts))
}

// TestConformanceCompressed runs the suite with a low compression
// threshold, so most responses are stored compressed.
func TestConformanceCompressed(t *testing.T) {
	p := testservers.MustStartRedis(t)
	storetest.Run(t, harness(p.Addr, redis.Options{MaxResponseBytes: testLimit, CompressAboveBytes: 1000}))
}

func TestConformanceCluster(t *testing.T) {
	p := testservers.MustStartRedisCluster(t)
	opts := redis.Options{Cluster: true, MaxResponseBytes: testLimit}
	storetest.Run(t, harness(p.Addr, opts))
}
