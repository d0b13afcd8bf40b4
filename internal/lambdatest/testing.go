package lambdatest

import (
	"os"
	"testing"
)

// StartT starts an emulator for a test and closes it in t.Cleanup, where it
// also checks that none of its processes survived and prints its output when
// the test failed (or always with -v and LAMBDATEST_LOGS=1).
func StartT(t testing.TB, opts Options) *Emulator {
	t.Helper()
	e, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
		if left, err := e.Processes(); err != nil || len(left) > 0 {
			t.Errorf("emulator %s: processes left after Close: %v (%v)", e.ID, left, err)
		}
		if t.Failed() || (testing.Verbose() && os.Getenv("LAMBDATEST_LOGS") == "1") {
			t.Logf("emulator %s output:\n%s", e.ID, e.Logs())
		}
	})
	return e
}

// InvokeT invokes the function and fails the test on a transport error.
func InvokeT(t testing.TB, e *Emulator, payload []byte, opts ...InvokeOption) Result {
	t.Helper()
	res, err := e.Invoke(t.Context(), payload, opts...)
	if err != nil {
		t.Fatalf("invoke %s: %v", payload, err)
	}
	return res
}
