// Package store defines the persistence contract for idempotency records:
// the [Record] type, the [Store] interface that every backend implements,
// the sentinel errors callers branch on, and small pure helpers that pin
// down the takeover rule and the persisted precision of times so that all
// backends (memory, DynamoDB, Redis) behave identically.
//
// The rule for when an existing record may be taken over is the one
// AWS Lambda Powertools uses in its DynamoDB condition expression:
//
//	attribute_not_exists(#id) OR #expiry < :now OR
//	(#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)
//
// where :now is the caller's time in whole epoch seconds and :now_in_millis
// the same time in whole epoch milliseconds. [Record.Live] implements it.
// Backends compare the times passed in by the caller; they never consult
// their own clock to decide liveness.
//
// Every write is fenced by [Record.Owner]: only the invocation that claimed a
// record may complete or delete it, so a slow invocation whose lock was taken
// over cannot overwrite or release the new owner's record.
//
// The conformance suite for implementations lives in package storetest; the
// in-memory reference backend lives in package memory.
package store
