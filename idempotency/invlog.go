package idempotency

import (
	"context"
	"log/slog"
	"slices"
)

// invLog logs for one invocation: the request id and the idempotency key
// are added to a record when it is written. slog's Logger.With would render
// them for every invocation, logged or not (the JSON handler formats them at
// once), which costs more than the rest of a claim on the memory store.
// Records carry them first, as With's attributes are.
type invLog struct {
	l *slog.Logger
	// requestID is left out when empty.
	requestID, key string
	more           []any
}

func (g invLog) log(level slog.Level, msg string, args ...any) {
	ctx := context.Background()
	if !g.l.Enabled(ctx, level) {
		return
	}
	all := make([]any, 0, 4+len(g.more)+len(args))
	if g.requestID != "" {
		all = append(all, "requestId", g.requestID)
	}
	all = append(append(append(all, "idempotencyKey", g.key), g.more...), args...)
	g.l.Log(ctx, level, msg, all...)
}

// with returns g with args added to every record, after the key.
func (g invLog) with(args ...any) invLog {
	g.more = append(slices.Clip(g.more), args...)
	return g
}

func (g invLog) debug(msg string, args ...any) { g.log(slog.LevelDebug, msg, args...) }
func (g invLog) info(msg string, args ...any)  { g.log(slog.LevelInfo, msg, args...) }
func (g invLog) warn(msg string, args ...any)  { g.log(slog.LevelWarn, msg, args...) }
func (g invLog) error(msg string, args ...any) { g.log(slog.LevelError, msg, args...) }
