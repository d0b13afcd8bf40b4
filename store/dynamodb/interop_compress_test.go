package dynamodb

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPowertoolsOnACompressedRecord shows what the real Powertools (Python)
// does with a record idemproxy stored compressed (idemproxy_encoding gzip,
// data a binary attribute): it fails the call with an error, and neither
// runs its function nor returns the compressed bytes as a response.
func TestPowertoolsOnACompressedRecord(t *testing.T) {
	t.Parallel()
	endpoint := dynalite.endpoint(t)
	opts := DefaultOptions("", "interop-fn")
	opts.CompressAboveBytes = 16
	opts = dynalite.newTable(t, opts)
	s := newStore(t, endpoint, opts, nil)
	req := interopRequest{Mode: "key", Table: opts.Table, KeyAttr: opts.KeyAttr, KeyPrefix: "orders",
		EventKeyJMESPath: "order_id", PayloadValidationJMESPath: "amount",
		Event: json.RawMessage(`{"order_id": "o-` + rand.Text() + `", "amount": 1}`)}
	keyReply := powertools(t, endpoint, req)

	now := time.Now()
	rec := withKey(claimRecord("idemproxy-owner", now), keyReply.Key)
	rec.PayloadHash = keyReply.PayloadHash
	if _, err := s.Claim(t.Context(), rec, now); err != nil {
		t.Fatal(err)
	}
	done := completedRecord(rec, `{"items": "`+strings.Repeat("compressible ", 100)+`"}`)
	if err := s.Complete(t.Context(), done); err != nil {
		t.Fatal(err)
	}
	if it := opts.encode(done, opts.compressor()); it[EncodingAttr] == nil {
		t.Fatal("the record is not stored compressed")
	}

	req.Mode, req.Counter = "run", filepath.Join(t.TempDir(), "runs")
	req.Result = json.RawMessage(`{"ran": true}`)
	reply, stderr, err := runPowertools(t, endpoint, req)
	if err == nil {
		t.Fatalf("Powertools read the compressed record without an error: returned %s after %d runs", reply.Returned, reply.Runs)
	}
	if ran, _ := os.ReadFile(req.Counter); len(ran) != 0 {
		t.Errorf("Powertools ran its function")
	}
	if !bytes.Contains(stderr, []byte("TypeError")) {
		t.Errorf("Powertools failed otherwise than documented (TypeError on the binary data): %s", lastLine(stderr))
	}
	t.Logf("Powertools fails as documented: %s", lastLine(stderr))
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}
