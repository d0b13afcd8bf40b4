package main

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// batchRecordID returns a record's itemIdentifier: SQS messageId, Kinesis
// kinesis.sequenceNumber or DynamoDB Streams dynamodb.SequenceNumber.
func batchRecordID(raw json.RawMessage) string {
	var r struct {
		MessageID string `json:"messageId"`
		Kinesis   struct {
			SequenceNumber string `json:"sequenceNumber"`
		} `json:"kinesis"`
		DynamoDB struct {
			SequenceNumber string `json:"SequenceNumber"`
		} `json:"dynamodb"`
	}
	_ = json.Unmarshal(raw, &r)
	switch {
	case r.MessageID != "":
		return r.MessageID
	case r.Kinesis.SequenceNumber != "":
		return r.Kinesis.SequenceNumber
	}
	return r.DynamoDB.SequenceNumber
}

// handleBatch is ActionBatch.
func handleBatch(ev lambdatest.Event) map[string]any {
	time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
	processed := []string{}
	failures := []map[string]string{}
	for _, rec := range ev.Records {
		id := batchRecordID(rec)
		processed = append(processed, id)
		if slices.Contains(ev.Fail, id) {
			failures = append(failures, map[string]string{"itemIdentifier": id})
		}
	}
	return map[string]any{"processed": processed, "batchItemFailures": failures}
}
