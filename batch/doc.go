// Package batch is idemproxy's batch mode (IDEMPOTENCY_BATCH): per-record
// idempotency for functions fed by SQS, Kinesis or DynamoDB Streams with
// partial batch responses (ReportBatchItemFailures).
//
// Before the handler runs, every record of the event is claimed under its
// own key, all at once (concurrently: one store round trip of latency, not
// one per record). Records already COMPLETED are removed from the event the
// handler receives; records in progress elsewhere (or failing validation or
// the store) are removed and reported as batchItemFailures, so that the
// event source retries them later. When no record is left, the proxy
// answers the invocation itself and the handler does not run. After the
// handler answers, the records it did not list in its batchItemFailures are
// completed and the listed ones released; the response upstream is the
// handler's batchItemFailures merged with the proxy's.
//
// Ordered sources (Kinesis, DynamoDB Streams and SQS FIFO queues) keep their
// ordering rule: from the first failed record on (the proxy's or the
// handler's, in batch order) nothing is completed, every claim is released
// and every record is reported, so that the batch is retried from it and no
// record runs ahead of an earlier one.
package batch
