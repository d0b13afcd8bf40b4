package extension

import (
	"context"
	"errors"
	"fmt"
)

// ErrStopped is returned by Loop when ctx ended before a SHUTDOWN event.
var ErrStopped = errors.New("extension: stopped before SHUTDOWN")

// Loop polls /event/next until a SHUTDOWN event arrives and returns it.
// Other events (INVOKE, for an extension subscribed to it) go to onEvent, if
// set. It returns an error if the poll fails or ctx ends.
func Loop(ctx context.Context, c *Client, onEvent func(Event)) (Event, error) {
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return Event{}, fmt.Errorf("%w: %w", ErrStopped, ctx.Err())
			}
			return Event{}, err
		}
		if ev.IsShutdown() {
			return ev, nil
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
}
