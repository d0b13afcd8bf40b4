package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Source is an event source with partial batch responses.
type Source string

// Sources.
const (
	SQS             Source = "sqs"
	Kinesis         Source = "kinesis"
	DynamoDBStreams Source = "dynamodb-streams"
)

// ErrUnknownSource is returned by ParseSource.
var ErrUnknownSource = errors.New("batch: unknown event source")

// ParseSource parses an IDEMPOTENCY_BATCH value.
func ParseSource(s string) (Source, error) {
	switch src := Source(strings.ToLower(s)); src {
	case SQS, Kinesis, DynamoDBStreams:
		return src, nil
	}
	return "", fmt.Errorf("%w %q: want sqs, kinesis or dynamodb-streams", ErrUnknownSource, s)
}

// DefaultRecordKeyJMESPath is the record key when
// IDEMPOTENCY_RECORD_KEY_JMESPATH is not set: the record's unique id.
func (s Source) DefaultRecordKeyJMESPath() string {
	if s == SQS {
		return "messageId"
	}
	return "eventID"
}

// ErrNotBatch means an event is not a batch of records.
var ErrNotBatch = errors.New("batch: event has no Records array")

// event is a batch event: its top-level fields, and its records verbatim.
type event struct {
	fields  map[string]json.RawMessage
	records []json.RawMessage
}

func parseEvent(b []byte) (event, error) {
	var ev event
	if err := json.Unmarshal(b, &ev.fields); err != nil || ev.fields == nil {
		return event{}, ErrNotBatch
	}
	raw, ok := ev.fields["Records"]
	if !ok || json.Unmarshal(raw, &ev.records) != nil || ev.records == nil {
		return event{}, ErrNotBatch
	}
	return ev, nil
}

// with returns the event holding only the records at the given positions.
func (ev event) with(keep []int) []byte {
	recs := make([]json.RawMessage, len(keep))
	for i, p := range keep {
		recs[i] = ev.records[p]
	}
	fields := make(map[string]json.RawMessage, len(ev.fields))
	for k, v := range ev.fields {
		fields[k] = v
	}
	fields["Records"], _ = json.Marshal(recs)
	b, _ := json.Marshal(fields) // cannot fail: every value is valid JSON
	return b
}

// identifier returns the record's itemIdentifier for batchItemFailures:
// SQS messageId, Kinesis kinesis.sequenceNumber, DynamoDB Streams
// dynamodb.SequenceNumber; "" when absent (reporting "" fails the whole
// batch, which is safe).
func (s Source) identifier(rec json.RawMessage) string {
	var r struct {
		MessageID string `json:"messageId"`
		Kinesis   struct {
			SequenceNumber string `json:"sequenceNumber"`
		} `json:"kinesis"`
		DynamoDB struct {
			SequenceNumber string `json:"SequenceNumber"`
		} `json:"dynamodb"`
		EventSourceARN string `json:"eventSourceARN"`
	}
	_ = json.Unmarshal(rec, &r)
	switch s {
	case SQS:
		return r.MessageID
	case Kinesis:
		return r.Kinesis.SequenceNumber
	}
	return r.DynamoDB.SequenceNumber
}

// fifo reports whether an SQS record comes from a FIFO queue.
func fifo(rec json.RawMessage) bool {
	var r struct {
		EventSourceARN string `json:"eventSourceARN"`
	}
	_ = json.Unmarshal(rec, &r)
	return strings.HasSuffix(r.EventSourceARN, ".fifo")
}

// itemFailure is one entry of batchItemFailures.
type itemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// handlerResponse is the handler's answer to a batch.
type handlerResponse struct {
	// fields holds the answer's top-level fields (nil: the answer was
	// empty or null).
	fields map[string]json.RawMessage
	// failures are the itemIdentifiers it reported, in its order.
	failures []string
}

// ErrBadResponse means a handler's answer is not a partial batch response
// Lambda would accept; Lambda then retries the whole batch.
var ErrBadResponse = errors.New("batch: handler response is not a partial batch response")

// parseResponse reads a handler's answer: empty, null, or an object whose
// batchItemFailures is absent, null, or a list of {"itemIdentifier":
// non-empty string}.
func parseResponse(b []byte) (handlerResponse, error) {
	var r handlerResponse
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return r, nil
	}
	if err := json.Unmarshal(b, &r.fields); err != nil || r.fields == nil {
		return r, ErrBadResponse
	}
	raw, ok := r.fields["batchItemFailures"]
	if !ok || string(raw) == "null" {
		return r, nil
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return r, ErrBadResponse
	}
	for _, it := range items {
		var id string
		if json.Unmarshal(it["itemIdentifier"], &id) != nil || id == "" {
			return r, ErrBadResponse
		}
		r.failures = append(r.failures, id)
	}
	return r, nil
}

// render returns the response with batchItemFailures set to ids (other
// top-level fields of the handler's answer are kept).
func render(fields map[string]json.RawMessage, ids []string) []byte {
	out := make(map[string]json.RawMessage, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	items := make([]itemFailure, len(ids))
	for i, id := range ids {
		items[i] = itemFailure{ItemIdentifier: id}
	}
	out["batchItemFailures"], _ = json.Marshal(items)
	b, _ := json.Marshal(out)
	return b
}
