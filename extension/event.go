package extension

import (
	"strings"
	"time"
)

// EventType is an Extensions API event type.
type EventType string

// Event types an extension can subscribe to. External extensions on Lambda
// Managed Instances may subscribe to Shutdown only.
const (
	Invoke   EventType = "INVOKE"
	Shutdown EventType = "SHUTDOWN"
)

// Shutdown reasons as documented. On the wire they arrive in other spellings
// too (spindown, Timeout, ReleaseFail, SandboxTerminated): compare with
// strings.EqualFold and accept unknown values.
const (
	ReasonSpindown = "spindown"
	ReasonTimeout  = "timeout"
	ReasonFailure  = "failure"
)

// Event is one event from /event/next.
type Event struct {
	EventType          EventType `json:"eventType"`
	DeadlineMs         int64     `json:"deadlineMs"`
	RequestID          string    `json:"requestId,omitempty"`
	InvokedFunctionArn string    `json:"invokedFunctionArn,omitempty"`
	ShutdownReason     string    `json:"shutdownReason,omitempty"`
	Tracing            *Tracing  `json:"tracing,omitempty"`
}

// Tracing is the X-Ray context of an INVOKE event.
type Tracing struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// IsShutdown reports whether e is a SHUTDOWN event, whatever its spelling.
func (e Event) IsShutdown() bool { return strings.EqualFold(string(e.EventType), string(Shutdown)) }

// Deadline returns DeadlineMs as a time, or the zero time if it is unset.
func (e Event) Deadline() time.Time {
	if e.DeadlineMs <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(e.DeadlineMs)
}

// RegisterResponse is the body of a successful /register.
type RegisterResponse struct {
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
	AccountID       string `json:"accountId,omitempty"`
}
