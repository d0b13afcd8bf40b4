package lambdatest

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChildrenOfCountsZombies: a child is counted from its start until it
// is reaped, including while it is a zombie (exited, not yet waited for),
// when it has no environment to recognise it by.
func TestChildrenOfCountsZombies(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !slices.Contains(childrenOf(os.Getpid()), pid) {
		t.Fatalf("child %d not listed", pid)
	}
	// Wait until it is a zombie: exited, not reaped (state Z).
	deadline := time.Now().Add(5 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); f[0] == "Z" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d never exited: %s", pid, stat)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !slices.Contains(childrenOf(os.Getpid()), pid) {
		t.Fatalf("zombie %d not listed", pid)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(childrenOf(os.Getpid()), pid) {
		t.Fatalf("reaped child %d still listed", pid)
	}
}
