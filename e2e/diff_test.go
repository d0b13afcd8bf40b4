package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// TestDiff checks the comparison every pass-through test relies on.
func TestDiff(t *testing.T) {
	res := func(status int, ct, body string) lambdatest.Result {
		return lambdatest.Result{Status: status, Header: http.Header{"Content-Type": {ct}}, Body: []byte(body)}
	}
	a := res(200, "text/plain", `{"count":1}`)
	if d := diff(a, res(200, "text/plain", `{"count":1}`)); d != "" {
		t.Errorf("equal results differ: %s", d)
	}
	for name, tc := range map[string]struct {
		other lambdatest.Result
		want  string
	}{
		"status":       {res(502, "text/plain", `{"count":1}`), "status: without 200, with 502"},
		"content type": {res(200, "application/json", `{"count":1}`), `Content-Type: without "text/plain", with "application/json"`},
		"body":         {res(200, "text/plain", `{"count":2}`), "first difference at byte 9"},
		"truncated":    {res(200, "text/plain", `{"count":1`), "with 10 bytes"},
	} {
		if d := diff(a, tc.other); !strings.Contains(d, tc.want) {
			t.Errorf("%s: diff = %q, want it to mention %q", name, d, tc.want)
		}
	}
}
