package modules

import (
	"context"
	"log/slog"
)

// Worker is a module's background work, in the one shape every worker of the platform has:
// Run works until ctx ends and then returns nil. An error means it stopped on its own and
// will not go on (a failure it retries is logged by the worker, not returned).
type Worker interface {
	Run(ctx context.Context) error
}

// Background starts w for a module and returns the module's stop function, which cancels
// w's context and waits for Run to return (or for the stop context to end). w's context
// outlives ctx, the start context, which ends with the signal that begins the shutdown:
// the worker stops in its turn, after the modules that depend on its module. A worker that
// ends early with an error is logged then, as nothing else is waiting for it.
func Background(ctx context.Context, log *slog.Logger, name string, w Worker) (stop func(context.Context) error) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(runCtx); err != nil && runCtx.Err() == nil {
			log.Error("worker stopped", "module", name, "err", err)
		}
	}()
	return func(stopCtx context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return context.Cause(stopCtx)
		}
	}
}
