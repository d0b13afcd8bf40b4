package idempotency

import (
	"bytes"
	"log/slog"
	"regexp"
	"testing"
)

// TestInvLogWritesWhatWithWould: a record from invLog is the record slog's
// Logger.With would write, attributes in the same order; a level that is
// off costs no allocation.
func TestInvLogWritesWhatWithWould(t *testing.T) {
	var got, want bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	g := invLog{l: slog.New(slog.NewJSONHandler(&got, opts)), requestID: "r-1", key: "fn#abc"}
	w := slog.New(slog.NewJSONHandler(&want, opts)).With("requestId", "r-1", "idempotencyKey", "fn#abc")
	g.warn("lost", "error", "gone")
	w.Warn("lost", "error", "gone")
	g.with("polls", 3).error("failed", "n", 1)
	w.With("polls", 3).Error("failed", "n", 1)
	g.info("info")
	w.Info("info")
	g.debug("hidden")
	w.Debug("hidden")
	noKeyless := invLog{l: g.l, key: "k"}
	noKeyless.info("no request id")
	slog.New(slog.NewJSONHandler(&want, opts)).With("idempotencyKey", "k").Info("no request id")
	times := regexp.MustCompile(`"time":"[^"]*"`)
	if a, b := times.ReplaceAllString(got.String(), ""), times.ReplaceAllString(want.String(), ""); a != b {
		t.Fatalf("invLog wrote\n%s\nWith writes\n%s", a, b)
	}
	if n := testing.AllocsPerRun(100, func() { g.debug("hidden") }); n != 0 {
		t.Errorf("a record below the level allocates %v times", n)
	}
}
