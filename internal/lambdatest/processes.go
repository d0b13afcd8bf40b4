package lambdatest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Process is a running process started by an emulator.
type Process struct {
	// PID is the host process ID.
	PID int
	// Name is the command name (/proc/PID/comm).
	Name string
	// Args is the command line.
	Args []string
}

// String formats the process for messages.
func (p Process) String() string {
	return fmt.Sprintf("%d %s %q", p.PID, p.Name, p.Args)
}

// Processes lists the live processes of this emulator (the emulator itself,
// its extensions and its runtime) by their LAMBDATEST_EMULATOR variable.
func (e *Emulator) Processes() ([]Process, error) {
	return findProcesses("LAMBDATEST_EMULATOR=" + e.ID)
}

// AwaitReset waits until the emulator runs no process of the function
// (runtime, extensions, wrapper), only itself, and has reaped them all.
// After a timeout or a crash the emulator answers the caller before its
// reset has ended (it resets in the background, waiting for those
// processes to exit), and an invocation sent meanwhile can fail with
// Sandbox.Failure ErrGateCanceled, with or without an extension. A process
// that has exited but is not reaped yet (a zombie) no longer carries the
// emulator's variable, so the emulator's children are counted by parent
// id. The emulator clears its state just after the last of them is reaped;
// AwaitReset leaves it a moment more for that.
func (e *Emulator) AwaitReset(ctx context.Context) error {
	ofFunction := func(p Process) bool { return p.Name != "unshare" && p.Name != "aws-lambda-rie" }
	for {
		procs, err := e.Processes()
		if err != nil {
			return err
		}
		var children []int
		if i := slices.IndexFunc(procs, func(p Process) bool { return p.Name == "aws-lambda-rie" }); i >= 0 {
			children = childrenOf(procs[i].PID)
		}
		if !slices.ContainsFunc(procs, ofFunction) && len(children) == 0 {
			break
		}
		if err := pause(ctx, 10*time.Millisecond); err != nil {
			return fmt.Errorf("lambdatest: emulator still resetting (processes %v, children %v): %w", procs, children, err)
		}
	}
	return pause(ctx, 50*time.Millisecond)
}

// childrenOf lists the processes, zombies included, whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, ent := range entries {
		child, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 1 && f[1] == strconv.Itoa(pid) {
				kids = append(kids, child)
			}
		}
	}
	return kids
}

// pause waits for d, or returns ctx's error if it ends first.
func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Leftovers lists the live processes of any emulator started with these
// artifacts: after every emulator is closed it must be empty.
func (a *Artifacts) Leftovers() ([]Process, error) {
	return findProcesses("LAMBDATEST_ARTIFACTS=" + a.Dir)
}

// findProcesses scans /proc for processes whose environment holds marker.
// Zombies (empty environment) are skipped, as they are already dead.
func findProcesses(marker string) ([]Process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("lambdatest: list processes: %w", err)
	}
	want := []byte(marker)
	var procs []Process
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join("/proc", ent.Name())
		environ, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil || !hasEnvEntry(environ, want) {
			continue // gone, or not ours
		}
		comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		procs = append(procs, Process{
			PID:  pid,
			Name: strings.TrimSpace(string(comm)),
			Args: strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"),
		})
	}
	return procs, nil
}

// hasEnvEntry reports whether the NUL-separated environ holds entry.
func hasEnvEntry(environ, entry []byte) bool {
	for kv := range bytes.SplitSeq(environ, []byte{0}) {
		if bytes.Equal(kv, entry) {
			return true
		}
	}
	return false
}
