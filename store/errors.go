package store

import "errors"

// Sentinel errors returned (wrapped) by every [Store] implementation. Test for
// them with [errors.Is].
var (
	// ErrAlreadyExists reports that Claim found a live record for the key.
	// Claim returns that record alongside the error.
	ErrAlreadyExists = errors.New("store: live record already exists")

	// ErrNotOwner reports that Complete or Delete found no in-progress record
	// owned by the caller: the record is missing, already completed, or was
	// claimed by another owner.
	ErrNotOwner = errors.New("store: record not owned by caller")

	// ErrRecordTooLarge reports that the record (in practice its Response)
	// exceeds what the backend can persist. The stored record is unchanged.
	ErrRecordTooLarge = errors.New("store: record too large")

	// ErrInvalidRecord reports that the record passed to Claim or Complete
	// breaks the contract (see [Record.ValidateClaim] and
	// [Record.ValidateComplete]). Nothing is written.
	ErrInvalidRecord = errors.New("store: invalid record")
)
