package idempotency

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goldenTS is testdata/golden_ts.json, written by
// testdata/gen_golden_ts.mjs with the real @aws-lambda-powertools/idempotency.
type goldenTS struct {
	Generator    string `json:"generator"`
	FunctionName string `json:"functionName"`
	Cases        []struct {
		Name                      string `json:"name"`
		Event                     string `json:"event"`
		EventKeyJMESPath          string `json:"eventKeyJmesPath"`
		PayloadValidationJMESPath string `json:"payloadValidationJmesPath"`
		ThrowOnNoIdempotencyKey   bool   `json:"throwOnNoIdempotencyKey"`
		HashFunction              string `json:"hashFunction"`
		KeyPrefix                 string `json:"keyPrefix"`
		Key                       string `json:"key"`
		PayloadHash               string `json:"payloadHash"`
		Skip                      bool   `json:"skip"`
		Error                     string `json:"error"`
	} `json:"cases"`
	Numbers [][2]string `json:"numbers"`
	Lower   [][2]string `json:"lower"`
}

func loadGoldenTS(t *testing.T) goldenTS {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden_ts.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenTS
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 40 || len(g.Numbers) < 100 || g.FunctionName == "" {
		t.Fatalf("golden_ts.json too small: %d cases, %d numbers", len(g.Cases), len(g.Numbers))
	}
	return g
}

// Keys, payload hashes and missing-key decisions match Powertools
// TypeScript's, case by case.
func TestTypeScriptKeysMatchGolden(t *testing.T) {
	g := loadGoldenTS(t)
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			prefix := strings.TrimSpace(c.KeyPrefix)
			if prefix == "" {
				prefix = g.FunctionName
			}
			k, err := NewKeyer(KeyConfig{
				EventKeyJMESPath: c.EventKeyJMESPath, PayloadValidationJMESPath: c.PayloadValidationJMESPath,
				HashFunction: c.HashFunction, KeyPrefix: prefix, Format: FormatTypeScript,
				raiseOnMissing: c.ThrowOnNoIdempotencyKey,
			})
			if err != nil {
				t.Fatal(err)
			}
			d, err := k.Derive([]byte(c.Event))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.Skip:
				if !d.MissingKey {
					t.Errorf("Powertools skips idempotency; idemproxy keys it as %s", d.Key)
				}
			case c.Error != "":
				if !d.MissingKey {
					t.Errorf("Powertools raises %s; idemproxy keys it as %s", c.Error, d.Key)
				}
			default:
				if d.MissingKey || d.Key != c.Key || d.PayloadHash != c.PayloadHash {
					t.Errorf("got key %q hash %q missing %v\nwant key %q hash %q", d.Key, d.PayloadHash, d.MissingKey, c.Key, c.PayloadHash)
				}
			}
		})
	}
}

func TestJSNumberFormatMatchesGolden(t *testing.T) {
	for _, n := range loadGoldenTS(t).Numbers {
		k, _ := NewKeyer(KeyConfig{Format: FormatTypeScript})
		st := k.states.Get().(*deriveState)
		root, err := st.parseDoc(n[0], true)
		if err != nil {
			t.Fatalf("%s: %v", n[0], err)
		}
		got, _ := appendJSStringify(nil, wrap(root))
		if string(got) != n[1] {
			t.Errorf("JSON.stringify(JSON.parse(%q)) = %s, idemproxy writes %s", n[0], n[1], got)
		}
		st.reset()
	}
}

func TestJSToLowerCaseMatchesGolden(t *testing.T) {
	for _, l := range loadGoldenTS(t).Lower {
		if got := jsToLowerCase(l[0]); got != l[1] {
			t.Errorf("%q.toLowerCase() = %q, idemproxy: %q", l[0], l[1], got)
		}
	}
}

// The committed vectors are what the package installed in bench/peers
// computes now: regenerated and compared when node and the package are
// there (make bench-deps installs them).
func TestGoldenTSIsCurrent(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	modules := os.Getenv("POWERTOOLS_TS_NODE_MODULES")
	if modules == "" {
		modules = filepath.Join("..", "bench", "peers", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(modules, "@aws-lambda-powertools", "idempotency", "package.json")); err != nil {
		t.Skipf("@aws-lambda-powertools/idempotency not installed in %s", modules)
	}
	cmd := exec.CommandContext(t.Context(), node, "testdata/gen_golden_ts.mjs", "--stdout")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.Bytes())
	}
	want, err := os.ReadFile("testdata/golden_ts.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Fatal("testdata/golden_ts.json differs from what gen_golden_ts.mjs computes now: rerun it and review the diff")
	}
}

func TestKeyFormatValidated(t *testing.T) {
	if _, err := NewKeyer(KeyConfig{Format: "powertools-java"}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("unknown format: %v, want ErrInvalidConfig", err)
	}
	for _, f := range append(KeyFormats(), "") {
		if _, err := NewKeyer(KeyConfig{Format: f}); err != nil {
			t.Errorf("%q: %v", f, err)
		}
	}
}
