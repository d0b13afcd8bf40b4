package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Rows of the Beyond Powertools run: each configuration's fresh and replay
// rows, compared with the same rows without the feature.
const (
	RowBeyondFresh         = "memory: fresh"
	RowBeyondReplay        = "memory: replay"
	RowMetricsFresh        = "metrics (EMF line): fresh"
	RowMetricsReplay       = "metrics (EMF line): replay"
	RowReplayHeaderFresh   = "replay header: fresh"
	RowReplayHeaderReplay  = "replay header: replay"
	RowStreamCaptureFresh  = "streaming capture, ordinary response: fresh"
	RowStreamCaptureReplay = "streaming capture, ordinary response: replay"
)

// Settings of the features measured.
const (
	benchNamespace    = "bench/Idempotency"
	benchReplayHeader = "X-Idempotent-Replay"
)

// RunBeyond measures the Beyond Powertools features that act on every
// invocation, in one alternating run on the memory store with responses
// shaped as API Gateway proxy responses (the "proxy" action): the EMF line
// (IDEMPOTENCY_METRICS_NAMESPACE), the replay marker
// (IDEMPOTENCY_REPLAY_HEADER, which rewrites replayed proxy responses) and
// IDEMPOTENCY_STREAMING=capture on ordinary (unstreamed) responses, each
// on its own emulator, against an emulator with none of them. Every
// emulator serves two rows per round (fresh and replay), so that each is
// equally often idle between its invocations.
func RunBeyond(ctx context.Context, env *Env, ev *Events, sz Sizes) (Section, error) {
	base := idemproxyEnv("IDEMPOTENCY_STORE=memory")
	confs := []struct {
		tag, fresh, replay string
		vars               []string
		header             string
	}{
		{"plain", RowBeyondFresh, RowBeyondReplay, base, ""},
		{"metrics", RowMetricsFresh, RowMetricsReplay, append(base[:len(base):len(base)], "IDEMPOTENCY_METRICS_NAMESPACE="+benchNamespace), ""},
		{"header", RowReplayHeaderFresh, RowReplayHeaderReplay, append(base[:len(base):len(base)], "IDEMPOTENCY_REPLAY_HEADER="+benchReplayHeader), benchReplayHeader},
		{"capture", RowStreamCaptureFresh, RowStreamCaptureReplay, append(base[:len(base):len(base)], "IDEMPOTENCY_STREAMING=capture"), ""},
	}
	n := sz.Warmup + sz.Rounds
	var (
		arms  []Arm
		specs []spec
		emus  = map[string]*lambdatest.Emulator{}
	)
	defer func() {
		for _, e := range emus {
			e.Close()
		}
	}()
	for _, c := range confs {
		e, err := env.startEmulator(ctx, env.Binary, c.vars...)
		if err != nil {
			return Section{}, fmt.Errorf("emulator %s: %w", c.tag, err)
		}
		emus[c.tag] = e
		fresh := pregenerate(n, func(i int) []byte { return ev.Order(lambdatest.ActionProxy, c.tag+"-fresh-"+strconv.Itoa(i), nil) })
		same := ev.Order(lambdatest.ActionProxy, c.tag+"-replayed", nil)
		arms = append(arms,
			InvokeArm(c.fresh, e, fresh, CheckProxyRan()),
			InvokeArm(c.replay, e, constant(same), CheckProxyReplay(c.header)))
		freshBase, replayBase := "", ""
		if c.tag != "plain" {
			freshBase, replayBase = RowBeyondFresh, RowBeyondReplay
		}
		specs = append(specs, spec{c.fresh, freshBase}, spec{c.replay, replayBase})
	}
	samples, err := Alternate(ctx, sz.Warmup, sz.Rounds, arms...)
	if err != nil {
		return Section{}, err
	}
	// The metrics rows measure nothing unless the EMF lines were written.
	if got, want := strings.Count(emus["metrics"].Logs(), `"Namespace":"`+benchNamespace+`"`), 2*n; got < want {
		return Section{}, fmt.Errorf("%w: %d EMF lines for %d invocations", ErrCheck, got, want)
	}
	return section("Beyond Powertools features (emulator, memory store)",
		fmt.Sprintf("%d rounds after %d warm-up rounds, alternating; the Go handler answers the 1.4 KB API Gateway event "+
			"with an API Gateway proxy response. Each feature runs on its own emulator, compared with the same rows on "+
			"an emulator without it: `IDEMPOTENCY_METRICS_NAMESPACE` (one EMF line on stdout per invocation), "+
			"`IDEMPOTENCY_REPLAY_HEADER=%s` (replays rewritten with the header) and `IDEMPOTENCY_STREAMING=capture` "+
			"(ordinary responses, which it does not touch).", sz.Rounds, sz.Warmup, benchReplayHeader),
		samples, specs...), nil
}

// proxyAnswer is the "proxy" action's API Gateway proxy response.
type proxyAnswer struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// parseProxy decodes a proxy response of the handler.
func parseProxy(res lambdatest.Result) (proxyAnswer, error) {
	var p proxyAnswer
	if res.Status != 200 {
		return p, errors.New("status is not 200")
	}
	if err := json.Unmarshal(res.Body, &p); err != nil || p.StatusCode != 200 {
		return p, fmt.Errorf("not a proxy response with status code 200: %v", err)
	}
	return p, nil
}

// CheckProxyRan accepts the "proxy" action's response to the event: the
// handler ran.
func CheckProxyRan() Check {
	return func(_ int, event []byte, res lambdatest.Result) error {
		p, err := parseProxy(res)
		if err != nil {
			return err
		}
		var got echoed
		if err := json.Unmarshal([]byte(p.Body), &got); err != nil || got.Count < 1 {
			return fmt.Errorf("not the handler's echo: %v", err)
		}
		if !jsonEqual(got.Event, event) {
			return errors.New("the echoed event differs from the event")
		}
		return nil
	}
}

// CheckProxyReplay accepts invocation 0 when the handler ran, and every
// later one only when it replays it: with header "", byte for byte; else
// the same body with the header set to "true" in its headers.
func CheckProxyReplay(header string) Check {
	var first []byte
	var firstBody string
	ran := CheckProxyRan()
	return func(i int, event []byte, res lambdatest.Result) error {
		if first == nil {
			if err := ran(i, event, res); err != nil {
				return err
			}
			p, _ := parseProxy(res)
			first, firstBody = bytes.Clone(res.Body), p.Body
			return nil
		}
		if header == "" {
			if res.Status != 200 || !bytes.Equal(res.Body, first) {
				return errors.New("not a replay of the first response")
			}
			return nil
		}
		p, err := parseProxy(res)
		if err != nil {
			return err
		}
		if p.Body != firstBody || p.Headers[header] != "true" {
			return fmt.Errorf("not a replay of the first response marked with %s", header)
		}
		return nil
	}
}
