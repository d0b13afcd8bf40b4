package e2e

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/faultproxy"
	"github.com/idemproxy/idemproxy/internal/freeport"
	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// flakyEvent is the input of the flaky test handler (testdata/reliability).
type flakyEvent struct {
	Action    string `json:"action,omitempty"`
	PauseMs   int    `json:"pause_ms,omitempty"`
	Ms        int    `json:"ms,omitempty"`
	Size      int    `json:"size,omitempty"`
	Marker    string `json:"marker,omitempty"`
	CountFile string `json:"count_file,omitempty"`
	Data      struct {
		Order string `json:"order"`
	} `json:"data"`
}

// JSON encodes the event.
func (e flakyEvent) JSON() []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // unreachable: every field is marshalable
	}
	return b
}

// flakyOptions runs the flaky Python handler (flaky.handler, key prefix
// test_function.flaky.handler) with the extension.
func flakyOptions(t *testing.T) lambdatest.Options {
	t.Helper()
	cmd, err := art.PythonHandler()
	if err != nil {
		t.Fatal(err)
	}
	cmd[len(cmd)-1] = "flaky.handler"
	return lambdatest.Options{
		Artifacts: art,
		Handler:   cmd,
		Dir:       filepath.Join(art.RepoRoot, "e2e", "testdata", "reliability"),
		Extension: true,
		Env:       []string{"PYTHONDONTWRITEBYTECODE=1"},
	}
}

// readRuns is runs for goroutines other than the test's: it reports
// instead of failing.
func readRuns(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return strings.Fields(strings.ReplaceAll(string(b), " ", "/")), nil
}

// waitRuns waits until the count file holds n lines or the timeout passes.
func waitRuns(path string, n int, timeout time.Duration) bool {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		if r, _ := readRuns(path); len(r) >= n {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// Loopback ports for listeners that must come back on the same port (a
// fault proxy after Refuse, an extension after its environment is reset):
// the kernel hands out ports of its ephemeral range (32768-60999 here) as
// the source ports of outgoing connections, so a listener there can find
// its port taken when it listens again. These come from below that range,
// above freeport.Reserved: the emulators' and test servers' ports
// (freeport.Pick) never come from there.
const (
	quietPortLow  = freeport.Reserved
	quietPortHigh = 32000
)

// quietPortNext is the next quiet port to try, shared by the tests of this
// package (they run in parallel), so that no two get the same port.
var quietPortNext atomic.Int64

// quietPort returns a free loopback port below the ephemeral range.
func quietPort(t *testing.T) int {
	t.Helper()
	quietPortNext.CompareAndSwap(0, int64(quietPortLow+rand.N(1000)))
	for range quietPortHigh - quietPortLow {
		p := int(quietPortNext.Add(1))
		if p >= quietPortHigh {
			quietPortNext.Store(quietPortLow)
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return 0
}

// quietAddr is 127.0.0.1 and a quiet port.
func quietAddr(t *testing.T) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(quietPort(t)))
}

// startFaultProxy starts a fault proxy to target on a quiet port, closed
// when t ends. A port found free can still be taken before the proxy binds
// it (seen under load, by a process this suite does not know of), so a
// bind that fails with "address already in use" is retried on the next
// quiet port.
func startFaultProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	for attempt := 1; ; attempt++ {
		fp, err := faultproxy.Start(t.Context(), quietAddr(t), target)
		if err == nil {
			t.Cleanup(func() { _ = fp.Close() })
			return fp
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == 5 {
			t.Fatal(err)
		}
	}
}

// withQuietProxyPort makes the extension listen on a quiet port: an
// environment reset (timeout, crash) restarts it, and it must find its
// port free again.
func withQuietProxyPort(t *testing.T, opts lambdatest.Options) lambdatest.Options {
	opts.Env = append(opts.Env, "IDEMPOTENCY_PROXY_PORT="+strconv.Itoa(quietPort(t)))
	return opts
}

// closeTogether stops the emulators at the end of the test all at once:
// each takes up to the emulator's 2 s shutdown deadline (the Python runtime
// does not exit on SIGTERM), which adds up when they stop one by one.
// Register it after StartT: cleanups run last-registered first, and
// StartT's own cleanup then finds its emulator closed and checks for
// leftovers.
func closeTogether(t *testing.T, emus ...*lambdatest.Emulator) {
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, e := range emus {
			wg.Go(func() { _ = e.Close() })
		}
		wg.Wait()
	})
}
