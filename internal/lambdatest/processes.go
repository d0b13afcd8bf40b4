package lambdatest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
