package batch_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/batch"
	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/runtimeproxy"
	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/memory"
)

const queue = "arn:aws:sqs:us-east-1:123456789012:orders"

func TestSQSCompletedRecordsAreRemoved(t *testing.T) {
	f := newFixture(t, batch.SQS, memory.New())
	all := ids("m", 1, 10)
	done := []string{all[1], all[4], all[5], all[9]}
	inv, d := f.invoke(sqsEvent(queue, done...))
	if got := f.handed(inv, d); !slices.Equal(got, done) || d.Event != nil {
		t.Fatalf("first batch handed %v (event replaced: %v)", got, d.Event != nil)
	}
	if out := f.respond(inv, `{"batchItemFailures":[]}`); out != failures() {
		t.Fatalf("first batch answer %s", out)
	}
	inv, d = f.invoke(sqsEvent(queue, all...))
	want := []string{all[0], all[2], all[3], all[6], all[7], all[8]}
	if got := f.handed(inv, d); !slices.Equal(got, want) {
		t.Fatalf("handler got %v, want the 6 new records %v", got, want)
	}
	for _, id := range want {
		if s := f.status("messageId", id); s != store.StatusInProgress {
			t.Fatalf("%s is %q while the handler runs", id, s)
		}
	}
	if out := f.respond(inv, `null`); out != failures() {
		t.Fatalf("answer %s, want no failures", out)
	}
	for _, id := range all {
		if s := f.status("messageId", id); s != store.StatusCompleted {
			t.Fatalf("%s is %q, want COMPLETED", id, s)
		}
	}
	// Everything done: the proxy answers, the handler does not run.
	_, d = f.invoke(sqsEvent(queue, all...))
	if d.Action != runtimeproxy.Respond || string(d.Body) != failures() || d.ContentType != "application/json" {
		t.Fatalf("all done: %+v", d)
	}
}

func TestSQSInProgressAndHandlerFailures(t *testing.T) {
	f := newFixture(t, batch.SQS, memory.New())
	first, d1 := f.invoke(sqsEvent(queue, "a", "b", "c"))
	f.handed(first, d1)
	// The same messages (and more) delivered elsewhere while the first runs.
	second, d2 := f.invoke(sqsEvent(queue, "x", "b", "y", "c", "z"))
	if got := f.handed(second, d2); !slices.Equal(got, []string{"x", "y", "z"}) {
		t.Fatalf("second batch handed %v", got)
	}
	// The handler fails y and reports an id the proxy does not know, keeps
	// its own fields; the merge is in batch order, unknown ids last.
	out := f.respond(second, `{"batchItemFailures":[{"itemIdentifier":"ghost"},{"itemIdentifier":"y"}],"extra":1}`)
	if want := `{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"y"},{"itemIdentifier":"c"},{"itemIdentifier":"ghost"}],"extra":1}`; out != want {
		t.Fatalf("merged answer\n got %s\nwant %s", out, want)
	}
	if f.status("messageId", "y") != "" || f.status("messageId", "x") != store.StatusCompleted || f.status("messageId", "z") != store.StatusCompleted {
		t.Fatal("y must be released, x and z completed")
	}
	if f.status("messageId", "b") != store.StatusInProgress {
		t.Fatal("the first batch's claim on b was touched")
	}
	// The first batch's handler fails c: released, a and b completed.
	if out := f.respond(first, failures("c")); out != failures("c") {
		t.Fatalf("first answer %s", out)
	}
	// Retries: y and c run again; b is done.
	retry, d3 := f.invoke(sqsEvent(queue, "b", "c", "y"))
	if got := f.handed(retry, d3); !slices.Equal(got, []string{"c", "y"}) {
		t.Fatalf("retry handed %v", got)
	}
	if out := f.respond(retry, `{}`); out != failures() {
		t.Fatalf("retry answer %s", out)
	}
}

func TestAllInProgressIsAnsweredByTheProxy(t *testing.T) {
	f := newFixture(t, batch.SQS, memory.New())
	f.invoke(sqsEvent(queue, "a", "b"))
	_, d := f.invoke(sqsEvent(queue, "b", "a"))
	if d.Action != runtimeproxy.Respond || string(d.Body) != failures("b", "a") {
		t.Fatalf("decision %+v", d)
	}
}

func TestHandlerErrorReleasesEverything(t *testing.T) {
	f := newFixture(t, batch.SQS, memory.New())
	inv, _ := f.invoke(sqsEvent(queue, "a", "b"))
	f.ic.Error(t.Context(), inv, &runtimeproxy.Result{})
	if f.status("messageId", "a") != "" || f.status("messageId", "b") != "" {
		t.Fatal("claims kept after a handler error")
	}
}

func TestBadHandlerResponseReportsEveryRecord(t *testing.T) {
	for _, body := range []string{`"ok"`, `not json`, `{"batchItemFailures":[{"itemIdentifier":""}]}`, `{"batchItemFailures":{}}`, `[1]`} {
		f := newFixture(t, batch.SQS, memory.New())
		done, _ := f.invoke(sqsEvent(queue, "a"))
		f.respond(done, "")
		inv, _ := f.invoke(sqsEvent(queue, "a", "b", "c"))
		if out := f.respond(inv, body); out != failures("a", "b", "c") {
			t.Fatalf("%s: answer %s", body, out)
		}
		if f.status("messageId", "b") != "" || f.status("messageId", "c") != "" {
			t.Fatalf("%s: claims kept", body)
		}
	}
}

