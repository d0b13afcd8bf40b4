package lambdatest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ErrManagedInstances means the function cannot run in the emulator's
// Managed Instances mode.
var ErrManagedInstances = errors.New("lambdatest: Managed Instances mode")

// Managed Instances mode runs the runtime and the extensions as this user.
const lmiUID = 993

// lmiSettle lets every runtime loop reach /next after the runtime started:
// the emulator accepts invocations once the first loop is ready and rejects
// the ones no loop can take (Runtime.Unavailable).
const lmiSettle = 300 * time.Millisecond

// checkOthersCanRun fails unless a user other than the owner (uid 993 in
// Managed Instances mode) can reach and execute every path.
func checkOthersCanRun(paths ...string) error {
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			if found, err := exec.LookPath(p); err == nil {
				p = found
			}
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrManagedInstances, err)
		}
		for dir := real; ; dir = filepath.Dir(dir) {
			info, err := os.Stat(dir)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrManagedInstances, err)
			}
			if info.Mode().Perm()&0o005 != 0o005 {
				return fmt.Errorf("%w: the runtime runs as uid %d, which cannot use %s: %s is mode %#o",
					ErrManagedInstances, lmiUID, p, dir, info.Mode().Perm())
			}
			if dir == "/" {
				break
			}
		}
	}
	return nil
}

// waitRuntime waits until the runtime process runs (Managed Instances mode
// initialises at start-up), then lets its loops settle.
func (e *Emulator) waitRuntime(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		procs, err := e.Processes()
		if err != nil {
			return err
		}
		for _, p := range procs {
			switch p.Name {
			case "unshare", "aws-lambda-rie", ExtensionName, "sh":
			default:
				time.Sleep(lmiSettle)
				return nil
			}
		}
		select {
		case <-e.done:
			return fmt.Errorf("%w: emulator exited (%v); output:\n%s", ErrNotReady, e.waitErr, e.Logs())
		case <-ctx.Done():
			return fmt.Errorf("%w: no runtime process: %w; output:\n%s", ErrNotReady, ctx.Err(), e.Logs())
		case <-tick.C:
		}
	}
}
