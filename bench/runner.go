package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// ErrCheck means a measured invocation returned the wrong result: the
// numbers of a run with a failed check are worthless.
var ErrCheck = errors.New("bench: wrong result")

// Arm is one side of an alternating comparison. Run performs invocation i
// (0, 1, 2 ... across warm-up and measured rounds) and returns its duration.
type Arm struct {
	Name string
	Run  func(ctx context.Context, i int) (time.Duration, error)
}

// Alternate runs warmup unmeasured rounds, then rounds measured ones; each
// round runs every arm once, in a new random order (a fixed seed, so runs
// are repeatable), so that drifts of the machine and the after-effects of
// one arm on the next (caches, sleeping processes) hit every arm alike. It
// returns the measured durations by arm name.
func Alternate(ctx context.Context, warmup, rounds int, arms ...Arm) (map[string][]time.Duration, error) {
	out := make(map[string][]time.Duration, len(arms))
	rng := rand.New(rand.NewPCG(7, 7))
	order := make([]int, len(arms))
	for i := range order {
		order[i] = i
	}
	for r := range warmup + rounds {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			a := arms[k]
			d, err := a.Run(ctx, r)
			if err != nil {
				return nil, fmt.Errorf("%s, invocation %d: %w", a.Name, r, err)
			}
			if r >= warmup {
				out[a.Name] = append(out[a.Name], d)
			}
		}
	}
	return out, nil
}

// Check validates one invocation's result.
type Check func(i int, event []byte, res lambdatest.Result) error

// InvokeArm invokes e with event(i) and checks the result.
func InvokeArm(name string, e *lambdatest.Emulator, event func(i int) []byte, check Check) Arm {
	return Arm{Name: name, Run: func(ctx context.Context, i int) (time.Duration, error) {
		ev := event(i)
		res, err := e.Invoke(ctx, ev)
		if err != nil {
			return 0, err
		}
		if err := check(i, ev, res); err != nil {
			return 0, fmt.Errorf("%w: %w (status %d, body %.300q)", ErrCheck, err, res.Status, res.Body)
		}
		return res.Duration, nil
	}}
}

// echoed is the Go test handler's answer to an echo.
type echoed struct {
	Count int64           `json:"count"`
	Event json.RawMessage `json:"event"`
}

// CheckRan accepts the handler's echo of the event: the handler ran.
func CheckRan() Check {
	return func(_ int, event []byte, res lambdatest.Result) error {
		if res.Status != 200 {
			return errors.New("status is not 200")
		}
		var got echoed
		if err := json.Unmarshal(res.Body, &got); err != nil || got.Count < 1 {
			return fmt.Errorf("not the handler's echo: %v", err)
		}
		if !jsonEqual(got.Event, event) {
			return errors.New("the echoed event differs from the event")
		}
		return nil
	}
}

// CheckReplay accepts invocation 0 when the handler ran, and every later
// one only when its body is byte-for-byte the body of invocation 0: the
// handler did not run again (its count would have changed).
func CheckReplay() Check { return ReplayOf(CheckRan()) }

// ReplayOf accepts the first invocation if ran does, and every later one
// only when its body is byte-for-byte the first one's.
func ReplayOf(ran Check) Check {
	var first []byte
	return func(i int, event []byte, res lambdatest.Result) error {
		if first == nil {
			if err := ran(i, event, res); err != nil {
				return err
			}
			first = bytes.Clone(res.Body)
			return nil
		}
		if res.Status != 200 || !bytes.Equal(res.Body, first) {
			return errors.New("not a replay of the first response")
		}
		return nil
	}
}

// CheckHandlerError accepts the test handler's error (errorType TestError).
func CheckHandlerError() Check {
	return func(_ int, _ []byte, res lambdatest.Result) error {
		var got struct {
			ErrorType string `json:"errorType"`
		}
		if err := json.Unmarshal(res.Body, &got); err != nil || got.ErrorType != "TestError" {
			return fmt.Errorf("not the handler's error: %v", err)
		}
		return nil
	}
}

// CheckSize accepts a response of the "big" action with at least size bytes.
func CheckSize(size int) Check {
	return func(_ int, _ []byte, res lambdatest.Result) error {
		if res.Status != 200 || len(res.Body) < size {
			return fmt.Errorf("response of %d bytes, want at least %d", len(res.Body), size)
		}
		return nil
	}
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
