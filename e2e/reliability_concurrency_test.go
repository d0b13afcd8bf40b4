package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// concurrencyScale sizes scenario 1.
type concurrencyScale struct {
	sandboxes     int // classic emulators (one invocation at a time each)
	lmiConcurrent int // AWS_LAMBDA_MAX_CONCURRENCY of the Managed Instances sandbox
	hotDuplicates int // duplicates of the one hot key
	keys, perKey  int // more keys, with duplicates each
	sleepMs       int // handler time of the per-key events
}

func concurrencySize() concurrencyScale {
	if soak() {
		return concurrencyScale{sandboxes: 6, lmiConcurrent: 8, hotDuplicates: 1000, keys: 50, perKey: 20, sleepMs: 50}
	}
	return concurrencyScale{sandboxes: 4, lmiConcurrent: 8, hotDuplicates: 100, keys: 20, perKey: 10, sleepMs: 50}
}

// sandbox is one execution environment and how many invocations it takes
// at once.
type sandbox struct {
	name  string
	emu   *lambdatest.Emulator
	slots chan struct{}
	lmi   bool // Managed Instances mode
}

// invoke runs one invocation on s. The emulator's Managed Instances mode
// rejects an invocation with 400 Runtime.Unavailable when none of the
// runtime's loops is waiting for an event at that instant (it does so
// without the extension too: about 2% of invocations at half the maximum
// concurrency, with and without it): the function never saw it, so it is
// sent again, as a Lambda client retries a throttled call.
func (s sandbox) invoke(t *testing.T, payload []byte, id string) (lambdatest.Result, error) {
	s.slots <- struct{}{}
	defer func() { <-s.slots }()
	for attempt := 0; ; attempt++ {
		res, err := s.emu.Invoke(t.Context(), payload, lambdatest.WithRequestID(id))
		if err != nil || res.Status != 400 || !bytes.Contains(res.Body, []byte("Runtime.Unavailable")) || attempt == 20 {
			return res, err
		}
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
}

// startSandboxes starts n classic sandboxes and, if lmi > 0, one Managed
// Instances sandbox taking lmi/2 invocations at once, all running the Go
// handler with the extension and env. Each is warmed up with an event
// without a key, so that its extension is listening before the test starts.
func startSandboxes(t *testing.T, n, lmi int, env ...string) []sandbox {
	t.Helper()
	var out []sandbox
	for i := range n {
		opts := withQuietProxyPort(t, options(t, goRuntime))
		opts.FunctionTimeout = 10
		out = append(out, sandbox{name: fmt.Sprintf("classic-%d", i), emu: startIdempotent(t, opts, env...), slots: make(chan struct{}, 1)})
	}
	if lmi > 0 {
		opts := withQuietProxyPort(t, options(t, goRuntime))
		opts.FunctionTimeout, opts.MaxConcurrency = 10, lmi
		out = append(out, sandbox{name: "managed-instances", emu: startIdempotent(t, opts, env...),
			slots: make(chan struct{}, max(lmi/2, 1)), lmi: true})
	}
	emus := make([]*lambdatest.Emulator, len(out))
	for i, box := range out {
		emus[i] = box.emu
	}
	closeTogether(t, emus...)
	for _, box := range out {
		res, err := box.invoke(t, lambdatest.Event{Action: lambdatest.ActionEcho}.JSON(), "warm-up-"+box.name)
		if err != nil || res.Status != 200 {
			t.Fatalf("warm-up of %s: %v %d %s", box.name, err, res.Status, res.Body)
		}
	}
	return out
}

// TestReliabilityConcurrentSandboxes is scenario 1: several sandboxes (each
// its own emulator, extension and handler, plus one in Managed Instances
// mode running invocations concurrently) share one store and receive many
// duplicates of one key, and of more keys, all at once. Each key's handler
// runs exactly once (count file), all successful replies of a key are the
// same bytes, and every other reply is IdempotencyAlreadyInProgressError.
func TestReliabilityConcurrentSandboxes(t *testing.T) {
	t.Parallel()
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testConcurrentSandboxes(t, kind, concurrencySize())
		})
	}
}

// job is one invocation of scenario 1.
type job struct {
	key     string
	payload []byte
	id      string
}

func testConcurrentSandboxes(t *testing.T, kind string, sc concurrencyScale) {
	b := startBackend(t, kind)
	dir := sharedDir(t)
	boxes := startSandboxes(t, sc.sandboxes, sc.lmiConcurrent, b.env(b.addr)...)

	counts := map[string]string{}
	var jobs []job
	add := func(key, action string, n, ms int) {
		counts[key] = countFile(t, dir, key)
		payload := keyedEvent(action, key, counts[key], ms)
		for i := range n {
			jobs = append(jobs, job{key: key, payload: payload, id: fmt.Sprintf("%s-%d", key, i)})
		}
	}
	// The hot key's handler reports its request ID and PID, so the one
	// recorded response can be matched with the one execution.
	add("hot", lambdatest.ActionInfo, sc.hotDuplicates, 0)
	for k := range sc.keys {
		add(fmt.Sprintf("k%02d", k), lambdatest.ActionSleep, sc.perKey, sc.sleepMs)
	}
	// The hot key's duplicates go first, so that every sandbox claims it at
	// the same moment; the other keys' duplicates are shuffled.
	rest := jobs[sc.hotDuplicates:]
	rng := rand.New(rand.NewPCG(1, uint64(len(jobs))))
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })

	h := newHistory()
	var wg sync.WaitGroup
	start := time.Now()
	for i, j := range jobs {
		box := boxes[i%len(boxes)]
		wg.Go(func() {
			res, err := box.invoke(t, j.payload, j.id)
			h.add(j.key, box.name+" "+j.id, box.lmi, res, err)
		})
		if i < sc.hotDuplicates {
			time.Sleep(100 * time.Microsecond) // queue the hot key first
		}
	}
	wg.Wait()
	t.Logf("%s: %d invocations over %d sandboxes in %s", kind, len(jobs), len(boxes), time.Since(start).Round(time.Millisecond))
	for _, err := range h.errs {
		t.Error(err)
	}

	totalRuns := 0
	for key, outs := range h.outs {
		body := checkOnce(t, key, outs, counts[key])
		totalRuns += len(runs(t, counts[key]))
		if key == "hot" && body != nil {
			var info response
			if err := json.Unmarshal(body, &info); err != nil {
				t.Fatalf("hot key: %v", err)
			}
			if r := runs(t, counts[key]); len(r) == 1 && !strings.HasPrefix(r[0], info.RequestID+"/") {
				t.Errorf("hot key: the recorded response comes from %s, the execution was %s", info.RequestID, r[0])
			}
		}
		// Afterwards every sandbox replays the same bytes.
		if body == nil {
			continue
		}
		for _, box := range boxes {
			payload := jobs[0].payload
			for _, j := range jobs {
				if j.key == key {
					payload = j.payload
					break
				}
			}
			res, err := box.invoke(t, payload, key+"-after-"+box.name)
			if err != nil {
				t.Fatal(err)
			}
			if o := classify(res); !o.ok() || string(o.body) != string(body) {
				t.Errorf("key %s: sandbox %s replays %s, want %s", key, box.name, o, body)
			}
		}
	}
	if want := 1 + sc.keys; totalRuns != want {
		t.Errorf("%d executions in all, want %d (one per key)", totalRuns, want)
	}
	fmt.Printf("scenario 1 (%s): %d invocations, %d keys, %d sandboxes: %d executions (want %d)\n",
		kind, len(jobs), 1+sc.keys, len(boxes), totalRuns, 1+sc.keys)
}
