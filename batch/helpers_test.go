package batch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/batch"
	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
)

const prefix = "fn.app.handler"

// sqsEvent is an SQS event with one record per message id.
func sqsEvent(arn string, ids ...string) []byte {
	recs := make([]map[string]any, len(ids))
	for i, id := range ids {
		recs[i] = map[string]any{"messageId": id, "body": "body of " + id, "eventSource": "aws:sqs", "eventSourceARN": arn}
	}
	b, _ := json.Marshal(map[string]any{"Records": recs})
	return b
}

// kinesisEvent is a Kinesis event; record i has eventID "shard:<seq>".
func kinesisEvent(seqs ...string) []byte {
	recs := make([]map[string]any, len(seqs))
	for i, s := range seqs {
		recs[i] = map[string]any{"eventID": "shardId-000:" + s, "kinesis": map[string]any{"sequenceNumber": s, "data": "eA=="}}
	}
	b, _ := json.Marshal(map[string]any{"Records": recs})
	return b
}

func ids(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%02d", prefix, i))
	}
	return out
}

type fixture struct {
	t     *testing.T
	st    *memory.Store
	ic    *batch.Interceptor
	keyer *idempotency.Keyer
	n     int
}

func newFixture(t *testing.T, src batch.Source, st store.Store) *fixture {
	t.Helper()
	ms, _ := st.(*memory.Store)
	key := idempotency.KeyConfig{EventKeyJMESPath: src.DefaultRecordKeyJMESPath(), HashFunction: "md5", KeyPrefix: prefix}
	core, err := idempotency.New(idempotency.Config{ExpiresAfter: time.Hour, Key: key}, st)
	if err != nil {
		t.Fatal(err)
	}
	ic, err := batch.New(batch.Options{Core: core, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	keyer, _ := idempotency.NewKeyer(key)
	return &fixture{t: t, st: ms, ic: ic, keyer: keyer}
}

// invoke runs Invoke on event.
func (f *fixture) invoke(event []byte) (*runtimeproxy.Invocation, runtimeproxy.Decision) {
	f.n++
	inv := &runtimeproxy.Invocation{RequestID: fmt.Sprintf("req-%d", f.n), Deadline: time.Now().Add(time.Minute), Event: event}
	return inv, f.ic.Invoke(context.Background(), inv)
}

// respond runs Response with the handler's body and returns what goes upstream.
func (f *fixture) respond(inv *runtimeproxy.Invocation, body string) string {
	res := &runtimeproxy.Result{Buffered: true, Body: []byte(body)}
	f.ic.Response(context.Background(), inv, res)
	if res.Replace == nil {
		return body
	}
	return string(res.Replace)
}

// handed returns the identifiers of the records the handler receives.
func (f *fixture) handed(inv *runtimeproxy.Invocation, d runtimeproxy.Decision) []string {
	f.t.Helper()
	if d.Action != runtimeproxy.Forward {
		f.t.Fatalf("decision %+v, want Forward", d)
	}
	ev := d.Event
	if ev == nil {
		ev = inv.Event
	}
	var e struct {
		Records []struct {
			MessageID string `json:"messageId"`
			Kinesis   struct {
				SequenceNumber string `json:"sequenceNumber"`
			} `json:"kinesis"`
		}
	}
	if err := json.Unmarshal(ev, &e); err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, r := range e.Records {
		out = append(out, r.MessageID+r.Kinesis.SequenceNumber)
	}
	return out
}

// status returns the stored status of the record keyed by id ("" if none).
func (f *fixture) status(field, id string) store.Status {
	f.t.Helper()
	d, err := f.keyer.Derive([]byte(fmt.Sprintf(`{%q:%q}`, field, id)))
	if err != nil {
		f.t.Fatal(err)
	}
	rec, ok := f.st.Lookup(d.Key)
	if !ok {
		return ""
	}
	return rec.Status
}

func failures(ids ...string) string {
	items := make([]string, len(ids))
	for i, id := range ids {
		items[i] = fmt.Sprintf(`{"itemIdentifier":%q}`, id)
	}
	return `{"batchItemFailures":[` + strings.Join(items, ",") + `]}`
}
