package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// countedInvocations is how many invocations of each path are counted,
// after one uncounted invocation (connections, the record to replay).
const countedInvocations = 3

// OpCount is the store operations of one path, per invocation.
type OpCount struct {
	PerInvocation float64 `json:"per_invocation"`
	// Ops names the operations of all counted invocations, with counts.
	Ops string `json:"ops"`
}

// counter tallies operations by name.
type counter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *counter) add(op string) {
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
}

// take returns the tally and starts a new one.
func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = map[string]int{}
	return ops
}

// opCount turns a tally over n invocations into an OpCount.
func opCount(ops map[string]int, n int) OpCount {
	names := make([]string, 0, len(ops))
	total := 0
	for name, k := range ops {
		names = append(names, name)
		total += k
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s x%s", name, strconv.FormatFloat(float64(ops[name])/float64(n), 'f', -1, 64))
	}
	return OpCount{PerInvocation: float64(total) / float64(n), Ops: strings.Join(parts, ", ")}
}

// countingProxy forwards HTTP requests to a DynamoDB endpoint and counts
// them by operation (the X-Amz-Target header).
type countingProxy struct {
	counter
	srv *http.Server
	url string
}

func startCountingProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{counter: counter{ops: map[string]int{}}, url: "http://" + ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			op = op[i+1:]
		}
		p.add(op)
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *countingProxy) close() { _ = p.srv.Close() }

// countPath runs invoke once uncounted, then countedInvocations times, and
// returns the operations counted per invocation.
func countPath(ctx context.Context, c interface{ take() map[string]int }, invoke func(ctx context.Context, i int) (time.Duration, error)) (OpCount, error) {
	if _, err := invoke(ctx, 0); err != nil {
		return OpCount{}, err
	}
	c.take()
	for i := 1; i <= countedInvocations; i++ {
		if _, err := invoke(ctx, i); err != nil {
			return OpCount{}, err
		}
	}
	return opCount(c.take(), countedInvocations), nil
}

// countDynamo counts the DynamoDB operations of every path of RunDynamo,
// through a counting proxy in front of dynalite.
func countDynamo(ctx context.Context, env *Env, ev *Events, endpoint string) (map[string]OpCount, error) {
	cp, err := startCountingProxy(endpoint)
	if err != nil {
		return nil, err
	}
	defer cp.close()
	idem, err := startCounted(ctx, env, dynamoEnv(cp.url, tableIdemproxy))
	if err != nil {
		return nil, err
	}
	defer idem.Close()
	py, err := env.StartPeer("Powertools Python", "python", tablePython, cp.url)
	if err != nil {
		return nil, err
	}
	defer py.Close()
	ts, err := env.StartPeer("Powertools TypeScript", "typescript", tableTypeScript, cp.url)
	if err != nil {
		return nil, err
	}
	defer ts.Close()
	e := newStoreEvents(ev, "count", countedInvocations+1)
	out := map[string]OpCount{}
	for _, a := range []Arm{
		InvokeArm(RowFresh, idem, e.fresh, CheckRan()),
		InvokeArm(RowReplay, idem, constant(e.same), CheckReplay()),
		InvokeArm(RowError, idem, e.fail, CheckHandlerError()),
		PeerArm(RowPyFresh, py, e.fresh, PeerRan()),
		PeerArm(RowPyReplay, py, constant(e.same), PeerReplay()),
		PeerArm(RowTSFresh, ts, e.fresh, PeerRan()),
		PeerArm(RowTSReplay, ts, constant(e.same), PeerReplay()),
	} {
		if out[a.Name], err = countPath(ctx, &cp.counter, a.Run); err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
	}
	return out, nil
}

// respProxy forwards Redis connections to a server and counts the commands
// clients send (a command called inside a Lua script is not a round trip,
// so INFO commandstats, which counts those too, cannot be used).
type respProxy struct {
	counter
	ln     net.Listener
	target string
}

func startRESPProxy(target string) (*respProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &respProxy{counter: counter{ops: map[string]int{}}, ln: ln, target: target}
	go p.serve()
	return p, nil
}

func (p *respProxy) addr() string { return p.ln.Addr().String() }

func (p *respProxy) close() { _ = p.ln.Close() }

func (p *respProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

// relay copies one connection both ways, counting the client's commands.
func (p *respProxy) relay(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() {
		_, _ = io.Copy(c, s)
		c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		cmd, raw, err := readRESPCommand(r)
		if err != nil {
			return
		}
		p.add(strings.ToUpper(cmd))
		if _, err := s.Write(raw); err != nil {
			return
		}
	}
}

// readRESPCommand reads one client command (an array of bulk strings) and
// returns its name and its bytes.
func readRESPCommand(r *bufio.Reader) (string, []byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return "", nil, err
	}
	raw := line
	if len(line) < 3 || line[0] != '*' {
		return "", nil, fmt.Errorf("bench: unexpected RESP from client: %q", line)
	}
	n, err := strconv.Atoi(string(bytes.TrimRight(line[1:], "\r\n")))
	if err != nil {
		return "", nil, err
	}
	name := ""
	for i := range n {
		hdr, err := r.ReadBytes('\n')
		if err != nil {
			return "", nil, err
		}
		size, err := strconv.Atoi(string(bytes.TrimRight(hdr[1:], "\r\n")))
		if err != nil || hdr[0] != '$' {
			return "", nil, fmt.Errorf("bench: unexpected RESP argument %q", hdr)
		}
		arg := make([]byte, size+2)
		if _, err := io.ReadFull(r, arg); err != nil {
			return "", nil, err
		}
		if i == 0 {
			name = string(arg[:size])
		}
		raw = append(append(raw, hdr...), arg...)
	}
	return name, raw, nil
}

// countRedis counts the Redis commands of every path of RunRedis.
func countRedis(ctx context.Context, env *Env, ev *Events, addr string) (map[string]OpCount, error) {
	rp, err := startRESPProxy(addr)
	if err != nil {
		return nil, err
	}
	defer rp.close()
	idem, err := startCounted(ctx, env, redisEnv(rp.addr()))
	if err != nil {
		return nil, err
	}
	defer idem.Close()
	e := newStoreEvents(ev, "count", countedInvocations+1)
	out := map[string]OpCount{}
	for _, a := range []Arm{
		InvokeArm(RowFresh, idem, e.fresh, CheckRan()),
		InvokeArm(RowReplay, idem, constant(e.same), CheckReplay()),
		InvokeArm(RowError, idem, e.fail, CheckHandlerError()),
	} {
		if out[a.Name], err = countPath(ctx, &rp.counter, a.Run); err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
	}
	return out, nil
}

// setRoundTrips copies the counted operations into the section's rows.
func setRoundTrips(s *Section, ops map[string]OpCount) {
	for i := range s.Rows {
		if c, ok := ops[s.Rows[i].Name]; ok {
			s.Rows[i].RoundTrips = c.PerInvocation
		}
	}
}
