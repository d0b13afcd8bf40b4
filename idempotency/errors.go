package idempotency

// Error types the caller sees in {"errorMessage": ..., "errorType": ...},
// named as Powertools for AWS Lambda names its exceptions.
const (
	ErrorTypeAlreadyInProgress = "IdempotencyAlreadyInProgressError"
	ErrorTypeValidation        = "IdempotencyValidationError"
	ErrorTypeKey               = "IdempotencyKeyError"
	ErrorTypePersistence       = "IdempotencyPersistenceLayerError"
	ErrorTypeInconsistentState = "IdempotencyInconsistentStateError"
)

// Messages, as Powertools Python words them where it has one.
const (
	msgNoKey             = "No data found to create a hashed idempotency_key"
	msgInvalidEvent      = "Failed to create an idempotency key: "
	msgValidation        = "Payload does not match stored record for this event key"
	msgSaveInProgress    = "Failed to save in progress record to idempotency store: "
	msgInconsistent      = "Idempotency record changed state during the claim; retries exhausted for key: "
	msgAlreadyInProgress = "Execution already in progress with idempotency key: "
)
