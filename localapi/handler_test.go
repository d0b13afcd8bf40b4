package localapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/localapi"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T, st store.Store, inFlight func() []localapi.Invocation, opts ...idempotency.Option) (*localapi.Handler, *clock) {
	t.Helper()
	clk := &clock{t: time.Now()}
	opts = append([]idempotency.Option{idempotency.WithClock(clk.now)}, opts...)
	core, err := idempotency.New(idempotency.Config{ExpiresAfter: time.Hour, Key: idempotency.KeyConfig{HashFunction: "md5"}}, st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if inFlight == nil {
		inFlight = oneInFlight
	}
	return newAPI(t, core, "fn", inFlight), clk
}

func claimBody(order string, amount int) map[string]any {
	return map[string]any{
		"function": "app.charge", "data": map[string]any{"order": order, "amount": amount},
		"eventKeyJmespath": "order", "payloadValidationJmespath": "amount",
	}
}

func TestClaimCompleteReplay(t *testing.T) {
	st := memory.New()
	api, _ := setup(t, st, nil)
	status, first := post(t, api, localapi.PathClaim, claimBody("A", 10))
	if status != 200 || first.Status != localapi.StatusClaimed || first.Token == "" ||
		!strings.HasPrefix(first.IdempotencyKey, "fn.app.charge#") {
		t.Fatalf("claim: %d %+v", status, first)
	}
	// A second claim while the first runs: in progress.
	status, dup := post(t, api, localapi.PathClaim, claimBody("A", 10))
	if status != http.StatusConflict || dup.Status != localapi.StatusInProgress ||
		dup.ErrorType != idempotency.ErrorTypeAlreadyInProgress || dup.IdempotencyKey != first.IdempotencyKey {
		t.Fatalf("duplicate claim: %d %+v", status, dup)
	}
	result := `{"charged": 10, "note": "ünï ✓", "list": [1, 2.0, null]}`
	status, done := post(t, api, localapi.PathComplete, `{"token": "`+first.Token+`", "result": `+result+`}`)
	if status != 200 || done.Status != localapi.StatusCompleted || done.IdempotencyKey != first.IdempotencyKey {
		t.Fatalf("complete: %d %+v", status, done)
	}
	rec, _ := st.Lookup(first.IdempotencyKey)
	if rec.Status != store.StatusCompleted || string(rec.Response) != result || rec.ContentType != "application/json" {
		t.Fatalf("stored %+v", rec)
	}
	// Later claims replay the result, byte for byte.
	status, again := post(t, api, localapi.PathClaim, claimBody("A", 10))
	var compact bytes.Buffer
	_ = json.Compact(&compact, []byte(result))
	if status != 200 || again.Status != localapi.StatusCompleted || string(again.Result) != compact.String() || again.Token != "" {
		t.Fatalf("replay: %d %+v", status, again)
	}
	// The token is spent: completing or releasing again is refused.
	for _, path := range []string{localapi.PathComplete, localapi.PathRelease} {
		body := map[string]any{"token": first.Token}
		if path == localapi.PathComplete {
			body["result"] = 1
		}
		status, r := post(t, api, path, body)
		if status != http.StatusConflict || r.Status != localapi.StatusNotOwner || r.ErrorType != localapi.ErrorTypeNotOwner {
			t.Fatalf("%s after completion: %d %+v", path, status, r)
		}
	}
	if rec2, _ := st.Lookup(first.IdempotencyKey); string(rec2.Response) != result {
		t.Fatalf("record changed: %+v", rec2)
	}
	// Another payload under the same key: validation mismatch.
	status, bad := post(t, api, localapi.PathClaim, claimBody("A", 11))
	if status != http.StatusUnprocessableEntity || bad.Status != localapi.StatusValidationFailed ||
		bad.ErrorType != idempotency.ErrorTypeValidation {
		t.Fatalf("validation: %d %+v", status, bad)
	}
}

