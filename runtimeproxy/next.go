package runtimeproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/idemproxy/idemproxy/internal/readall"
)

// serveNext serves the runtime's long poll for the next event. It fetches
// events upstream until the Interceptor lets one through; events the
// Interceptor answers itself are posted upstream and never reach the runtime.
func (s *Server) serveNext(w http.ResponseWriter, r *http.Request) {
	for {
		out, err := s.newUpstreamRequest(r, http.NoBody, 0)
		if err != nil {
			s.upstreamFailed(w, r, err)
			return
		}
		// No timeout: upstream /next blocks until there is an event. It
		// ends early if the runtime hangs up, so that a runtime that went
		// away never takes an event with it.
		ctx, stopWatch := s.watchRuntime(w, r)
		resp, err := s.do(out.WithContext(ctx))
		stopWatch()
		if err != nil {
			s.upstreamFailed(w, r, err)
			return
		}
		if resp.StatusCode != http.StatusOK {
			s.relay(w, resp)
			resp.Body.Close()
			return
		}
		event, err := readBody(resp)
		resp.Body.Close()
		if err != nil {
			s.upstreamFailed(w, r, err)
			return
		}
		if s.offerEvent(r.Context(), w, resp, event) || hungUp(w, r) {
			return
		}
	}
}

// offerEvent delivers an upstream /next answer, already read into event,
// to the runtime through w, unless it is an invocation the Interceptor
// answers itself (posted upstream by onEvent); delivered reports which.
func (s *Server) offerEvent(parent context.Context, w http.ResponseWriter, resp *http.Response, event []byte) (delivered bool) {
	inv := newInvocation(resp, event)
	if inv.RequestID == "" {
		s.deliver(w, resp, event) // not an invocation we can reason about
		return true
	}
	d := s.onEvent(parent, inv)
	if d.Action != Forward {
		return false
	}
	if d.Event != nil {
		event = d.Event
	}
	s.deliver(w, resp, event)
	return true
}

// newInvocation is the invocation of an upstream /next answer whose body,
// the event, has been read.
func newInvocation(resp *http.Response, event []byte) *Invocation {
	inv := &Invocation{
		RequestID: resp.Header.Get(HeaderRequestID),
		Deadline:  parseDeadline(resp.Header.Get(HeaderDeadlineMs)),
		Event:     event,
	}
	inv.header.h = resp.Header
	return inv
}

// readBody reads a response body whole, in one allocation when its length
// is known (readall.ReadAll otherwise).
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= DefaultMaxBufferedBytes {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		// Reach the end, so that the connection can be reused.
		if k, err := resp.Body.Read(make([]byte, 1)); k > 0 || err != io.EOF && err != nil {
			return nil, errors.New("runtimeproxy: response body longer than its Content-Length")
		}
		return b, nil
	}
	return readall.ReadAll(resp.Body)
}

// invocationContext returns a context that ends at the invocation's
// deadline, and survives the runtime hanging up.
func invocationContext(parent context.Context, inv *Invocation) (context.Context, context.CancelFunc) {
	ctx := context.WithoutCancel(parent)
	if inv.Deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, inv.Deadline)
}

// deliver writes an upstream /next response, already read into event, to the runtime.
func (s *Server) deliver(w http.ResponseWriter, resp *http.Response, event []byte) {
	h := w.Header()
	copyEndToEnd(h, resp.Header)
	if _, ok := resp.Header[headerContentType]; !ok {
		h[headerContentType] = nil
	}
	h.Set(headerContentLength, strconv.Itoa(len(event)))
	w.WriteHeader(resp.StatusCode)
	if _, err := w.Write(event); err != nil {
		s.log.Warn("runtime went away before receiving its event", "requestId", resp.Header.Get(HeaderRequestID), "error", err)
	}
}

// answer posts an Interceptor's own answer for inv upstream.
func (s *Server) answer(parent context.Context, inv *Invocation, d Decision) {
	ctx, cancel := invocationContext(parent, inv)
	defer cancel()
	if inv.Deadline.IsZero() || time.Until(inv.Deadline) < 2*time.Second {
		// Upstream must get the answer even if the deadline is near or unknown.
		cancel()
		ctx, cancel = context.WithTimeout(context.WithoutCancel(parent), 10*time.Second)
		defer cancel()
	}
	suffix, body, ctype := invocationResponseSuffix, d.Body, d.ContentType
	if d.Action == Fail {
		suffix, body, ctype = invocationErrorSuffix, errorBody(d.ErrorType, d.ErrorMessage), contentTypeJSON
	}
	target := "http://" + s.upstream + pathInvocationPrefix + url.PathEscape(inv.RequestID) + suffix
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		s.log.Error("answer invocation", "requestId", inv.RequestID, "error", err)
		return
	}
	req.Header["User-Agent"] = []string{""}
	if ctype != "" {
		req.Header.Set(headerContentType, ctype)
	}
	if d.Action == Fail {
		req.Header.Set(HeaderFunctionErrorType, d.ErrorType)
	} else if d.Streaming {
		streamRequest(req)
	}
	resp, err := s.do(req)
	if err != nil {
		s.log.Error("answer invocation upstream", "requestId", inv.RequestID, "error", safeError(err))
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.log.Error("upstream refused the answer", "requestId", inv.RequestID, "status", resp.StatusCode)
	}
}

// errorBody renders {"errorMessage": ..., "errorType": ...}.
func errorBody(errorType, message string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{message, errorType})
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
