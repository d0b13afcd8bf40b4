package testservers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/freeport"
)

// dialRedis connects to addr and returns a function sending one command.
func dialRedis(t *testing.T, addr string) func(args ...string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(conn)
	return func(args ...string) string {
		t.Helper()
		reply, err := command(conn, rd, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return reply
	}
}

func TestStartRedis(t *testing.T) {
	p := MustStartRedis(t)
	do := dialRedis(t, p.Addr)
	if got := do("PING"); got != "+PONG" {
		t.Fatalf("PING = %q", got)
	}
	if got := do("SET", "k", "v"); got != "+OK" {
		t.Fatalf("SET = %q", got)
	}
	if got := do("GET", "k"); got != "v" {
		t.Fatalf("GET = %q, want v", got)
	}
	if info := do("INFO", "persistence"); !strings.Contains(info, "aof_enabled:0") {
		t.Errorf("AOF is on:\n%s", info)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", p.Addr)
	}
}

func TestStartRedisCluster(t *testing.T) {
	p := MustStartRedisCluster(t)
	do := dialRedis(t, p.Addr)
	if info := do("CLUSTER", "INFO"); !strings.Contains(info, "cluster_state:ok") ||
		!strings.Contains(info, "cluster_slots_assigned:16384") {
		t.Fatalf("CLUSTER INFO:\n%s", info)
	}
	for i := range 20 { // keys spread over many slots, all served here
		key := fmt.Sprintf("key-%d", i)
		if got := do("SET", key, "v"); got != "+OK" {
			t.Fatalf("SET %s = %q", key, got)
		}
	}
	// The cluster bus listens below the ports the e2e suite keeps for
	// itself, not on the client port plus 10000.
	nodes := do("CLUSTER", "NODES")
	_, bus, ok := strings.Cut(nodes, "@")
	if end := strings.IndexFunc(bus, func(r rune) bool { return r < '0' || r > '9' }); ok && end > 0 {
		bus = bus[:end]
	}
	if port, err := strconv.Atoi(bus); err != nil || port >= freeport.Reserved {
		t.Fatalf("cluster bus port %q (%v), want one below %d; CLUSTER NODES:\n%s", bus, err, freeport.Reserved, nodes)
	}
}

func TestStartRedisMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartRedis(t.Context())
	if !errors.Is(err, ErrRedisNotInstalled) {
		t.Fatalf("err = %v, want ErrRedisNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "make deps") {
		t.Errorf("error %q does not tell the user to run make deps", err)
	}
	for _, tc := range []struct {
		allow    string
		wantSkip bool
	}{{"", false}, {"0", false}, {"1", true}} {
		t.Run("allow="+tc.allow, func(t *testing.T) {
			t.Setenv(AllowNoRedisEnv, tc.allow)
			fake := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				MustStartRedis(fake)
			}()
			<-done
			if fake.skipped != tc.wantSkip || fake.failed == tc.wantSkip {
				t.Fatalf("skipped=%v failed=%v, want skipped=%v", fake.skipped, fake.failed, tc.wantSkip)
			}
			if !strings.Contains(fake.msg, "make deps") {
				t.Errorf("message %q does not mention make deps", fake.msg)
			}
		})
	}
}

// recordingTB records Fatal and Skip calls instead of ending the real test.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordingTB) Helper()                  {}
func (r *recordingTB) Context() context.Context { return context.Background() }
func (r *recordingTB) Fatal(args ...any) {
	r.failed, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
