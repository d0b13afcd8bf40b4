package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// Batch mode end to end: SQS (and Kinesis) events through the emulator,
// with the stores several sandboxes share.

const sqsARN = "arn:aws:sqs:us-east-1:123456789012:orders"

// sqsBatch is an ActionBatch event holding one SQS record per message id.
func sqsBatch(countFile string, ms int, fail []string, ids ...string) []byte {
	recs := make([]json.RawMessage, len(ids))
	for i, id := range ids {
		recs[i], _ = json.Marshal(map[string]any{
			"messageId": id, "receiptHandle": "rh-" + id, "body": `{"order":"` + id + `"}`,
			"eventSource": "aws:sqs", "eventSourceARN": sqsARN, "awsRegion": "us-east-1",
		})
	}
	return lambdatest.Event{Action: lambdatest.ActionBatch, CountFile: countFile, Ms: ms, Fail: fail, Records: recs}.JSON()
}

// batchAnswer is the merged response of a batch invocation.
type batchAnswer struct {
	Processed []string `json:"processed"`
	Failures  []struct {
		ItemIdentifier string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

func (a batchAnswer) failed() []string {
	out := []string{}
	for _, f := range a.Failures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func invokeBatch(t *testing.T, emu *lambdatest.Emulator, requestID string, payload []byte) batchAnswer {
	t.Helper()
	a, err := tryBatch(t, emu, requestID, payload)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tryBatch is invokeBatch for goroutines other than the test's.
func tryBatch(t *testing.T, emu *lambdatest.Emulator, requestID string, payload []byte) (batchAnswer, error) {
	var a batchAnswer
	res, err := emu.Invoke(t.Context(), payload, lambdatest.WithRequestID(requestID))
	if err != nil {
		return a, fmt.Errorf("%s: %w", requestID, err)
	}
	if res.Status != 200 {
		return a, fmt.Errorf("%s: status %d %s", requestID, res.Status, res.Body)
	}
	if err := json.Unmarshal(res.Body, &a); err != nil || a.Failures == nil {
		return a, fmt.Errorf("%s: not a batch response (%v): %s", requestID, err, res.Body)
	}
	if a.Processed == nil {
		a.Processed = []string{}
	}
	return a, nil
}

func checkBatch(t *testing.T, what string, a batchAnswer, processed, failed []string) {
	t.Helper()
	if !slices.Equal(a.Processed, processed) || !slices.Equal(a.failed(), failed) {
		t.Fatalf("%s: handler processed %v and the response reports %v; want %v and exactly %v", what, a.Processed, a.failed(), processed, failed)
	}
}

func TestBatchSQS(t *testing.T) {
	t.Run("dynamodb/go", func(t *testing.T) {
		t.Parallel()
		endpoint, _ := startDynamo(t)
		env := dynamoEnv(endpoint)
		env = slices.DeleteFunc(env, func(s string) bool {
			return s == "IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order" || s == "IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH=data.amount"
		})
		testBatchSQS(t, goRuntime, append(env, "IDEMPOTENCY_BATCH=sqs"))
	})
	t.Run("redis/python", func(t *testing.T) {
		t.Parallel()
		redis := testservers.MustStartRedis(t)
		testBatchSQS(t, pythonRuntime, []string{"IDEMPOTENCY_REDIS_URL=redis://" + redis.Addr + "/0", "IDEMPOTENCY_BATCH=sqs"})
	})
}

func testBatchSQS(t *testing.T, kind runtimeKind, env []string) {
	opts := options(t, kind)
	opts.FunctionTimeout = 10
	a := startIdempotent(t, opts, env...)
	b := startIdempotent(t, opts, env...)
	warm(t, a, b)
	countA, countB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	m := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprintf("m%02d", i))
		}
		return out
	}
	none := []string{}

	// 4 of 10 processed earlier: the handler runs with the other 6.
	done := []string{"m02", "m05", "m06", "m10"}
	checkBatch(t, "first 4", invokeBatch(t, a, "sqs-1", sqsBatch(countA, 0, nil, done...)), done, none)
	checkBatch(t, "batch of 10", invokeBatch(t, a, "sqs-2", sqsBatch(countA, 0, nil, m(1, 10)...)),
		[]string{"m01", "m03", "m04", "m07", "m08", "m09"}, none)
	// All done: the proxy answers, the handler does not run.
	before := executions(t, countA)
	res := lambdatest.InvokeT(t, a, sqsBatch(countA, 0, nil, m(1, 10)...), lambdatest.WithRequestID("sqs-3"))
	if string(res.Body) != `{"batchItemFailures":[]}` || executions(t, countA) != before {
		t.Fatalf("all done: %s, %d handler runs (want none)", res.Body, executions(t, countA)-before)
	}

	// A batch runs slowly in sandbox A; a duplicate delivery mixed with new
	// messages reaches sandbox B meanwhile.
	slow := m(11, 15)
	var wg sync.WaitGroup
	var first batchAnswer
	var firstErr error
	wg.Go(func() { first, firstErr = tryBatch(t, a, "sqs-4", sqsBatch(countA, 2500, []string{"m13"}, slow...)) })
	time.Sleep(800 * time.Millisecond)
	dup := invokeBatch(t, b, "sqs-5", sqsBatch(countB, 0, []string{"m22"}, "m21", "m11", "m22", "m12", "m13", "m23", "m14", "m15"))
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	// In batch order: the in-progress ones and the handler's own failure.
	checkBatch(t, "duplicate while in progress", dup, []string{"m21", "m22", "m23"},
		[]string{"m11", "m22", "m12", "m13", "m14", "m15"})
	checkBatch(t, "slow batch", first, slow, []string{"m13"})

	// Retried: the handler's failures (released) run again, nothing else.
	retry := invokeBatch(t, b, "sqs-6", sqsBatch(countB, 0, nil, "m21", "m11", "m22", "m12", "m13", "m23", "m14", "m15"))
	checkBatch(t, "retry", retry, []string{"m22", "m13"}, none)
	// Every record in progress elsewhere: answered by the proxy.
	wg.Go(func() { first, firstErr = tryBatch(t, a, "sqs-7", sqsBatch(countA, 2500, nil, "m31", "m32")) })
	time.Sleep(700 * time.Millisecond)
	before = executions(t, countB)
	busy := invokeBatch(t, b, "sqs-8", sqsBatch(countB, 0, nil, "m32", "m31"))
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	checkBatch(t, "all in progress", busy, none, []string{"m32", "m31"})
	if executions(t, countB) != before {
		t.Fatal("the handler ran for a batch whose records were all in progress elsewhere")
	}
	checkBatch(t, "holder", first, []string{"m31", "m32"}, none)
}

// kinesisBatch is an ActionBatch event of Kinesis records.
func kinesisBatch(fail []string, seqs ...string) []byte {
	recs := make([]json.RawMessage, len(seqs))
	for i, s := range seqs {
		recs[i], _ = json.Marshal(map[string]any{
			"eventID": "shardId-000000000000:" + s, "eventSource": "aws:kinesis",
			"kinesis": map[string]any{"sequenceNumber": s, "partitionKey": "p", "data": "eyJvcmRlciI6MX0="},
		})
	}
	return lambdatest.Event{Action: lambdatest.ActionBatch, Fail: fail, Records: recs}.JSON()
}

// TestBatchKinesisOrdering: from the first failed record on, nothing is
// kept and everything is reported, so the stream retries from it in order.
func TestBatchKinesisOrdering(t *testing.T) {
	emu := startIdempotent(t, options(t, goRuntime), "IDEMPOTENCY_STORE=memory", "IDEMPOTENCY_BATCH=kinesis")
	all := []string{"101", "102", "103", "104", "105"}
	none := []string{}
	checkBatch(t, "handler fails 103", invokeBatch(t, emu, "k-1", kinesisBatch([]string{"103"}, all...)),
		all, []string{"103", "104", "105"})
	// 104 and 105 ran but were not kept: the retry from 103 runs all three.
	checkBatch(t, "retry from 103", invokeBatch(t, emu, "k-2", kinesisBatch(nil, "103", "104", "105")),
		[]string{"103", "104", "105"}, none)
	checkBatch(t, "whole batch again", invokeBatch(t, emu, "k-3", kinesisBatch(nil, all...)), none, none)
}
