package main

import (
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/batch"
)

func TestBatchConfig(t *testing.T) {
	for _, c := range []struct {
		env       map[string]string
		source    batch.Source
		recordKey string
	}{
		{map[string]string{}, "", ""},
		{map[string]string{"IDEMPOTENCY_BATCH": "sqs"}, batch.SQS, "messageId"},
		{map[string]string{"IDEMPOTENCY_BATCH": "SQS"}, batch.SQS, "messageId"},
		{map[string]string{"IDEMPOTENCY_BATCH": "kinesis"}, batch.Kinesis, "eventID"},
		{map[string]string{"IDEMPOTENCY_BATCH": "dynamodb-streams"}, batch.DynamoDBStreams, "eventID"},
		{map[string]string{"IDEMPOTENCY_BATCH": "sqs", "IDEMPOTENCY_RECORD_KEY_JMESPATH": "powertools_json(body).orderId"}, batch.SQS, "powertools_json(body).orderId"},
	} {
		c.env["IDEMPOTENCY_STORE"] = "memory"
		cfg, err := LoadConfig(base(c.env))
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if cfg.Batch.Source != c.source || cfg.Batch.RecordKeyJMESPath != c.recordKey || cfg.Idempotency.Key.EventKeyJMESPath != c.recordKey {
			t.Errorf("%v: got %+v, key expression %q", c.env, cfg.Batch, cfg.Idempotency.Key.EventKeyJMESPath)
		}
	}
}

func TestBadBatchVariablesAreNamed(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"IDEMPOTENCY_BATCH": "kafka"}, `IDEMPOTENCY_BATCH="kafka"`},
		{map[string]string{"IDEMPOTENCY_RECORD_KEY_JMESPATH": "messageId"}, "IDEMPOTENCY_RECORD_KEY_JMESPATH is set without IDEMPOTENCY_BATCH"},
		{map[string]string{"IDEMPOTENCY_BATCH": "sqs", "IDEMPOTENCY_EVENT_KEY_JMESPATH": "id"}, "IDEMPOTENCY_EVENT_KEY_JMESPATH=\"id\": not used in batch mode"},
		{map[string]string{"IDEMPOTENCY_BATCH": "sqs", "IDEMPOTENCY_RECORD_KEY_JMESPATH": "a["}, "IDEMPOTENCY_RECORD_KEY_JMESPATH:"},
	} {
		c.env["IDEMPOTENCY_STORE"] = "memory"
		_, err := LoadConfig(base(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to contain %q", c.env, err, c.want)
		}
	}
}
