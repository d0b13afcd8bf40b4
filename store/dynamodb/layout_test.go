package dynamodb

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/idemproxy/idemproxy/store"
)

// TestItemLayout scans the table after a claim and after a complete and
// checks every attribute's name, type and value: Powertools' layout with
// idemproxy's attributes added.
func TestItemLayout(t *testing.T) {
	t.Parallel()
	// now and the times derived from it are fixed, so the expected numbers
	// are literals: 1700003600 s and 1700000090623 ms.
	now := time.Unix(1_700_000_000, 123_456_789)
	claim := store.Record{
		Key:              "payments#6716cbebb768bc00d2a6a7ac320148eb",
		Status:           store.StatusInProgress,
		Expiry:           now.Add(time.Hour),
		InProgressExpiry: now.Add(90*time.Second + 500*time.Millisecond),
		PayloadHash:      "b8967642f95965b39f63f4bf20032dfc",
		Owner:            "req-1",
	}
	bare := claim
	bare.InProgressExpiry, bare.PayloadHash = time.Time{}, ""

	for _, tc := range []struct {
		name         string
		opts         Options
		claim        store.Record
		response     []byte
		contentType  string
		wantClaim    map[string]string
		wantComplete map[string]string // changes from wantClaim; "" removes
	}{
		{
			name: "defaults, JSON response", opts: DefaultOptions("", "fn"), claim: claim,
			response: []byte(`{"msg":"héllo"}`), contentType: "application/json",
			wantClaim: map[string]string{
				"id":                     "S " + claim.Key,
				"expiration":             "N 1700003600",
				"in_progress_expiration": "N 1700000090623",
				"status":                 "S INPROGRESS",
				"validation":             "S " + claim.PayloadHash,
				"idemproxy_owner":        "S req-1",
			},
			wantComplete: map[string]string{
				"status":                 "S COMPLETED",
				"data":                   `S {"msg":"héllo"}`,
				"idemproxy_content_type": "S application/json",
			},
		},
		{
			name: "renamed with sort key, binary response", opts: renamedOptions(), claim: bare,
			response: []byte{0xff, 0x00, 'a'},
			wantClaim: map[string]string{
				"PK":              "S IDEMPOTENCY#renamed-fn",
				"SK":              "S " + claim.Key,
				"ttl_s":           "N 1700003600",
				"state":           "S INPROGRESS",
				"idemproxy_owner": "S req-1",
			},
			wantComplete: map[string]string{
				"state":              "S COMPLETED",
				"result":             "S /wBh",
				"idemproxy_encoding": "S base64",
			},
		},
		{
			name: "empty response", opts: DefaultOptions("", "fn"), claim: claim,
			wantClaim: map[string]string{
				"id":                     "S " + claim.Key,
				"expiration":             "N 1700003600",
				"in_progress_expiration": "N 1700000090623",
				"status":                 "S INPROGRESS",
				"validation":             "S " + claim.PayloadHash,
				"idemproxy_owner":        "S req-1",
			},
			wantComplete: map[string]string{"status": "S COMPLETED"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := dynalite.newTable(t, tc.opts)
			client := sdkClient(t, dynalite.endpoint(t), nil)
			s, err := New(client, opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Claim(t.Context(), tc.claim, now); err != nil {
				t.Fatalf("Claim: %v", err)
			}
			checkLayout(t, "after Claim", scanOne(t, client, opts.Table), tc.wantClaim)

			done := tc.claim
			done.Status, done.Response, done.ContentType = store.StatusCompleted, tc.response, tc.contentType
			if err := s.Complete(t.Context(), done); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			want := maps.Clone(tc.wantClaim)
			maps.Copy(want, tc.wantComplete)
			checkLayout(t, "after Complete", scanOne(t, client, opts.Table), want)
		})
	}
}

// scanOne returns the only item of table.
func scanOne(t *testing.T, client *ddb.Client, table string) item {
	t.Helper()
	out, err := client.Scan(t.Context(), &ddb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("Scan found %d items, want 1: %v", len(out.Items), out.Items)
	}
	return out.Items[0]
}

// checkLayout compares it with want, attribute name → "TYPE value".
func checkLayout(t *testing.T, when string, it item, want map[string]string) {
	t.Helper()
	got := make(map[string]string, len(it))
	for name, v := range it {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			got[name] = "S " + v.Value
		case *types.AttributeValueMemberN:
			got[name] = "N " + v.Value
		default:
			got[name] = fmt.Sprintf("%T", v)
		}
	}
	names := maps.Clone(got)
	maps.Copy(names, want)
	var diffs []string
	for _, name := range slices.Sorted(maps.Keys(names)) {
		if got[name] != want[name] {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, want %q", name, got[name], want[name]))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("item %s differs:\n\t%s", when, strings.Join(diffs, "\n\t"))
	}
}
