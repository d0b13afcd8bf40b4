package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// TestReliabilityListenerLoopbackOnly is scenario 7: the proxy's listener
// is bound to 127.0.0.1 only (the kernel's socket table says so), and no
// other local address reaches it.
func TestReliabilityListenerLoopbackOnly(t *testing.T) {
	t.Parallel()
	port := quietPort(t)
	opts := options(t, goRuntime)
	opts.Env = append(opts.Env, "IDEMPOTENCY_PROXY_PORT="+strconv.Itoa(port))
	emu := startIdempotent(t, opts, "IDEMPOTENCY_STORE=memory")
	decode(t, lambdatest.InvokeT(t, emu, lambdatest.Event{Action: lambdatest.ActionEcho}.JSON()))

	listening := listeners(t, port)
	if len(listening) == 0 {
		t.Fatalf("nothing listens on port %d", port)
	}
	for _, addr := range listening {
		if addr != "127.0.0.1" {
			t.Errorf("the proxy listens on %s:%d, want 127.0.0.1 only", addr, port)
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			t.Errorf("the proxy is reachable on %s", ipn.IP)
		}
	}
}

// listeners returns the local addresses of the TCP sockets listening on
// port, from /proc/net/tcp and /proc/net/tcp6 (the emulators share the
// host's network namespace).
func listeners(t *testing.T, port int) []string {
	t.Helper()
	var out []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			hostHex, portHex, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(portHex, 16, 16); !ok || err != nil || int(p) != port {
				continue
			}
			out = append(out, procAddr(hostHex))
		}
		f.Close()
	}
	return out
}

// procAddr decodes an address of /proc/net/tcp (little-endian words).
func procAddr(h string) string {
	b := make([]byte, len(h)/2)
	for i := range b {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		b[i] = byte(v)
	}
	for i := 0; i+4 <= len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b).String()
}

// TestReliabilityNoBodiesInLogs is scenario 7: at the default log level no
// event or response body appears in the output, whatever happens to the
// invocation: recorded, replayed, rejected for validation, in progress,
// unparsable, not JSON, without a key, or failed in the handler.
func TestReliabilityNoBodiesInLogs(t *testing.T) {
	t.Parallel()
	secret := "S3CR3T-" + rand.Text()
	emu := startIdempotent(t, withQuietProxyPort(t, options(t, goRuntime)), keyedEnv...)
	withSecret := func(action string, amount int, extra map[string]any) []byte {
		data := map[string]any{"order": "o-" + secret, "amount": amount, "note": secret}
		for k, v := range extra {
			data[k] = v
		}
		b, _ := json.Marshal(data)
		return lambdatest.Event{Action: action, Ms: 300, Message: secret, Data: b}.JSON()
	}
	invoke := func(payload []byte) lambdatest.Result { return lambdatest.InvokeT(t, emu, payload) }

	recorded := invoke(withSecret(lambdatest.ActionEcho, 1, nil))
	if !bytes.Contains(recorded.Body, []byte(secret)) {
		t.Fatalf("the response does not carry the secret, the test proves nothing: %s", recorded.Body)
	}
	invoke(withSecret(lambdatest.ActionEcho, 1, nil)) // replay
	invoke(withSecret(lambdatest.ActionEcho, 2, nil)) // validation error
	var wg sync.WaitGroup
	for range 2 { // in progress
		wg.Go(func() {
			_, _ = emu.Invoke(t.Context(), withSecret(lambdatest.ActionSleep, 1, map[string]any{"order": "slow-" + secret}))
		})
	}
	wg.Wait()
	invoke(withSecret(lambdatest.ActionError, 1, map[string]any{"order": "err-" + secret}))
	invoke(withSecret(lambdatest.ActionEcho, 1, map[string]any{"order": nil}))
	invoke([]byte(`{"data": {"order": "` + secret + `", "x": [1, 2`))
	invoke([]byte(`{"data": {"order": "` + secret + "\xff\"}}"))
	invoke([]byte("not json " + secret))

	logs := emu.Logs()
	if !strings.Contains(logs, startedLog) {
		t.Fatalf("the extension's output was not captured:\n%s", logs)
	}
	// The extension's lines are JSON with "extension":"idemproxy"; a crash
	// would print "panic:" or "fatal error:". (The handler's own runtime
	// logs its errors, with the message, as it does without the extension.)
	for i, line := range strings.Split(logs, "\n") {
		ours := strings.Contains(line, `"extension":"`+lambdatest.ExtensionName+`"`) ||
			strings.Contains(line, "panic:") || strings.Contains(line, "fatal error:")
		if ours && strings.Contains(line, secret) {
			t.Errorf("output line %d carries a body: %s", i, line)
		}
	}
}

// TestReliabilityNoCrossKeyReplay is scenario 7: a stored response is only
// ever returned for its own key and matching payload, on every store and
// read path: DynamoDB with ALL_OLD (moto) and with a consistent read after
// a failed write (dynalite), Redis, memory, and the local cache.
func TestReliabilityNoCrossKeyReplay(t *testing.T) {
	t.Parallel()
	stores := map[string][]string{
		"memory+cache": append(append([]string{}, keyedEnv...), "IDEMPOTENCY_USE_LOCAL_CACHE=true"),
	}
	endpoint, _ := startDynamo(t)
	stores["dynalite"] = dynamoEnv(endpoint)
	p := testservers.MustStartRedis(t)
	redisEnv := []string{"IDEMPOTENCY_REDIS_URL=redis://" + p.Addr + "/0", "IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order",
		"IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH=data.amount"}
	stores["redis"] = redisEnv
	stores["redis+cache"] = append(append([]string{}, redisEnv...), "IDEMPOTENCY_USE_LOCAL_CACHE=true")
	moto, err := testservers.StartMoto(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = moto.Stop() })
	if err := testservers.CreateTable(t.Context(), testservers.Endpoint(moto), "idem", "id", ""); err != nil {
		t.Fatal(err)
	}
	stores["moto"] = dynamoEnv(testservers.Endpoint(moto))

	for name, env := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			emu := startIdempotent(t, withQuietProxyPort(t, options(t, goRuntime)), env...)
			count := filepath.Join(t.TempDir(), "runs")
			keys := 15
			bodies := map[string][]byte{}
			for round := range 2 {
				for k := range keys {
					key := fmt.Sprintf("%s-%d", name, k)
					res := lambdatest.InvokeT(t, emu, order("echo", key, k, count))
					var got struct {
						Event struct {
							Data struct{ Order string }
						}
					}
					if err := json.Unmarshal(res.Body, &got); err != nil || got.Event.Data.Order != key {
						t.Fatalf("key %s (round %d) got the response of %q: %s", key, round, got.Event.Data.Order, res.Body)
					}
					if round == 0 {
						bodies[key] = res.Body
					} else if !bytes.Equal(res.Body, bodies[key]) {
						t.Fatalf("key %s: replay %s, want %s", key, res.Body, bodies[key])
					}
					// Same key, another amount: never the stored response.
					bad := lambdatest.InvokeT(t, emu, order("echo", key, k+1000, count))
					if fe := decodeError(t, bad, 200); fe.ErrorType != "IdempotencyValidationError" {
						t.Fatalf("key %s with another amount: %+v", key, fe)
					}
				}
			}
			if n := executions(t, count); n != keys {
				t.Errorf("%d executions for %d keys", n, keys)
			}
		})
	}
}
