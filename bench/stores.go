package bench

import (
	"context"
	"fmt"
	"strconv"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// Names of the rows of the store runs.
const (
	RowBaseFresh = "no extension"
	RowBaseError = "no extension: handler error"
	RowFresh     = "idemproxy: fresh"
	RowReplay    = "idemproxy: replay"
	RowError     = "idemproxy: handler error"
	RowPyFresh   = "Powertools Python: fresh"
	RowPyReplay  = "Powertools Python: replay"
	RowTSFresh   = "Powertools TypeScript: fresh"
	RowTSReplay  = "Powertools TypeScript: replay"
)

// Tables of the DynamoDB runs: one per system, in the same dynalite.
const (
	tableIdemproxy  = "idem_go"
	tablePython     = "idem_py"
	tableTypeScript = "idem_ts"
)

// StoreRun is the outcome of RunDynamo or RunRedis.
type StoreRun struct {
	Section Section `json:"section"`
	// ColdStarts are the peers' start-up costs (DynamoDB only).
	ColdStarts []ColdStart `json:"cold_starts,omitempty"`
	// Ops are the store operations of each row's invocation, as counted.
	Ops map[string]OpCount `json:"ops"`
	// OpsAllOld are the same on moto, which returns the old item of a
	// failed conditional write (ReturnValuesOnConditionCheckFailure=ALL_OLD),
	// as DynamoDB does and dynalite does not (DynamoDB only).
	OpsAllOld map[string]OpCount `json:"ops_all_old,omitempty"`
}

// storeEvents are the events of a store run: fresh ones, the replayed one
// and failing ones, for n invocations.
type storeEvents struct {
	fresh, fail func(int) []byte
	same        []byte
}

func newStoreEvents(ev *Events, prefix string, n int) storeEvents {
	return storeEvents{
		fresh: pregenerate(n, func(i int) []byte { return ev.Order("", prefix+"-fresh-"+strconv.Itoa(i), nil) }),
		fail:  pregenerate(n, func(i int) []byte { return ev.Order("error", prefix+"-error-"+strconv.Itoa(i), nil) }),
		same:  ev.Order("", prefix+"-replayed", nil),
	}
}

// dynamoEnv configures idemproxy for table at endpoint.
func dynamoEnv(endpoint, table string) []string {
	return idemproxyEnv(append([]string{"IDEMPOTENCY_TABLE_NAME=" + table, "AWS_ENDPOINT_URL_DYNAMODB=" + endpoint},
		dynamoCredentials()...)...)
}

// RunDynamo measures idemproxy on dynalite (fresh, replay, handler error)
// side by side with the Powertools Python and TypeScript handlers on the
// same dynalite and the same events, counts each path's store round trips,
// and measures the peers' cold starts.
func RunDynamo(ctx context.Context, env *Env, ev *Events, sz Sizes, endpoint string) (StoreRun, error) {
	var (
		run StoreRun
		err error
	)
	if run.Ops, err = countDynamo(ctx, env, ev, endpoint); err != nil {
		return StoreRun{}, fmt.Errorf("counting round trips: %w", err)
	}
	if run.OpsAllOld, err = countMoto(ctx, env, ev); err != nil {
		return StoreRun{}, fmt.Errorf("counting round trips on moto: %w", err)
	}
	base, err := env.startEmulator(ctx, "")
	if err != nil {
		return StoreRun{}, err
	}
	defer base.Close()
	idem, err := env.startEmulator(ctx, env.Binary, dynamoEnv(endpoint, tableIdemproxy)...)
	if err != nil {
		return StoreRun{}, err
	}
	defer idem.Close()
	py, err := env.StartPeer("Powertools Python", "python", tablePython, endpoint)
	if err != nil {
		return StoreRun{}, err
	}
	defer py.Close()
	ts, err := env.StartPeer("Powertools TypeScript", "typescript", tableTypeScript, endpoint)
	if err != nil {
		return StoreRun{}, err
	}
	defer ts.Close()

	e := newStoreEvents(ev, "ddb", sz.Warmup+sz.StoreRounds)
	samples, err := Alternate(ctx, sz.Warmup, sz.StoreRounds,
		InvokeArm(RowBaseFresh, base, e.fresh, CheckRan()),
		InvokeArm(RowBaseError, base, e.fail, CheckHandlerError()),
		InvokeArm(RowFresh, idem, e.fresh, CheckRan()),
		InvokeArm(RowReplay, idem, constant(e.same), CheckReplay()),
		InvokeArm(RowError, idem, e.fail, CheckHandlerError()),
		PeerArm(RowPyFresh, py, e.fresh, PeerRan()),
		PeerArm(RowPyReplay, py, constant(e.same), PeerReplay()),
		PeerArm(RowTSFresh, ts, e.fresh, PeerRan()),
		PeerArm(RowTSReplay, ts, constant(e.same), PeerReplay()),
	)
	if err != nil {
		return StoreRun{}, err
	}
	run.Section = section("DynamoDB (dynalite): idemproxy and Powertools on the same events",
		fmt.Sprintf("%d rounds after %d warm-up rounds, alternating. idemproxy rows are end-to-end (the caller's time around "+
			"the emulator, Go handler); Powertools rows are the peer's in-process handler time (the decorated handler call, "+
			"measured inside the Python or Node process: no emulator, no runtime client). Each system has its own table.",
			sz.StoreRounds, sz.Warmup),
		samples,
		spec{RowBaseFresh, ""},
		spec{RowBaseError, ""},
		spec{RowFresh, RowBaseFresh},
		spec{RowReplay, RowBaseFresh},
		spec{RowError, RowBaseError},
		spec{RowPyFresh, ""},
		spec{RowPyReplay, ""},
		spec{RowTSFresh, ""},
		spec{RowTSReplay, ""},
	)
	setRoundTrips(&run.Section, run.Ops)
	for _, p := range []struct{ name, lang string }{{"Powertools Python", "python"}, {"Powertools TypeScript", "typescript"}} {
		c, err := env.MeasureColdStart(ctx, p.name, p.lang, endpoint, sz.ColdStarts)
		if err != nil {
			return StoreRun{}, err
		}
		run.ColdStarts = append(run.ColdStarts, c)
	}
	return run, nil
}

// RunRedis measures idemproxy on redis-server: fresh, replay, handler error.
func RunRedis(ctx context.Context, env *Env, ev *Events, sz Sizes, addr string) (StoreRun, error) {
	vars := redisEnv(addr)
	var (
		run StoreRun
		err error
	)
	if run.Ops, err = countRedis(ctx, env, ev, addr); err != nil {
		return StoreRun{}, fmt.Errorf("counting round trips: %w", err)
	}
	base, err := env.startEmulator(ctx, "")
	if err != nil {
		return StoreRun{}, err
	}
	defer base.Close()
	idem, err := env.startEmulator(ctx, env.Binary, vars...)
	if err != nil {
		return StoreRun{}, err
	}
	defer idem.Close()
	e := newStoreEvents(ev, "redis", sz.Warmup+sz.StoreRounds)
	samples, err := Alternate(ctx, sz.Warmup, sz.StoreRounds,
		InvokeArm(RowBaseFresh, base, e.fresh, CheckRan()),
		InvokeArm(RowBaseError, base, e.fail, CheckHandlerError()),
		InvokeArm(RowFresh, idem, e.fresh, CheckRan()),
		InvokeArm(RowReplay, idem, constant(e.same), CheckReplay()),
		InvokeArm(RowError, idem, e.fail, CheckHandlerError()),
	)
	if err != nil {
		return StoreRun{}, err
	}
	run.Section = section("Redis (redis-server)",
		fmt.Sprintf("%d rounds after %d warm-up rounds, alternating; end-to-end through the emulator, Go handler.", sz.StoreRounds, sz.Warmup),
		samples,
		spec{RowBaseFresh, ""},
		spec{RowBaseError, ""},
		spec{RowFresh, RowBaseFresh},
		spec{RowReplay, RowBaseFresh},
		spec{RowError, RowBaseError},
	)
	setRoundTrips(&run.Section, run.Ops)
	return run, nil
}

// redisEnv configures idemproxy for the redis-server at addr.
func redisEnv(addr string) []string {
	return idemproxyEnv("IDEMPOTENCY_REDIS_URL=redis://" + addr + "/0")
}

// Servers are the stores of a run: one dynalite with the suite's tables and
// one redis-server.
type Servers struct {
	DynamoEndpoint string
	RedisAddr      string
	stop           []func() error
}

// StartServers starts dynalite (creating the tables) and redis-server.
func StartServers(ctx context.Context) (*Servers, error) {
	s := &Servers{}
	dyn, err := testservers.StartDynalite(ctx)
	if err != nil {
		return nil, err
	}
	s.stop = append(s.stop, dyn.Stop)
	s.DynamoEndpoint = testservers.Endpoint(dyn)
	for _, t := range []string{tableIdemproxy, tablePython, tableTypeScript} {
		if err := testservers.CreateTable(ctx, s.DynamoEndpoint, t, "id", ""); err != nil {
			s.Stop()
			return nil, err
		}
	}
	rs, err := testservers.StartRedis(ctx)
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.stop = append(s.stop, rs.Stop)
	s.RedisAddr = rs.Addr
	return s, nil
}

// countMoto counts the DynamoDB operations of every path on moto.
func countMoto(ctx context.Context, env *Env, ev *Events) (map[string]OpCount, error) {
	moto, err := testservers.StartMoto(ctx)
	if err != nil {
		return nil, err
	}
	defer moto.Stop()
	endpoint := testservers.Endpoint(moto)
	for _, t := range []string{tableIdemproxy, tablePython, tableTypeScript} {
		if err := testservers.CreateTable(ctx, endpoint, t, "id", ""); err != nil {
			return nil, err
		}
	}
	return countDynamo(ctx, env, ev, endpoint)
}

// Stop stops the servers.
func (s *Servers) Stop() {
	for _, stop := range s.stop {
		_ = stop()
	}
}

// startCounted is the emulator of a counting pass.
func startCounted(ctx context.Context, env *Env, vars []string) (*lambdatest.Emulator, error) {
	return env.startEmulator(ctx, env.Binary, vars...)
}
