package bench

import (
	"context"
	"fmt"
	"strconv"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Names of the rows of the emulator runs.
const (
	RowNoExtension  = "no extension"
	RowReverseProxy = "httputil.ReverseProxy extension"
	RowTCPRelay     = "TCP relay extension (no HTTP)"
	RowRawHTTP      = "minimal HTTP/1.1 relay extension"
	RowPassThrough  = "idemproxy, idempotency disabled"
	RowMemFresh     = "memory: fresh"
	RowMemReplay    = "memory: replay"
	RowCacheReplay  = "memory: replay, local cache"
	RowMemMissing   = "memory: key missing"
	// ComparePrefix starts the rows of Env.Compare's binary.
	ComparePrefix = "[compared binary] "
)

// Sizes of a run.
type Sizes struct {
	// Rounds of the emulator comparisons (pass-through, memory store).
	Rounds int
	// StoreRounds of the dynalite, Redis and peer comparisons.
	StoreRounds int
	// Warmup rounds before each comparison, not measured.
	Warmup int
	// InitStarts of the extension, for its init time.
	InitStarts int
	// LoadInvocations before the RSS under load is read.
	LoadInvocations int
	// PayloadRounds of the large-payload comparison.
	PayloadRounds int
	// ColdStarts of each peer, for its import time.
	ColdStarts int
}

// FullSizes are the sizes of `make bench`.
var FullSizes = Sizes{Rounds: 300, StoreRounds: 200, Warmup: 10, InitStarts: 30, LoadInvocations: 1000, PayloadRounds: 30, ColdStarts: 10}

// SmokeSizes run every path once.
var SmokeSizes = Sizes{Rounds: 1, StoreRounds: 1, Warmup: 1, InitStarts: 1, LoadInvocations: 1, PayloadRounds: 1, ColdStarts: 1}

// idemproxyEnv is the idempotency configuration of every idempotent run.
func idemproxyEnv(extra ...string) []string {
	return append([]string{"IDEMPOTENCY_EVENT_KEY_JMESPATH=" + KeyJMESPath, "AWS_LAMBDA_FUNCTION_NAME=bench"}, extra...)
}

// RunLocal measures, in one alternating run on the emulator with the same
// Go handler, the pass-through cost (no extension, a plain ReverseProxy
// extension, idemproxy with idempotency disabled) and the memory store's
// paths (fresh, replay, replay from the local cache, key missing).
func RunLocal(ctx context.Context, env *Env, ev *Events, sz Sizes) (Section, error) {
	type emu struct {
		name, bin string
		vars      []string
	}
	emus := []emu{
		{"base", "", nil},
		{"reverseproxy", env.Baseline, nil},
		{"tcprelay", env.Baseline, []string{"BASELINE_MODE=tcp"}},
		{"rawhttp", env.Baseline, []string{"BASELINE_MODE=raw"}},
		{"disabled", env.Binary, []string{"POWERTOOLS_IDEMPOTENCY_DISABLED=true"}},
		{"memory", env.Binary, idemproxyEnv("IDEMPOTENCY_STORE=memory")},
		{"memory-replay", env.Binary, idemproxyEnv("IDEMPOTENCY_STORE=memory")},
		{"memory-missing", env.Binary, idemproxyEnv("IDEMPOTENCY_STORE=memory")},
		{"cache", env.Binary, idemproxyEnv("IDEMPOTENCY_STORE=memory", "IDEMPOTENCY_USE_LOCAL_CACHE=true")},
	}
	if env.Compare != "" {
		emus = append(emus,
			emu{"compare-disabled", env.Compare, []string{"POWERTOOLS_IDEMPOTENCY_DISABLED=true"}},
			emu{"compare-memory", env.Compare, idemproxyEnv("IDEMPOTENCY_STORE=memory")},
			emu{"compare-memory-replay", env.Compare, idemproxyEnv("IDEMPOTENCY_STORE=memory")})
	}
	e := map[string]*lambdatest.Emulator{}
	defer func() {
		for _, x := range e {
			x.Close()
		}
	}()
	for _, m := range emus {
		x, err := env.startEmulator(ctx, m.bin, m.vars...)
		if err != nil {
			return Section{}, fmt.Errorf("emulator %s: %w", m.name, err)
		}
		e[m.name] = x
	}
	n := sz.Warmup + sz.Rounds
	fresh := pregenerate(n, func(i int) []byte { return ev.Order("", "fresh-"+strconv.Itoa(i), nil) })
	same := ev.Order("", "replayed-order", nil)
	missing := ev.Order("", "", nil)
	arms := []Arm{
		InvokeArm(RowNoExtension, e["base"], fresh, CheckRan()),
		InvokeArm(RowReverseProxy, e["reverseproxy"], fresh, CheckRan()),
		InvokeArm(RowTCPRelay, e["tcprelay"], fresh, CheckRan()),
		InvokeArm(RowRawHTTP, e["rawhttp"], fresh, CheckRan()),
		InvokeArm(RowPassThrough, e["disabled"], fresh, CheckRan()),
		InvokeArm(RowMemFresh, e["memory"], fresh, CheckRan()),
		InvokeArm(RowMemReplay, e["memory-replay"], constant(same), CheckReplay()),
		InvokeArm(RowCacheReplay, e["cache"], constant(same), CheckReplay()),
		InvokeArm(RowMemMissing, e["memory-missing"], constant(missing), CheckRan()),
	}
	specs := []spec{
		{RowNoExtension, ""},
		{RowReverseProxy, RowNoExtension},
		{RowTCPRelay, RowNoExtension},
		{RowRawHTTP, RowNoExtension},
		{RowPassThrough, RowNoExtension},
		{RowMemFresh, RowNoExtension},
		{RowMemReplay, RowNoExtension},
		{RowCacheReplay, RowNoExtension},
		{RowMemMissing, RowNoExtension},
	}
	if env.Compare != "" {
		arms = append(arms,
			InvokeArm(ComparePrefix+RowPassThrough, e["compare-disabled"], fresh, CheckRan()),
			InvokeArm(ComparePrefix+RowMemFresh, e["compare-memory"], fresh, CheckRan()),
			InvokeArm(ComparePrefix+RowMemReplay, e["compare-memory-replay"], constant(same), CheckReplay()))
		specs = append(specs, spec{ComparePrefix + RowPassThrough, RowNoExtension},
			spec{ComparePrefix + RowMemFresh, RowNoExtension}, spec{ComparePrefix + RowMemReplay, RowNoExtension})
	}
	samples, err := Alternate(ctx, sz.Warmup, sz.Rounds, arms...)
	if err != nil {
		return Section{}, err
	}
	return section("Pass-through and memory store (emulator, Go handler)",
		fmt.Sprintf("%d rounds after %d warm-up rounds; each round invokes every row once, in a random order, "+
			"each row on an emulator of its own (an emulator invoked more often per round runs warmer and faster), "+
			"with the 1.4 KB API Gateway event (a new order id per invocation, except for the replays), key `%s`. "+
			"Times are the caller's, around the emulator's invoke endpoint.", sz.Rounds, sz.Warmup, KeyJMESPath),
		samples, specs...), nil
}

// pregenerate builds events 0..n-1 up front, so that no time is spent on
// them between measured invocations.
func pregenerate(n int, f func(int) []byte) func(int) []byte {
	evs := make([][]byte, n)
	for i := range evs {
		evs[i] = f(i)
	}
	return func(i int) []byte { return evs[i] }
}

func constant(b []byte) func(int) []byte { return func(int) []byte { return b } }