func TestRelease(t *testing.T) {
	st := memory.New()
	api, _ := setup(t, st, nil)
	_, first := post(t, api, localapi.PathClaim, claimBody("B", 1))
	status, r := post(t, api, localapi.PathRelease, map[string]any{"token": first.Token})
	if status != 200 || r.Status != localapi.StatusReleased || r.IdempotencyKey != first.IdempotencyKey {
		t.Fatalf("release: %d %+v", status, r)
	}
	if _, ok := st.Lookup(first.IdempotencyKey); ok {
		t.Fatal("record still stored after release")
	}
	status, second := post(t, api, localapi.PathClaim, claimBody("B", 1))
	if status != 200 || second.Status != localapi.StatusClaimed || second.Token == first.Token {
		t.Fatalf("claim after release: %d %+v", status, second)
	}
	// The released claim's token cannot touch the new claim.
	status, r = post(t, api, localapi.PathComplete, map[string]any{"token": first.Token, "result": "stale"})
	if status != http.StatusConflict || r.Status != localapi.StatusNotOwner {
		t.Fatalf("stale complete: %d %+v", status, r)
	}
	if rec, _ := st.Lookup(second.IdempotencyKey); rec.Status != store.StatusInProgress {
		t.Fatalf("new claim overwritten: %+v", rec)
	}
}

func TestDeadlineAndExpiry(t *testing.T) {
	st := memory.New()
	deadline := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	api, clk := setup(t, st, func() []localapi.Invocation {
		return []localapi.Invocation{{RequestID: "r", Deadline: deadline}}
	})
	body := claimBody("C", 1)
	body["expiresAfterSeconds"] = 60
	_, first := post(t, api, localapi.PathClaim, body)
	rec, _ := st.Lookup(first.IdempotencyKey)
	if !rec.InProgressExpiry.Equal(deadline) || store.EpochSeconds(rec.Expiry) != store.EpochSeconds(clk.t.Add(time.Minute)) ||
		!strings.HasPrefix(rec.Owner, "r/") {
		t.Fatalf("claimed record %+v: want in-progress expiry %v, expiry now+60s, owner of request r", rec, deadline)
	}
	// Past the invocation's deadline the claim lapses: another caller wins.
	clk.t = deadline.Add(time.Millisecond)
	status, second := post(t, api, localapi.PathClaim, body)
	if status != 200 || second.Status != localapi.StatusClaimed {
		t.Fatalf("claim after deadline: %d %+v", status, second)
	}
	status, r := post(t, api, localapi.PathComplete, map[string]any{"token": second.Token, "result": true})
	if status != 200 || r.Status != localapi.StatusCompleted {
		t.Fatalf("complete: %d %+v", status, r)
	}
	rec, _ = st.Lookup(first.IdempotencyKey)
	if store.EpochSeconds(rec.Expiry) != store.EpochSeconds(clk.t.Add(time.Minute)) {
		t.Fatalf("completed record expiry %v, want now+60s", rec.Expiry)
	}
	// The first caller's late completion is fenced off.
	status, r = post(t, api, localapi.PathComplete, map[string]any{"token": first.Token, "result": false})
	if status != http.StatusConflict || r.Status != localapi.StatusNotOwner {
		t.Fatalf("late complete: %d %+v", status, r)
	}
}

