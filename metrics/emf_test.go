package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
)

// emfLine is the EMF specification's shape, decoded strictly enough to
// catch a malformed line.
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
}

// checkEMF validates one line against the EMF specification and returns
// its metric values.
func checkEMF(t *testing.T, line []byte, namespace, function string) map[string]float64 {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(line, &raw); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	var l emfLine
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&l); err != nil {
		t.Fatal(err)
	}
	if l.AWS.Timestamp <= 0 || len(l.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("_aws %+v", l.AWS)
	}
	d := l.AWS.CloudWatchMetrics[0]
	if d.Namespace != namespace || len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 1 || d.Dimensions[0][0] != DimensionFunctionName {
		t.Fatalf("directive %+v", d)
	}
	if raw[DimensionFunctionName] != function {
		t.Fatalf("dimension value %v, want %q", raw[DimensionFunctionName], function)
	}
	values := map[string]float64{}
	units := map[string]string{}
	for _, m := range d.Metrics {
		v, ok := raw[m.Name].(float64)
		if !ok {
			t.Fatalf("metric %s has no numeric member: %v", m.Name, raw[m.Name])
		}
		values[m.Name] = v
		units[m.Name] = m.Unit
	}
	want := map[string]string{Hits: "Count", Misses: "Count", InProgress: "Count", ValidationFailures: "Count",
		StoreErrors: "Count", StoreLatency: "Milliseconds"}
	if len(units) != len(want) {
		t.Fatalf("metrics %v, want %v", units, want)
	}
	for n, u := range want {
		if units[n] != u {
			t.Fatalf("metric %s unit %q, want %q", n, units[n], u)
		}
	}
	return values
}

func TestEMFLines(t *testing.T) {
	var out bytes.Buffer
	at := time.UnixMilli(1795705853528)
	e, err := New(&out, "My/App \"ns\"", "fn-ü\"x", WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		obs  idempotency.Observation
		want map[string]float64
	}{
		{idempotency.Observation{RequestID: "r1", Result: idempotency.ResultMiss, StoreCalls: 2, StoreLatency: 3500 * time.Microsecond},
			map[string]float64{Misses: 1, StoreLatency: 3.5}},
		{idempotency.Observation{RequestID: "r2", Result: idempotency.ResultHit, StoreCalls: 1, StoreLatency: time.Millisecond},
			map[string]float64{Hits: 1, StoreLatency: 1}},
		{idempotency.Observation{Result: idempotency.ResultHit}, map[string]float64{Hits: 1}},
		{idempotency.Observation{Result: idempotency.ResultInProgress, StoreCalls: 1}, map[string]float64{InProgress: 1}},
		{idempotency.Observation{Result: idempotency.ResultValidationFailed}, map[string]float64{ValidationFailures: 1}},
		{idempotency.Observation{Result: idempotency.ResultStoreError, StoreCalls: 1, StoreErrors: 1}, map[string]float64{StoreErrors: 1}},
		{idempotency.Observation{Result: idempotency.ResultStoreError}, map[string]float64{StoreErrors: 1}},
		{idempotency.Observation{Result: idempotency.ResultMiss, StoreCalls: 2, StoreErrors: 1}, map[string]float64{Misses: 1, StoreErrors: 1}},
		{idempotency.Observation{Result: idempotency.ResultNoKey}, map[string]float64{}},
		{idempotency.Observation{Result: idempotency.ResultKeyError}, map[string]float64{}},
	}
	for _, c := range cases {
		e.Observe(c.obs)
	}
	lines := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != len(cases) {
		t.Fatalf("%d lines for %d observations", len(lines), len(cases))
	}
	for i, c := range cases {
		got := checkEMF(t, lines[i], "My/App \"ns\"", "fn-ü\"x")
		for _, n := range []string{Hits, Misses, InProgress, ValidationFailures, StoreErrors, StoreLatency} {
			if got[n] != c.want[n] {
				t.Errorf("line %d (%+v): %s = %v, want %v", i, c.obs, n, got[n], c.want[n])
			}
		}
		var raw map[string]any
		_ = json.Unmarshal(lines[i], &raw)
		if raw["_aws"].(map[string]any)["Timestamp"].(float64) != 1795705853528 || raw["result"] != c.obs.Result.String() {
			t.Errorf("line %d: %s", i, lines[i])
		}
		if (c.obs.RequestID != "") != (raw["requestId"] == c.obs.RequestID) {
			t.Errorf("line %d: requestId %v", i, raw["requestId"])
		}
	}
}

func TestEMFConcurrentLinesStayWhole(t *testing.T) {
	var out bytes.Buffer
	e, err := New(&out, "ns", "fn")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				e.Observe(idempotency.Observation{Result: idempotency.ResultHit, RequestID: strings.Repeat("x", 100)})
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		checkEMF(t, []byte(l), "ns", "fn")
	}
}

func TestValidateNamespace(t *testing.T) {
	for _, ns := range []string{"idemproxy", "My/App", "a", strings.Repeat("n", 255), "ünï"} {
		if err := ValidateNamespace(ns); err != nil {
			t.Errorf("%q: %v", ns, err)
		}
	}
	for _, ns := range []string{"", strings.Repeat("n", 256), "AWS/Lambda", ":x", "a\nb", "\xff"} {
		if err := ValidateNamespace(ns); !errors.Is(err, ErrInvalidNamespace) {
			t.Errorf("%q: %v, want ErrInvalidNamespace", ns, err)
		}
		if _, err := New(&bytes.Buffer{}, ns, "fn"); !errors.Is(err, ErrInvalidNamespace) {
			t.Errorf("New(%q): %v", ns, err)
		}
	}
}

func BenchmarkEMFObserve(b *testing.B) {
	e, err := New(io.Discard, "ns", "fn")
	if err != nil {
		b.Fatal(err)
	}
	o := idempotency.Observation{RequestID: "8f5e1c2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b", Result: idempotency.ResultMiss, StoreCalls: 2, StoreLatency: 3 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		e.Observe(o)
	}
}
