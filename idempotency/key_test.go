package idempotency

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
)

// goldenCase is one case of testdata/golden.json, written by
// testdata/gen_golden.py from the real Powertools.
type goldenCase struct {
	Name        string `json:"name"`
	KeyJMESPath string `json:"key_jmespath"`
	Validation  string `json:"validation_jmespath"`
	Hash        string `json:"hash_function"`
	Event       string `json:"event"`
	EventB64    string `json:"event_b64"`
	EventRef    string `json:"event_ref"`
	Prefix      string `json:"prefix"`
	Error       string `json:"error"`
	Detail      string `json:"detail"`
	Key         string `json:"key"`
	PayloadHash string `json:"payload_hash"`
	Missing     bool   `json:"missing"`
}

func (c goldenCase) event(t testing.TB) []byte {
	if c.EventB64 == "" {
		// encoding/json turns lone surrogate escapes into U+FFFD; the
		// generator only writes "event" for valid UTF-8, which has none.
		return []byte(c.Event)
	}
	b, err := base64.StdEncoding.DecodeString(c.EventB64)
	if err != nil {
		t.Fatalf("%s: bad event_b64: %v", c.Name, err)
	}
	return b
}

func (c goldenCase) config() KeyConfig {
	return KeyConfig{
		EventKeyJMESPath:          c.KeyJMESPath,
		PayloadValidationJMESPath: c.Validation,
		HashFunction:              c.Hash,
		KeyPrefix:                 c.Prefix,
	}
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Events map[string]string `json:"events"`
		Cases  []goldenCase      `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for i, c := range doc.Cases {
		if c.EventRef != "" {
			ev, ok := doc.Events[c.EventRef]
			if !ok {
				t.Fatalf("%s: unknown event_ref %q", c.Name, c.EventRef)
			}
			doc.Cases[i].Event = ev
		}
	}
	if len(doc.Cases) < 150 {
		t.Fatalf("golden file has only %d cases", len(doc.Cases))
	}
	return doc.Cases
}

// TestGolden compares every golden case with what Powertools computed.
func TestGolden(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(c.Name, func(t *testing.T) { checkGolden(t, c) })
	}
}

// knownDivergences are golden cases where this package deliberately
// differs from Powertools: it returns an error instead of a key.
var knownDivergences = map[string]string{
	// json.loads accepts NaN/Infinity; fastjson validation does not, and
	// Lambda itself rejects them in events.
	"divergence/nan-in-body": "NaN/Infinity literals are rejected",
}

func checkGolden(t *testing.T, c goldenCase) {
	if reason, ok := knownDivergences[c.Name]; ok {
		c.Error, c.Detail = "eval", reason
	}
	if c.Error == "nondeterministic" {
		c.Error = "eval" // Python hashes a memory address; Go refuses
	}
	k, err := NewKeyer(c.config())
	switch {
	case c.Error == "config" && err == nil:
		t.Fatalf("NewKeyer(%+v) succeeded, Powertools rejected the configuration (%s)", c.config(), c.Detail)
	case c.Error == "config":
		if !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("NewKeyer error %v does not wrap ErrInvalidConfig", err)
		}
		return
	case err != nil && c.Error == "eval":
		// Unknown functions and wrong arity fail at every invocation in
		// Python; they are rejected up front here.
		if !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("NewKeyer error %v does not wrap ErrInvalidConfig", err)
		}
		return
	case err != nil:
		t.Fatalf("NewKeyer(%+v): %v", c.config(), err)
	}
	d, err := k.Derive(c.event(t))
	if c.Error != "" {
		if err == nil {
			t.Fatalf("Derive succeeded with %+v; Powertools failed (%s %s)", d, c.Error, c.Detail)
		}
		if !errors.Is(err, ErrInvalidEvent) {
			t.Fatalf("Derive error %v does not wrap ErrInvalidEvent", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	want := Derived{Key: c.Key, PayloadHash: c.PayloadHash, MissingKey: c.Missing}
	if d != want {
		t.Fatalf("Derive(%q)\n got %+v\nwant %+v", truncateText(string(c.event(t)), 300), d, want)
	}
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// TestGoldenConcurrent derives every golden case from many goroutines at
// once through shared Keyers; run with -race.
func TestGoldenConcurrent(t *testing.T) {
	cases := loadGolden(t)
	type job struct {
		k    *Keyer
		c    goldenCase
		want Derived
	}
	var jobs []job
	for _, c := range cases {
		if _, diverges := knownDivergences[c.Name]; diverges || c.Error != "" {
			continue
		}
		k, err := NewKeyer(c.config())
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{k, c, Derived{Key: c.Key, PayloadHash: c.PayloadHash, MissingKey: c.Missing}})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				j := jobs[(i+w*37)%len(jobs)]
				d, err := j.k.Derive(j.c.event(t))
				if err != nil || d != j.want {
					select {
					case errs <- j.c.Name:
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if names := collectNames(errs); len(names) > 0 {
		t.Fatalf("concurrent Derive diverged for %s", strings.Join(names, ", "))
	}
}

func collectNames(ch <-chan string) []string {
	var out []string
	for s := range ch {
		out = append(out, s)
	}
	return out
}
