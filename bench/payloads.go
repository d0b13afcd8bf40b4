package bench

import (
	"context"
	"fmt"
	"strconv"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Payload sizes of the large-response runs (the data of the "big" action;
// the response is a few bytes more).
const (
	PayloadSmall = 1 << 20   // 1 MiB
	PayloadLarge = 5_900_000 // 5.9 MB, under the 6 MiB synchronous limit
)

// LoadRSS is the extension's memory around a run of invocations.
type LoadRSS struct {
	// Store is the store used.
	Store string `json:"store"`
	// Invocations is how many invocations ran before After was read.
	Invocations int `json:"invocations"`
	// Idle is VmRSS after the first invocation; After is VmRSS after all
	// of them, Peak the VmHWM then (bytes).
	Idle  int64 `json:"idle"`
	After int64 `json:"after"`
	Peak  int64 `json:"peak"`
}

// MeasureLoad runs n fresh invocations through idemproxy on DynamoDB and
// reads the extension's memory.
func MeasureLoad(ctx context.Context, env *Env, ev *Events, endpoint string, n int) (LoadRSS, error) {
	e, err := env.startEmulator(ctx, env.Binary, dynamoEnv(endpoint, tableIdemproxy)...)
	if err != nil {
		return LoadRSS{}, err
	}
	defer e.Close()
	out := LoadRSS{Store: "DynamoDB (dynalite)", Invocations: n}
	check := CheckRan()
	for i := range n {
		event := ev.Order("", "load-"+strconv.Itoa(i), nil)
		res, err := e.Invoke(ctx, event)
		if err != nil {
			return LoadRSS{}, err
		}
		if err := check(i, event, res); err != nil {
			return LoadRSS{}, fmt.Errorf("%w: invocation %d: %w", ErrCheck, i, err)
		}
		if i == 0 {
			if out.Idle, err = emulatorRSS(e); err != nil {
				return LoadRSS{}, err
			}
		}
	}
	pid, err := extensionPID(e)
	if err != nil {
		return LoadRSS{}, err
	}
	out.After, out.Peak, err = readRSS(pid)
	return out, err
}

// emulatorRSS returns VmRSS of e's extension.
func emulatorRSS(e *lambdatest.Emulator) (int64, error) {
	pid, err := extensionPID(e)
	if err != nil {
		return 0, err
	}
	rss, _, err := readRSS(pid)
	return rss, err
}

// PayloadRun is the large-payload comparison and the extensions' peak
// memory in it.
type PayloadRun struct {
	Section Section `json:"section"`
	// Peak is the VmHWM of each extension after the run, by row prefix.
	Peak map[string]int64 `json:"peak"`
}

// Extension configurations of the payload run.
const (
	PayloadPassThrough = "idemproxy, idempotency disabled"
	PayloadRedis       = "idemproxy on Redis"
)

// payloadRow names a row of the payload run.
func payloadRow(what string, size int) string {
	if size == PayloadSmall {
		return what + ", 1 MiB"
	}
	return what + ", 5.9 MB"
}

// RunPayloads sends 1 MiB and 5.9 MB responses through no extension,
// idemproxy as a pass-through, and idemproxy recording them in Redis (fresh,
// then replayed), alternating.
func RunPayloads(ctx context.Context, env *Env, ev *Events, sz Sizes, redisAddr string) (PayloadRun, error) {
	base, err := env.startEmulator(ctx, "")
	if err != nil {
		return PayloadRun{}, err
	}
	defer base.Close()
	pass, err := env.startEmulator(ctx, env.Binary, "POWERTOOLS_IDEMPOTENCY_DISABLED=true")
	if err != nil {
		return PayloadRun{}, err
	}
	defer pass.Close()
	red, err := env.startEmulator(ctx, env.Binary, redisEnv(redisAddr)...)
	if err != nil {
		return PayloadRun{}, err
	}
	defer red.Close()
	n := sz.Warmup + sz.PayloadRounds
	var arms []Arm
	var specs []spec
	for _, size := range []int{PayloadSmall, PayloadLarge} {
		fresh := pregenerate(n, func(i int) []byte { return ev.Big("big-"+strconv.Itoa(size)+"-"+strconv.Itoa(i), size) })
		same := ev.Big("big-replayed-"+strconv.Itoa(size), size)
		b := payloadRow("no extension", size)
		arms = append(arms,
			InvokeArm(b, base, fresh, CheckSize(size)),
			InvokeArm(payloadRow(PayloadPassThrough, size), pass, fresh, CheckSize(size)),
			InvokeArm(payloadRow(PayloadRedis+": fresh", size), red, fresh, CheckSize(size)),
			InvokeArm(payloadRow(PayloadRedis+": replay", size), red, constant(same), ReplayOf(CheckSize(size))),
		)
		specs = append(specs, spec{b, ""}, spec{payloadRow(PayloadPassThrough, size), b},
			spec{payloadRow(PayloadRedis+": fresh", size), b}, spec{payloadRow(PayloadRedis+": replay", size), b})
	}
	samples, err := Alternate(ctx, sz.Warmup, sz.PayloadRounds, arms...)
	if err != nil {
		return PayloadRun{}, err
	}
	run := PayloadRun{Peak: map[string]int64{}}
	run.Section = section("Large responses",
		fmt.Sprintf("%d rounds after %d warm-up rounds, alternating; end-to-end through the emulator, Go handler (the \"big\" "+
			"action). The Redis rows buffer the response, store it and (replay) post the stored copy.", sz.PayloadRounds, sz.Warmup),
		samples, specs...)
	for name, e := range map[string]*lambdatest.Emulator{PayloadPassThrough: pass, PayloadRedis: red} {
		pid, err := extensionPID(e)
		if err != nil {
			return PayloadRun{}, err
		}
		if _, run.Peak[name], err = readRSS(pid); err != nil {
			return PayloadRun{}, err
		}
	}
	return run, nil
}
