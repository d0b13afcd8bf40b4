package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// emfLine is one Embedded Metric Format line of the extension's stdout.
type emfLine struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
	values map[string]any
}

// emfLines returns the EMF lines of an emulator's output, checked against
// the EMF specification: a timestamp, one directive with the namespace,
// dimension sets whose members are present, and a numeric member for every
// metric.
func emfLines(t *testing.T, logs, namespace string) []emfLine {
	t.Helper()
	var out []emfLine
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"_aws"`) {
			continue
		}
		var l emfLine
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("EMF line is not JSON: %v: %s", err, line)
		}
		if err := json.Unmarshal(line, &l.values); err != nil {
			t.Fatal(err)
		}
		if l.AWS.Timestamp < time.Now().Add(-time.Hour).UnixMilli() || len(l.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("EMF metadata: %s", line)
		}
		d := l.AWS.CloudWatchMetrics[0]
		if d.Namespace != namespace || len(d.Dimensions) == 0 || len(d.Metrics) == 0 {
			t.Fatalf("EMF directive: %s", line)
		}
		for _, set := range d.Dimensions {
			for _, dim := range set {
				if s, ok := l.values[dim].(string); !ok || s == "" {
					t.Fatalf("dimension %s has no value: %s", dim, line)
				}
			}
		}
		for _, m := range d.Metrics {
			if _, ok := l.values[m.Name].(float64); !ok || m.Unit == "" {
				t.Fatalf("metric %s (%s) has no numeric value: %s", m.Name, m.Unit, line)
			}
		}
		out = append(out, l)
	}
	return out
}

// counts returns the count metrics of a line that are not zero.
func (l emfLine) counts() map[string]float64 {
	out := map[string]float64{}
	for _, m := range l.AWS.CloudWatchMetrics[0].Metrics {
		if v := l.values[m.Name].(float64); m.Unit == "Count" && v != 0 {
			out[m.Name] = v
		}
	}
	return out
}

// TestMetricsEMF is issue 9 item 7: with IDEMPOTENCY_METRICS_NAMESPACE the
// extension writes one EMF line per invocation on its stdout. Two sandboxes
// share a table: A runs a slow first invocation (a miss), B retries it
// meanwhile (an in-progress conflict) and after (a hit).
func TestMetricsEMF(t *testing.T) {
	t.Parallel()
	const ns = "Idemproxy/E2E"
	b := startBackend(t, dynamoBackend)
	start := func(metrics bool) *lambdatest.Emulator {
		opts := withQuietProxyPort(t, flakyOptions(t))
		opts.Env = append(opts.Env, b.env(b.addr)...)
		if metrics {
			opts.Env = append(opts.Env, "IDEMPOTENCY_METRICS_NAMESPACE="+ns)
		}
		return lambdatest.StartT(t, opts)
	}
	a, bb, off := start(true), start(true), start(false)
	closeTogether(t, a, bb, off)

	dir := sharedDir(t)
	count := filepath.Join(dir, "runs")
	ev := flakyEvent{CountFile: count, PauseMs: 1500}
	ev.Data.Order = "metrics"
	type result struct {
		o   outcome
		err error
	}
	first := make(chan result, 1)
	go func() {
		res, err := a.Invoke(t.Context(), ev.JSON())
		first <- result{classify(res), err}
	}()
	if !waitRuns(count, 1, 10*time.Second) {
		t.Fatal("the first invocation never ran")
	}
	res, err := bb.Invoke(t.Context(), ev.JSON())
	if o := classify(res); err != nil || o.errorType != "IdempotencyAlreadyInProgressError" {
		t.Fatalf("retry during the first: %s (%v), want IdempotencyAlreadyInProgressError", o, err)
	}
	if r := <-first; r.err != nil || !r.o.ok() {
		t.Fatalf("first invocation: %s (%v)", r.o, r.err)
	}
	res, err = bb.Invoke(t.Context(), ev.JSON())
	if o := classify(res); err != nil || !o.ok() {
		t.Fatalf("retry after the first: %s (%v), want a replay", o, err)
	}
	if _, err := off.Invoke(t.Context(), ev.JSON()); err != nil {
		t.Fatal(err)
	}

	// The lines are written before the invocation is answered; the
	// emulator's output reaches its log buffer a moment later.
	check := func(name string, e *lambdatest.Emulator, want ...string) {
		t.Helper()
		lines := emfLines(t, e.Logs(), ns)
		for end := time.Now().Add(3 * time.Second); len(lines) < len(want) && time.Now().Before(end); {
			time.Sleep(20 * time.Millisecond)
			lines = emfLines(t, e.Logs(), ns)
		}
		var got []string
		for _, l := range lines {
			c := l.counts()
			if len(c) != 1 {
				t.Errorf("sandbox %s: a line counts %v, want one event per invocation", name, c)
			}
			for k := range c {
				got = append(got, k)
			}
			if lat := l.values["IdempotencyStoreLatency"].(float64); lat <= 0 {
				t.Errorf("sandbox %s: store latency %v ms", name, lat)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("sandbox %s: EMF lines count %v, want %v\n%s", name, got, want, e.Logs())
		}
	}
	check("A", a, "IdempotencyMisses")
	check("B", bb, "IdempotencyInProgressConflicts", "IdempotencyHits")
	check("without a namespace", off)
}
