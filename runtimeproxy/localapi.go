package runtimeproxy

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// LocalAPIPrefix is the path prefix of the requests the proxy hands to
// Options.LocalAPI instead of forwarding them upstream. The Runtime API has
// no path under it.
const LocalAPIPrefix = "/idemproxy/"

// InFlight describes an invocation handed to the runtime and not yet
// answered.
type InFlight struct {
	RequestID string
	// Deadline is the invocation's deadline; zero if unknown.
	Deadline time.Time
}

// serveLocal hands r to the local API handler when its path is under
// LocalAPIPrefix and one is configured; it reports whether it did.
func (s *Server) serveLocal(w http.ResponseWriter, r *http.Request) bool {
	if s.localAPI == nil || !strings.HasPrefix(r.URL.Path, LocalAPIPrefix) {
		return false
	}
	s.localAPI.ServeHTTP(w, r)
	return true
}

// InFlight returns the invocations handed to the runtime and not yet
// answered, ordered by request id. A runtime serving one invocation at a
// time has at most one.
func (s *Server) InFlight() []InFlight {
	s.mu.Lock()
	out := make([]InFlight, 0, len(s.invocations))
	for id, t := range s.invocations {
		out = append(out, InFlight{RequestID: id, Deadline: t.inv.Deadline})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b InFlight) int { return strings.Compare(a.RequestID, b.RequestID) })
	return out
}
