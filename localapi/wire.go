package localapi

import (
	"encoding/json"
	"net/http"
)

// Statuses in answers.
const (
	StatusClaimed          = "CLAIMED"
	StatusCompleted        = "COMPLETED"
	StatusSkipped          = "SKIPPED"
	StatusReleased         = "RELEASED"
	StatusInProgress       = "IN_PROGRESS"
	StatusValidationFailed = "VALIDATION_FAILED"
	StatusNotOwner         = "NOT_OWNER"
	StatusBadRequest       = "BAD_REQUEST"
	StatusError            = "ERROR"
)

// Error types of the local API's own errors; the idempotency errors keep
// Powertools' names (IdempotencyAlreadyInProgressError ...).
const (
	ErrorTypeBadRequest = "BadRequest"
	ErrorTypeNotOwner   = "IdempotencyNotOwnerError"
	ErrorTypeTooLarge   = "IdempotencyRecordTooLargeError"
)

// claimRequest is the body of /claim.
type claimRequest struct {
	Function                  *string         `json:"function"`
	Data                      json.RawMessage `json:"data"`
	KeyPrefix                 *string         `json:"keyPrefix"`
	EventKeyJMESPath          *string         `json:"eventKeyJmespath"`
	PayloadValidationJMESPath *string         `json:"payloadValidationJmespath"`
	ExpiresAfterSeconds       json.RawMessage `json:"expiresAfterSeconds"`
	RaiseOnNoIdempotencyKey   *bool           `json:"raiseOnNoIdempotencyKey"`
	RequestID                 *string         `json:"requestId"`
}

// completeRequest is the body of /complete and /release (no result).
type completeRequest struct {
	Token  *string         `json:"token"`
	Result json.RawMessage `json:"result"`
}

// answer is every response body; empty fields are left out.
type answer struct {
	Status         string          `json:"status"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	Token          string          `json:"token,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"`
	ResultBase64   []byte          `json:"resultBase64,omitempty"`
	ContentType    string          `json:"contentType,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	ErrorType      string          `json:"errorType,omitempty"`
	ErrorMessage   string          `json:"errorMessage,omitempty"`
	Field          string          `json:"field,omitempty"`
}

// badRequest is a 400 naming the field at fault.
func badRequest(field, msg string) (int, answer) {
	return http.StatusBadRequest, answer{Status: StatusBadRequest, ErrorType: ErrorTypeBadRequest, ErrorMessage: field + ": " + msg, Field: field}
}

func write(w http.ResponseWriter, status int, a answer) {
	b, err := json.Marshal(a)
	if err != nil { // unreachable: Result is valid JSON whenever set
		status, b = http.StatusInternalServerError, []byte(`{"status":"ERROR","errorType":"InternalError"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
