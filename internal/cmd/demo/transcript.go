package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// step is one invocation of the transcript.
type step struct {
	note      string
	requestID string
	event     lambdatest.Event
}

// steps returns the scripted invocations. Steps 1-3 send the same order
// three times (a first call, a client retry with a new request ID, and a
// Lambda retry with the same request ID): with idempotency enabled, only the
// first runs the handler. countFile records every real execution.
func steps(countFile string) []step {
	order := func(id string) json.RawMessage { return json.RawMessage(`{"order":"` + id + `","amount":42}`) }
	return []step{
		{"first call for order A-1", "demo-req-1", lambdatest.Event{Action: lambdatest.ActionEcho, Data: order("A-1"), CountFile: countFile}},
		{"same event, new request ID (client retry)", "demo-req-2", lambdatest.Event{Action: lambdatest.ActionEcho, Data: order("A-1"), CountFile: countFile}},
		{"same event, same request ID (Lambda retry)", "demo-req-1", lambdatest.Event{Action: lambdatest.ActionEcho, Data: order("A-1"), CountFile: countFile}},
		{"a different order B-2", "demo-req-3", lambdatest.Event{Action: lambdatest.ActionEcho, Data: order("B-2"), CountFile: countFile}},
		{"a handler error (not stored: errors are retried)", "demo-req-4", lambdatest.Event{Action: lambdatest.ActionError, Data: order("C-3"), CountFile: countFile}},
		{"the same failing event again", "demo-req-5", lambdatest.Event{Action: lambdatest.ActionError, Data: order("C-3"), CountFile: countFile}},
		{"a slow call (300 ms)", "demo-req-6", lambdatest.Event{Action: lambdatest.ActionSleep, Ms: 300, Data: order("D-4"), CountFile: countFile}},
		{"the slow call again", "demo-req-7", lambdatest.Event{Action: lambdatest.ActionSleep, Ms: 300, Data: order("D-4"), CountFile: countFile}},
		{"raw bytes (non-ASCII and binary)", "demo-req-8", lambdatest.Event{Action: lambdatest.ActionBytes, CountFile: countFile}},
	}
}

// transcript sends the steps and prints what happened.
func transcript(ctx context.Context, emu *lambdatest.Emulator, countFile string, out io.Writer) error {
	all := steps(countFile)
	executions := 0
	for i, s := range all {
		payload := s.event.JSON()
		fmt.Fprintf(out, "#%d %s\n", i+1, s.note)
		fmt.Fprintf(out, "   request id: %s\n   sent:       %s\n", s.requestID, shorten(payload))
		res, err := emu.Invoke(ctx, payload, lambdatest.WithRequestID(s.requestID))
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		fmt.Fprintf(out, "   got:        %d in %s: %s\n", res.Status, res.Duration.Round(time.Millisecond), shorten(res.Body))
		now := lineCount(countFile)
		verdict := "the handler ran"
		if now == executions {
			verdict = "answered WITHOUT running the handler"
		}
		executions = now
		fmt.Fprintf(out, "   handler executions so far: %d (%s)\n\n", now, verdict)
	}
	fmt.Fprintf(out, "%d invocations, %d handler executions\n", len(all), lineCount(countFile))
	return nil
}

// lineCount counts the lines of path (0 if it does not exist).
func lineCount(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte{'\n'})
}

// shorten renders b for the transcript: valid UTF-8 as text, anything else
// quoted, cut after maxShown bytes.
func shorten(b []byte) string {
	suffix := ""
	if len(b) > maxShown {
		suffix = fmt.Sprintf("... (%d bytes)", len(b))
		b = b[:maxShown]
	}
	if utf8.Valid(b) && !bytes.ContainsAny(b, "\x00\r\n") {
		return string(b) + suffix
	}
	return strconv.Quote(string(b)) + suffix
}