func TestRequestID(t *testing.T) {
	d1, d2 := time.Now().Add(time.Minute).Truncate(time.Millisecond), time.Now().Add(2*time.Minute).Truncate(time.Millisecond)
	var inFlight []localapi.Invocation
	st := memory.New()
	api, _ := setup(t, st, func() []localapi.Invocation { return inFlight })
	expectBad := func(body map[string]any, want string) {
		t.Helper()
		status, r := post(t, api, localapi.PathClaim, body)
		if status != http.StatusBadRequest || r.Field != "requestId" || !strings.Contains(r.ErrorMessage, want) {
			t.Fatalf("got %d %+v, want 400 on requestId (%q)", status, r, want)
		}
	}
	expectBad(claimBody("D", 1), "no invocation in flight")
	inFlight = []localapi.Invocation{{RequestID: "a", Deadline: d1}, {RequestID: "b", Deadline: d2}}
	expectBad(claimBody("D", 1), "2 invocations are in flight")
	body := claimBody("D", 1)
	body["requestId"] = "zzz"
	expectBad(body, "not an invocation in flight")
	body["requestId"] = "b"
	status, r := post(t, api, localapi.PathClaim, body)
	rec, _ := st.Lookup(r.IdempotencyKey)
	if status != 200 || !rec.InProgressExpiry.Equal(d2) || !strings.HasPrefix(rec.Owner, "b/") {
		t.Fatalf("claim under b: %d %+v, record %+v", status, r, rec)
	}
}

func TestBadRequests(t *testing.T) {
	api, _ := setup(t, memory.New(), nil)
	cases := []struct {
		path, body, field string
		status            int
	}{
		{localapi.PathClaim, `not json`, "body", 400},
		{localapi.PathClaim, `{"function":"f","data":1} {}`, "body", 400},
		{localapi.PathClaim, `[]`, "body", 400},
		{localapi.PathClaim, `{"function":"f","data":1,"jmespath":"a"}`, "jmespath", 400},
		{localapi.PathClaim, `{"function":"f"}`, "data", 400},
		{localapi.PathClaim, `{"data":{"a":1}}`, "function", 400},
		{localapi.PathClaim, `{"function":" ","data":{"a":1}}`, "function", 400},
		{localapi.PathClaim, `{"function":5,"data":{"a":1}}`, "function", 400},
		{localapi.PathClaim, `{"keyPrefix":"","data":{"a":1}}`, "keyPrefix", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":1},"expiresAfterSeconds":0}`, "expiresAfterSeconds", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":1},"expiresAfterSeconds":1.5}`, "expiresAfterSeconds", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":1},"expiresAfterSeconds":"9"}`, "expiresAfterSeconds", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":1},"raiseOnNoIdempotencyKey":"yes"}`, "raiseOnNoIdempotencyKey", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":1},"eventKeyJmespath":"a["}`, "eventKeyJmespath", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":1},"payloadValidationJmespath":"nope(a)"}`, "payloadValidationJmespath", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":"x"},"eventKeyJmespath":"powertools_json(a)"}`, "eventKeyJmespath", 400},
		{localapi.PathClaim, `{"function":"f","data":{"a":1},"eventKeyJmespath":"b","raiseOnNoIdempotencyKey":true}`, "data", 400},
		{localapi.PathComplete, `{"result":1}`, "token", 400},
		{localapi.PathComplete, `{"token":"v1.!!!","result":1}`, "token", 400},
		{localapi.PathComplete, `{"token":"abc","result":1}`, "token", 400},
		{localapi.PathComplete, `{"token":"v1.e30","result":1}`, "token", 400},
		{localapi.PathComplete, `{"token":"v1.e30"}`, "result", 400},
		{localapi.PathRelease, `{"token":"v1.e30","result":1}`, "result", 400},
		{localapi.PathRelease, `{}`, "token", 400},
		{localapi.Prefix + "nope", `{}`, "path", 404},
	}
	for _, c := range cases {
		status, r := post(t, api, c.path, c.body)
		if status != c.status || r.Field != c.field || r.ErrorMessage == "" || r.ErrorType == "" {
			t.Errorf("%s %s: got %d %+v, want %d naming %q", c.path, c.body, status, r, c.status, c.field)
		}
	}
	status, r := do(t, api, http.MethodGet, localapi.PathClaim, "")
	if status != http.StatusMethodNotAllowed || r.Field != "method" {
		t.Errorf("GET: %d %+v", status, r)
	}
	big := `{"function":"f","data":"` + strings.Repeat("x", localapi.MaxBodyBytes) + `"}`
	if status, r := post(t, api, localapi.PathClaim, big); status != http.StatusRequestEntityTooLarge || r.Field != "body" {
		t.Errorf("oversized body: %d %+v", status, r)
	}
}