func TestNotABatchPassesThrough(t *testing.T) {
	f := newFixture(t, batch.SQS, memory.New())
	for _, ev := range []string{`{"orderId":1}`, `[]`, `"x"`, `{"Records":[]}`, `{"Records":{}}`} {
		if _, d := f.invoke([]byte(ev)); d.Action != runtimeproxy.Forward || d.Observe || d.Event != nil {
			t.Fatalf("%s: %+v", ev, d)
		}
	}
	if f.st.Len() != 0 {
		t.Fatal("records written for a non-batch event")
	}
}

func TestKinesisOrderingRule(t *testing.T) {
	f := newFixture(t, batch.Kinesis, memory.New())
	seqs := []string{"101", "102", "103", "104", "105"}
	// 103 in progress elsewhere: only 101 and 102 may run now.
	holder, _ := f.invoke(kinesisEvent("103"))
	inv, d := f.invoke(kinesisEvent(seqs...))
	if got := f.handed(inv, d); !slices.Equal(got, []string{"101", "102"}) {
		t.Fatalf("handler got %v, want the records before the first failure", got)
	}
	if f.status("eventID", "shardId-000:104") != "" || f.status("eventID", "shardId-000:105") != "" {
		t.Fatal("claims after the first failure not released")
	}
	if out := f.respond(inv, `{"batchItemFailures":[]}`); out != failures("103", "104", "105") {
		t.Fatalf("answer %s", out)
	}
	if f.status("eventID", "shardId-000:102") != store.StatusCompleted {
		t.Fatal("102 not completed")
	}
	// Everything from the first failure on: answered by the proxy.
	if _, d := f.invoke(kinesisEvent("103", "104")); d.Action != runtimeproxy.Respond || string(d.Body) != failures("103", "104") {
		t.Fatalf("batch starting in progress: %+v", d)
	}
	if f.status("eventID", "shardId-000:104") != "" {
		t.Fatal("104 claimed by a batch that cannot run it")
	}
	f.respond(holder, "")
	// The retry starts at 103; the handler fails 104: 103 is kept, 104 and
	// 105 (which the handler may not have processed) are released.
	inv, d = f.invoke(kinesisEvent("103", "104", "105"))
	if got := f.handed(inv, d); !slices.Equal(got, []string{"104", "105"}) {
		t.Fatalf("retry handed %v", got)
	}
	if out := f.respond(inv, failures("104")); out != failures("104", "105") {
		t.Fatalf("retry answer %s", out)
	}
	if f.status("eventID", "shardId-000:104") != "" || f.status("eventID", "shardId-000:105") != "" {
		t.Fatal("records at and after the handler's first failure must be released")
	}
}

func TestSQSFIFOIsOrdered(t *testing.T) {
	f := newFixture(t, batch.SQS, memory.New())
	fifoQueue := queue + ".fifo"
	f.invoke(sqsEvent(fifoQueue, "b"))
	inv, d := f.invoke(sqsEvent(fifoQueue, "a", "b", "c"))
	if got := f.handed(inv, d); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("FIFO handed %v", got)
	}
	if out := f.respond(inv, ""); out != failures("b", "c") {
		t.Fatalf("FIFO answer %s", out)
	}
}

// With IDEMPOTENCY_IN_PROGRESS=wait, a batch whose records are in progress
// elsewhere waits for them (each record's claim polls, concurrently): the
// records the first delivery completes meanwhile are removed like any
// completed record, the released ones run here, and the handler sees only
// those.
func TestWaitModeWaitsForRecordsInProgress(t *testing.T) {
	st := memory.New()
	key := idempotency.KeyConfig{EventKeyJMESPath: batch.SQS.DefaultRecordKeyJMESPath(), HashFunction: "md5", KeyPrefix: prefix}
	var f *fixture
	var first *runtimeproxy.Invocation
	var once sync.Once
	var slept atomic.Int32
	sleep := func(ctx context.Context, d time.Duration) error {
		slept.Add(1)
		// The first delivery finishes while the duplicate waits: a is
		// done, b failed (released).
		once.Do(func() { f.respond(first, failures("b")) })
		return nil
	}
	core, err := idempotency.New(idempotency.Config{ExpiresAfter: time.Hour, Key: key, InProgress: idempotency.InProgressWait}, st,
		idempotency.WithSleep(sleep))
	if err != nil {
		t.Fatal(err)
	}
	ic, err := batch.New(batch.Options{Core: core, Source: batch.SQS})
	if err != nil {
		t.Fatal(err)
	}
	keyer, _ := idempotency.NewKeyer(key)
	f = &fixture{t: t, st: st, ic: ic, keyer: keyer}
	var d runtimeproxy.Decision
	first, d = f.invoke(sqsEvent(queue, "a", "b"))
	if got := f.handed(first, d); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first batch handed %v", got)
	}
	second, d := f.invoke(sqsEvent(queue, "b", "a", "c"))
	if got := f.handed(second, d); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("duplicate batch handed %v, want b (released while it waited) and c", got)
	}
	if slept.Load() == 0 {
		t.Fatal("the duplicate batch did not wait")
	}
	if out := f.respond(second, `{}`); out != failures() {
		t.Fatalf("duplicate batch answer %s", out)
	}
	for _, id := range []string{"a", "b", "c"} {
		if s := f.status("messageId", id); s != store.StatusCompleted {
			t.Fatalf("%s is %q, want COMPLETED", id, s)
		}
	}
}
