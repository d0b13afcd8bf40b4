package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// Rows of the batch-mode runs.
const (
	RowBatchOne    = "batch mode: 1 record, fresh"
	RowBatchFresh  = "batch mode: 10 records, fresh"
	RowBatchReplay = "batch mode: 10 records, all done (answered by the proxy)"
)

// batchSize is the SQS batch of the batch-mode runs.
const batchSize = 10

// sqsBatchEvent is an SQS event of n records (ActionBatch for the Go
// handler), with message ids tag-0 ... tag-(n-1).
func sqsBatchEvent(tag string, n int) []byte {
	recs := make([]json.RawMessage, n)
	for i := range recs {
		id := fmt.Sprintf("%s-%d", tag, i)
		recs[i], _ = json.Marshal(map[string]any{
			"messageId": id, "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" + id,
			"body":       `{"orderId":"` + id + `","amount":12.5,"customer":"c-1"}`,
			"attributes": map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183"},
			"md5OfBody":  "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
			"eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench", "awsRegion": "us-east-1",
		})
	}
	return lambdatest.Event{Action: lambdatest.ActionBatch, Records: recs}.JSON()
}

// checkBatch accepts a batch the handler processed whole (processed n
// records, no failures), or, with n = 0, one the proxy answered itself.
func checkBatch(n int) Check {
	return func(_ int, _ []byte, res lambdatest.Result) error {
		if res.Status != 200 {
			return errors.New("status is not 200")
		}
		if n == 0 {
			if string(res.Body) != `{"batchItemFailures":[]}` {
				return fmt.Errorf("%w: not the proxy's own answer: %.200s", ErrCheck, res.Body)
			}
			return nil
		}
		var r struct {
			Processed []string          `json:"processed"`
			Failures  []json.RawMessage `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(res.Body, &r); err != nil || len(r.Processed) != n || r.Failures == nil || len(r.Failures) != 0 {
			return fmt.Errorf("%w: handler did not process %d records: %.200s", ErrCheck, n, res.Body)
		}
		return nil
	}
}

// RunBatch measures batch mode (IDEMPOTENCY_BATCH=sqs) on dynalite and on
// redis-server: the latency of a fresh batch of 10 against a batch of 1 (the
// 10 claims go out concurrently, then the 10 completions), of a batch whose
// records are all done, and the store operations of each.
func RunBatch(ctx context.Context, env *Env, sz Sizes, srv *Servers) ([]StoreRun, error) {
	cp, err := startCountingProxy(srv.DynamoEndpoint)
	if err != nil {
		return nil, err
	}
	defer cp.close()
	rp, err := startRESPProxy(srv.RedisAddr)
	if err != nil {
		return nil, err
	}
	defer rp.close()
	batchVars := []string{"AWS_LAMBDA_FUNCTION_NAME=bench", "IDEMPOTENCY_BATCH=sqs"}
	var out []StoreRun
	for _, s := range []struct {
		name    string
		vars    []string
		counter interface{ take() map[string]int }
	}{
		{"DynamoDB (dynalite)", append([]string{"IDEMPOTENCY_TABLE_NAME=" + tableIdemproxy, "AWS_ENDPOINT_URL_DYNAMODB=" + cp.url}, dynamoCredentials()...), &cp.counter},
		{"Redis (redis-server)", []string{"IDEMPOTENCY_REDIS_URL=redis://" + rp.addr() + "/0"}, &rp.counter},
	} {
		run, err := runBatchStore(ctx, env, sz, s.name, append(s.vars, batchVars...), s.counter)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		out = append(out, run)
	}
	return out, nil
}

func runBatchStore(ctx context.Context, env *Env, sz Sizes, name string, vars []string, c interface{ take() map[string]int }) (StoreRun, error) {
	e, err := env.startEmulator(ctx, env.Binary, vars...)
	if err != nil {
		return StoreRun{}, err
	}
	defer e.Close()
	n := max(sz.Warmup+sz.StoreRounds, countedInvocations+1)
	arms := func(tag string) []Arm {
		return []Arm{
			InvokeArm(RowBatchOne, e, pregenerate(n, func(i int) []byte { return sqsBatchEvent(fmt.Sprintf("%s-one-%d", tag, i), 1) }), checkBatch(1)),
			InvokeArm(RowBatchFresh, e, pregenerate(n, func(i int) []byte { return sqsBatchEvent(fmt.Sprintf("%s-ten-%d", tag, i), batchSize) }), checkBatch(batchSize)),
			InvokeArm(RowBatchReplay, e, constant(sqsBatchEvent(tag+"-done", batchSize)), doneAfterFirst()),
		}
	}
	run := StoreRun{Ops: map[string]OpCount{}}
	for _, a := range arms("count") {
		if run.Ops[a.Name], err = countPath(ctx, c, a.Run); err != nil {
			return StoreRun{}, fmt.Errorf("%s: %w", a.Name, err)
		}
	}
	samples, err := Alternate(ctx, sz.Warmup, sz.StoreRounds, arms("time")...)
	if err != nil {
		return StoreRun{}, err
	}
	c.take()
	run.Section = section("Batch mode: SQS batches on "+name,
		fmt.Sprintf("%d rounds after %d warm-up rounds, Go handler, IDEMPOTENCY_BATCH=sqs, records keyed by messageId; "+
			"the store is reached through a counting proxy. A fresh batch claims its records concurrently (one pass), "+
			"then completes them concurrently after the handler answers; store round trips are per invocation.",
			sz.StoreRounds, sz.Warmup),
		samples, spec{RowBatchOne, ""}, spec{RowBatchFresh, RowBatchOne}, spec{RowBatchReplay, RowBatchOne})
	setRoundTrips(&run.Section, run.Ops)
	return run, nil
}

// doneAfterFirst accepts invocation 0 when the handler processed the whole
// batch, and every later one only when the proxy answered it.
func doneAfterFirst() Check {
	first, later := checkBatch(batchSize), checkBatch(0)
	return func(i int, event []byte, res lambdatest.Result) error {
		if i == 0 {
			if err := first(i, event, res); err == nil {
				return nil
			}
		}
		return later(i, event, res)
	}
}

// writeBatchOps lists the store operations of the batch-mode rows.
func writeBatchOps(b *strings.Builder, ops map[string]OpCount) {
	if len(ops) == 0 {
		return
	}
	fmt.Fprintf(b, "Store operations per invocation (counted over %d invocations per path, after one uncounted):\n\n", countedInvocations)
	for _, name := range []string{RowBatchOne, RowBatchFresh, RowBatchReplay} {
		if c, ok := ops[name]; ok {
			fmt.Fprintf(b, "- %s: %g (%s)\n", name, c.PerInvocation, c.Ops)
		}
	}
	b.WriteString("\n")
}
