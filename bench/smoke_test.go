package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// TestSmoke runs every path of the benchmark suite once (SmokeSizes). Each
// invocation's result is checked as in a full run (the handler ran, or was
// replayed byte for byte, or failed as it should); store round trips are
// checked against Powertools'. Nothing about time is asserted.
func TestSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	env, err := Setup(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ev, err := LoadEvents(env.Root)
	if err != nil {
		t.Fatal(err)
	}
	sz := SmokeSizes
	rep := &Report{Machine: DescribeMachine(env.Root), Sizes: sz}

	t.Run("keys", func(t *testing.T) {
		cases, err := KeyCases(ev)
		if err != nil {
			t.Fatal(err)
		}
		key := regexp.MustCompile(`^bench\.app\.handler#[0-9a-f]{32}$`)
		tsKey := regexp.MustCompile(`^bench#[A-Za-z0-9+/]{22}==$`) // base64 md5, function-name prefix
		for _, c := range cases {
			d, err := c.Keyer.Derive(c.Bytes)
			want := key
			if c.Keyer.Config().Format == idempotency.FormatTypeScript {
				want = tsKey
			}
			if err != nil || !want.MatchString(d.Key) {
				t.Errorf("%s / %s: key %q, error %v", c.Event, c.Config, d.Key, err)
			}
		}
	})
	t.Run("hop", func(t *testing.T) {
		s, err := RunHop(ctx, ev.Template(), 1, 1)
		checkSection(t, s, err, 1)
		rep.Hop = &s
	})
	t.Run("local", func(t *testing.T) {
		s, err := RunLocal(ctx, env, ev, sz)
		checkSection(t, s, err, sz.Rounds)
		rep.Local = &s
	})
	t.Run("beyond", func(t *testing.T) {
		s, err := RunBeyond(ctx, env, ev, sz)
		checkSection(t, s, err, sz.Rounds)
		rep.Beyond = &s
	})
	srv, err := StartServers(ctx)
	if errors.Is(err, testservers.ErrRedisNotInstalled) && os.Getenv(testservers.AllowNoRedisEnv) == "1" {
		t.Skipf("SKIPPED, NOT PASSED: the store paths: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	t.Run("dynamo", func(t *testing.T) {
		run, err := RunDynamo(ctx, env, ev, sz, srv.DynamoEndpoint)
		checkSection(t, run.Section, err, sz.StoreRounds)
		checkRoundTrips(t, "dynalite", run.Ops, map[string]float64{RowFresh: 2, RowReplay: 2, RowError: 2, RowPyReplay: 2})
		checkRoundTrips(t, "moto", run.OpsAllOld, map[string]float64{RowFresh: 2, RowReplay: 1, RowError: 2, RowPyReplay: 1, RowTSReplay: 1})
		if len(run.ColdStarts) != 2 || run.ColdStarts[0].Total() <= 0 || run.ColdStarts[1].Total() <= 0 {
			t.Errorf("cold starts: %+v", run.ColdStarts)
		}
		rep.Dynamo = &run
	})
	t.Run("redis", func(t *testing.T) {
		run, err := RunRedis(ctx, env, ev, sz, srv.RedisAddr)
		checkSection(t, run.Section, err, sz.StoreRounds)
		checkRoundTrips(t, "redis", run.Ops, map[string]float64{RowFresh: 2, RowReplay: 1, RowError: 2})
		rep.Redis = &run
	})
	t.Run("batch", func(t *testing.T) {
		runs, err := RunBatch(ctx, env, sz, srv)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 {
			t.Fatalf("%d batch runs, want dynalite and redis", len(runs))
		}
		for i, run := range runs {
			checkSection(t, run.Section, nil, sz.StoreRounds)
			// 10 records: 10 claims, then 10 completions (dynalite answers a
			// failed claim without the item: one GetItem more per record).
			want := map[string]float64{RowBatchOne: 2, RowBatchFresh: 20, RowBatchReplay: 20}
			if i == 1 {
				want[RowBatchReplay] = 10
			}
			checkRoundTrips(t, run.Section.Title, run.Ops, want)
		}
		rep.Batch = runs
	})
	t.Run("init", func(t *testing.T) {
		rows, err := MeasureInit(ctx, env, srv.DynamoEndpoint, srv.RedisAddr, sz.InitStarts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Ready.N != sz.InitStarts || r.Registered.P50 <= 0 || r.Ready.P50 < r.Registered.P50 || r.IdleRSS <= 0 {
				t.Errorf("init %s: %+v", r.Name, r)
			}
		}
		rep.Init = rows
		if rep.Binary, err = env.BinarySize(); err != nil || rep.Binary <= 0 {
			t.Errorf("binary size %d: %v", rep.Binary, err)
		}
	})
	t.Run("load", func(t *testing.T) {
		l, err := MeasureLoad(ctx, env, ev, srv.DynamoEndpoint, 2)
		if err != nil {
			t.Fatal(err)
		}
		if l.Idle <= 0 || l.After <= 0 || l.Peak < l.After {
			t.Errorf("RSS: %+v", l)
		}
		rep.Load = &l
	})
	t.Run("payloads", func(t *testing.T) {
		p, err := RunPayloads(ctx, env, ev, sz, srv.RedisAddr)
		checkSection(t, p.Section, err, sz.PayloadRounds)
		for _, name := range []string{PayloadPassThrough, PayloadRedis} {
			if p.Peak[name] <= 0 {
				t.Errorf("no peak RSS for %s", name)
			}
		}
		rep.Payloads = &p
	})
	t.Run("compression", func(t *testing.T) {
		c, err := RunCompression(ctx, env, ev, sz, srv.DynamoEndpoint, srv.RedisAddr)
		checkSection(t, c, err, sz.PayloadRounds)
		rep.Compression = &c
	})
	t.Run("report", func(t *testing.T) {
		var b bytes.Buffer
		if err := rep.WriteMarkdown(&b, "## Notes\n", "results.png"); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"## Targets", "## Pass-through", "## Beyond Powertools features", "## Proxy hops", "## DynamoDB", "## Redis",
			"## Cold start", "## Extension init", "## Batch mode", "## Large responses", "## Compressed responses", "## Notes", "![results](results.png)"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("report lacks %q", want)
			}
		}
		if n := len(rep.Targets()); n < 20 {
			t.Errorf("only %d targets checked", n)
		}
	})
}

// checkSection fails unless every row has n measurements.
func checkSection(t *testing.T, s Section, err error, n int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range s.Rows {
		if r.Summary.N != n || r.Summary.P50 <= 0 {
			t.Errorf("%s: %d measurements (p50 %v), want %d", r.Name, r.Summary.N, r.Summary.P50, n)
		}
	}
}

// checkRoundTrips compares counted store operations per invocation.
func checkRoundTrips(t *testing.T, server string, got map[string]OpCount, want map[string]float64) {
	t.Helper()
	for row, n := range want {
		if c := got[row]; c.PerInvocation != n {
			t.Errorf("%s, %s: %g store round trips per invocation (%s), want %g", server, row, c.PerInvocation, c.Ops, n)
		}
	}
}
