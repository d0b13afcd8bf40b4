package bench

import (
	"context"
	"fmt"
	"strconv"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Store configurations of the compression run.
const (
	compressRedisOff = "Redis, compression off"
	compressRedisOn  = "Redis, gzip above 64 KiB (default)"
	compressDynamo   = "DynamoDB, gzip above 64 KiB (default)"
)

// RunCompression measures what compressing stored responses costs: the
// same 1 MiB and 5.9 MB responses recorded (fresh) and replayed through
// idemproxy on Redis with compression off and on, alternating, and on
// DynamoDB, where responses this large fit the 400 KB item only
// compressed. The "big" action's data is a repeated 36-byte pattern, which
// gzip handles faster than typical JSON; `go test -bench Compress
// ./store/` measures gzip alone on JSON-like data.
func RunCompression(ctx context.Context, env *Env, ev *Events, sz Sizes, dynamoEndpoint, redisAddr string) (Section, error) {
	start := func(vars ...string) (*lambdatest.Emulator, error) { return env.startEmulator(ctx, env.Binary, vars...) }
	off, err := start(append(redisEnv(redisAddr), "IDEMPOTENCY_COMPRESS_ABOVE_BYTES=off")...)
	if err != nil {
		return Section{}, err
	}
	defer off.Close()
	on, err := start(redisEnv(redisAddr)...)
	if err != nil {
		return Section{}, err
	}
	defer on.Close()
	dyn, err := start(dynamoEnv(dynamoEndpoint, tableIdemproxy)...)
	if err != nil {
		return Section{}, err
	}
	defer dyn.Close()
	n := sz.Warmup + sz.PayloadRounds
	var arms []Arm
	var specs []spec
	for _, size := range []int{PayloadSmall, PayloadLarge} {
		for _, c := range []struct {
			name, prefix, baseline string
			e                      *lambdatest.Emulator
		}{
			{compressRedisOff, "raw", "", off},
			{compressRedisOn, "gz", compressRedisOff, on},
			{compressDynamo, "ddb", "", dyn},
		} {
			tag := c.prefix + "-" + strconv.Itoa(size) + "-"
			fresh := pregenerate(n, func(i int) []byte { return ev.Big(tag+strconv.Itoa(i), size) })
			same := ev.Big(tag+"replayed", size)
			freshRow, replayRow := payloadRow(c.name+": fresh", size), payloadRow(c.name+": replay", size)
			arms = append(arms,
				InvokeArm(freshRow, c.e, fresh, CheckSize(size)),
				InvokeArm(replayRow, c.e, constant(same), ReplayOf(CheckSize(size))))
			freshBase, replayBase := "", ""
			if c.baseline != "" {
				freshBase, replayBase = payloadRow(c.baseline+": fresh", size), payloadRow(c.baseline+": replay", size)
			}
			specs = append(specs, spec{freshRow, freshBase}, spec{replayRow, replayBase})
		}
	}
	samples, err := Alternate(ctx, sz.Warmup, sz.PayloadRounds, arms...)
	if err != nil {
		return Section{}, err
	}
	return section("Compressed responses",
		fmt.Sprintf("%d rounds after %d warm-up rounds, alternating; end-to-end through the emulator, Go handler (the \"big\" "+
			"action). Fresh rows record the response (compressing it when on), replay rows inflate and post it. "+
			"Compared with compression off, the added time is the cost of gzip (BestSpeed) on this very "+
			"compressible data; DynamoDB cannot hold these responses uncompressed.", sz.PayloadRounds, sz.Warmup),
		samples, specs...), nil
}