func TestSkipped(t *testing.T) {
	st := memory.New()
	api, _ := setup(t, st, nil)
	body := claimBody("E", 1)
	body["eventKeyJmespath"] = "missing"
	status, r := post(t, api, localapi.PathClaim, body)
	if status != 200 || r.Status != localapi.StatusSkipped || r.Token != "" || st.Len() != 0 {
		t.Fatalf("no key: %d %+v", status, r)
	}
	disabled := newAPI(t, nil, "fn", oneInFlight)
	status, r = post(t, disabled, localapi.PathClaim, claimBody("E", 1))
	if status != 200 || r.Status != localapi.StatusSkipped || !strings.Contains(r.Reason, "disabled") {
		t.Fatalf("disabled: %d %+v", status, r)
	}
}

func TestTooLargeReleases(t *testing.T) {
	st := memory.NewLimited(8)
	api, _ := setup(t, st, nil)
	_, c := post(t, api, localapi.PathClaim, claimBody("F", 1))
	status, r := post(t, api, localapi.PathComplete, map[string]any{"token": c.Token, "result": "much longer than eight bytes"})
	if status != http.StatusRequestEntityTooLarge || r.ErrorType != localapi.ErrorTypeTooLarge || r.Field != "result" {
		t.Fatalf("too large: %d %+v", status, r)
	}
	if _, ok := st.Lookup(c.IdempotencyKey); ok {
		t.Fatal("claim not released after a too-large result")
	}
}

func TestNonJSONRecordReplay(t *testing.T) {
	st := memory.New()
	api, _ := setup(t, st, nil)
	_, c := post(t, api, localapi.PathClaim, claimBody("G", 1))
	rec, _ := st.Lookup(c.IdempotencyKey)
	rec.Status, rec.Response, rec.ContentType = store.StatusCompleted, []byte{0xff, 0x00, 'x'}, "application/octet-stream"
	if err := st.Complete(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	status, r := post(t, api, localapi.PathClaim, claimBody("G", 1))
	if status != 200 || r.Status != localapi.StatusCompleted || r.Result != nil ||
		string(r.ResultBase64) != "\xff\x00x" || r.ContentType != "application/octet-stream" {
		t.Fatalf("binary replay: %d %+v", status, r)
	}
}

// failing is a store whose every call fails.
type failing struct{}

var errDown = errors.New("store down")

func (failing) Claim(context.Context, store.Record, time.Time) (store.Record, error) {
	return store.Record{}, errDown
}
func (failing) Complete(context.Context, store.Record) error { return errDown }
func (failing) Delete(context.Context, string, string) error { return errDown }

func TestStoreFailure(t *testing.T) {
	api, _ := setup(t, failing{}, nil)
	status, r := post(t, api, localapi.PathClaim, claimBody("H", 1))
	if status != http.StatusServiceUnavailable || r.ErrorType != idempotency.ErrorTypePersistence || r.Status != localapi.StatusError {
		t.Fatalf("claim: %d %+v", status, r)
	}
	// A well-formed token whose store call fails.
	okAPI, _ := setup(t, memory.New(), nil)
	_, c := post(t, okAPI, localapi.PathClaim, claimBody("H", 1))
	for _, path := range []string{localapi.PathComplete, localapi.PathRelease} {
		body := map[string]any{"token": c.Token}
		if path == localapi.PathComplete {
			body["result"] = 1
		}
		status, r := post(t, api, path, body)
		if status != http.StatusServiceUnavailable || r.ErrorType != idempotency.ErrorTypePersistence {
			t.Fatalf("%s: %d %+v", path, status, r)
		}
	}
}
