package main

import (
	"errors"
	"fmt"

	"github.com/idemproxy/idemproxy/batch"
	"github.com/idemproxy/idemproxy/idempotency"
)

// BatchConfig is the batch mode's configuration.
type BatchConfig struct {
	// Source is IDEMPOTENCY_BATCH: "" (off), sqs, kinesis or
	// dynamodb-streams.
	Source batch.Source
	// RecordKeyJMESPath is IDEMPOTENCY_RECORD_KEY_JMESPATH, applied to each
	// record; empty means the source's default (messageId, eventID).
	RecordKeyJMESPath string
}

// loadBatch reads IDEMPOTENCY_BATCH and IDEMPOTENCY_RECORD_KEY_JMESPATH. In
// batch mode the core keys records, so its key expression becomes the
// record key.
func (c *Config) loadBatch(env func(string) string, bad func(name, value, want string)) []error {
	var errs []error
	v, recordKey := env("IDEMPOTENCY_BATCH"), env("IDEMPOTENCY_RECORD_KEY_JMESPATH")
	if v == "" {
		if recordKey != "" {
			errs = append(errs, errors.New("IDEMPOTENCY_RECORD_KEY_JMESPATH is set without IDEMPOTENCY_BATCH: set IDEMPOTENCY_BATCH to sqs, kinesis or dynamodb-streams, or use IDEMPOTENCY_EVENT_KEY_JMESPATH"))
		}
		return errs
	}
	src, err := batch.ParseSource(v)
	if err != nil {
		bad("IDEMPOTENCY_BATCH", v, "want sqs, kinesis or dynamodb-streams")
		return errs
	}
	c.Batch.Source = src
	if c.Idempotency.Key.EventKeyJMESPath != "" {
		errs = append(errs, fmt.Errorf("IDEMPOTENCY_EVENT_KEY_JMESPATH=%q: not used in batch mode (IDEMPOTENCY_BATCH=%s), where each record is keyed: use IDEMPOTENCY_RECORD_KEY_JMESPATH", c.Idempotency.Key.EventKeyJMESPath, src))
	}
	if recordKey == "" {
		recordKey = src.DefaultRecordKeyJMESPath()
	} else if _, err := idempotency.NewKeyer(idempotency.KeyConfig{EventKeyJMESPath: recordKey}); err != nil {
		errs = append(errs, fmt.Errorf("IDEMPOTENCY_RECORD_KEY_JMESPATH: %w", err))
	}
	c.Batch.RecordKeyJMESPath = recordKey
	c.Idempotency.Key.EventKeyJMESPath = recordKey
	return errs
}
