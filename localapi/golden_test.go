package localapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/internal/testservers"
	"github.com/idemproxy/idemproxy/localapi"
	"github.com/idemproxy/idemproxy/store/memory"
)

// goldenCase is one case of testdata/function_golden.json, written by
// testdata/gen_function_golden.py from Powertools' idempotent_function.
type goldenCase struct {
	Name                      string `json:"name"`
	Function                  string `json:"function"`
	HashFunction              string `json:"hashFunction"`
	Data                      string `json:"data"`
	KeyPrefix                 string `json:"keyPrefix"`
	EventKeyJmespath          string `json:"eventKeyJmespath"`
	PayloadValidationJmespath string `json:"payloadValidationJmespath"`
	Key                       string `json:"key"`
	PayloadHash               string `json:"payloadHash"`
	Missing                   bool   `json:"missing"`
}

type goldenDoc struct {
	FunctionName string       `json:"functionName"`
	Cases        []goldenCase `json:"cases"`
}

func readGolden(t *testing.T, path string) goldenDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc goldenDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 20 {
		t.Fatalf("%s: only %d cases", path, len(doc.Cases))
	}
	return doc
}

// TestGoldenKeys claims every golden case through the HTTP API and checks
// the key and payload hash the store received against Powertools' own.
func TestGoldenKeys(t *testing.T) {
	doc := readGolden(t, filepath.Join("testdata", "function_golden.json"))
	for _, c := range doc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			st := memory.New()
			cfg := idempotency.Config{ExpiresAfter: time.Hour, Key: idempotency.KeyConfig{HashFunction: c.HashFunction}}
			core, err := idempotency.New(cfg, st)
			if err != nil {
				t.Fatal(err)
			}
			api := newAPI(t, core, doc.FunctionName, oneInFlight)
			req := map[string]any{"function": c.Function, "data": json.RawMessage(c.Data)}
			if c.KeyPrefix != "" {
				req["keyPrefix"] = c.KeyPrefix
			}
			if c.EventKeyJmespath != "" {
				req["eventKeyJmespath"] = c.EventKeyJmespath
			}
			if c.PayloadValidationJmespath != "" {
				req["payloadValidationJmespath"] = c.PayloadValidationJmespath
			}
			status, a := post(t, api, localapi.PathClaim, req)
			if c.Missing {
				if status != 200 || a.Status != localapi.StatusSkipped || st.Len() != 0 {
					t.Fatalf("no key: got %d %+v, %d records; want SKIPPED and no record", status, a, st.Len())
				}
				return
			}
			if status != 200 || a.Status != localapi.StatusClaimed {
				t.Fatalf("claim: %d %+v", status, a)
			}
			if a.IdempotencyKey != c.Key {
				t.Fatalf("key %q, Powertools %q", a.IdempotencyKey, c.Key)
			}
			rec, ok := st.Lookup(c.Key)
			if !ok || rec.PayloadHash != c.PayloadHash {
				t.Fatalf("stored record %v %+v, want payload hash %q", ok, rec, c.PayloadHash)
			}
		})
	}
}

// TestGoldenUpToDate reruns the generator with the test virtualenv's
// Powertools (when it exists) and checks the committed file matches.
func TestGoldenUpToDate(t *testing.T) {
	root, err := testservers.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s missing (run `make deps`): golden file not regenerated", python)
	}
	out := filepath.Join(t.TempDir(), "golden.json")
	cmd := exec.CommandContext(t.Context(), python, "-W", "ignore", filepath.Join("testdata", "gen_function_golden.py"), out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gen_function_golden.py: %v\n%s", err, stderr.String())
	}
	fresh, committed := readGolden(t, out), readGolden(t, filepath.Join("testdata", "function_golden.json"))
	a, _ := json.Marshal(fresh)
	b, _ := json.Marshal(committed)
	if !bytes.Equal(a, b) {
		t.Fatalf("testdata/function_golden.json is stale: rerun .venv/bin/python localapi/testdata/gen_function_golden.py")
	}
}
