package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Peer is a Powertools handler process driven over stdin/stdout: one JSON
// event per line in, one answer per line out.
type Peer struct {
	Name string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	errs bytes.Buffer
}

// PeerAnswer is a peer's answer to one event.
type PeerAnswer struct {
	// NS is the handler call's own duration, measured inside the process.
	NS     int64           `json:"ns"`
	Result json.RawMessage `json:"result"`
	Error  *string         `json:"error"`
}

// peerCommand returns the command line of a peer script in mode
// ("serve" or "cold") against table at endpoint.
func (env *Env) peerCommand(lang, mode, table, endpoint string) (*exec.Cmd, error) {
	dir := filepath.Join(env.Root, "bench", "peers")
	var cmd *exec.Cmd
	switch lang {
	case "python":
		cmd = exec.Command(env.Python, "powertools_py.py", mode, table, endpoint)
	case "typescript":
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-lambda-powertools", "idempotency")); err != nil {
			return nil, fmt.Errorf("%w: bench/peers/node_modules: run `make bench-deps`", ErrMissingDependency)
		}
		cmd = exec.Command(env.Node, "powertools_ts.mjs", mode, table, endpoint)
	default:
		return nil, fmt.Errorf("bench: unknown peer %q", lang)
	}
	cmd.Dir = dir
	cmd.Env = append(withoutAWS(os.Environ()), dynamoCredentials()...)
	return cmd, nil
}

// dynamoCredentials are the variables every DynamoDB client of the suite
// gets (dynalite accepts any credentials).
func dynamoCredentials() []string {
	return []string{"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true"}
}

// withoutAWS drops the caller's AWS and Powertools settings from env.
func withoutAWS(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "POWERTOOLS_") {
			out = append(out, kv)
		}
	}
	return out
}

// StartPeer starts a peer serving events against table at endpoint.
func (env *Env) StartPeer(name, lang, table, endpoint string) (*Peer, error) {
	cmd, err := env.peerCommand(lang, "serve", table, endpoint)
	if err != nil {
		return nil, err
	}
	p := &Peer{Name: name, cmd: cmd}
	cmd.Stderr = &p.errs
	if p.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.out = bufio.NewReaderSize(stdout, 1<<20)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	return p, nil
}

// Invoke hands event to the peer's handler and returns its answer.
func (p *Peer) Invoke(event []byte) (PeerAnswer, error) {
	line := append(bytes.TrimSpace(event), '\n')
	if _, err := p.in.Write(line); err != nil {
		return PeerAnswer{}, fmt.Errorf("bench: %s: %w\n%s", p.Name, err, p.errs.String())
	}
	out, err := p.out.ReadBytes('\n')
	if err != nil {
		return PeerAnswer{}, fmt.Errorf("bench: %s: %w\n%s", p.Name, err, p.errs.String())
	}
	var a PeerAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		return PeerAnswer{}, fmt.Errorf("bench: %s: answer %.200q: %w", p.Name, out, err)
	}
	return a, nil
}

// Close ends the peer (end of input) and waits for it.
func (p *Peer) Close() error {
	p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		return <-done
	}
}

// PeerCheck validates a peer's answer to invocation i.
type PeerCheck func(i int, event []byte, a PeerAnswer) error

// PeerArm invokes the peer with event(i); its duration is the peer's
// in-process handler time.
func PeerArm(name string, p *Peer, event func(int) []byte, check PeerCheck) Arm {
	return Arm{Name: name, Run: func(_ context.Context, i int) (time.Duration, error) {
		ev := event(i)
		a, err := p.Invoke(ev)
		if err != nil {
			return 0, err
		}
		if err := check(i, ev, a); err != nil {
			return 0, fmt.Errorf("%w: %w (answer %.300s, error %v)", ErrCheck, err, a.Result, a.Error)
		}
		return time.Duration(a.NS), nil
	}}
}

// PeerRan accepts the handler's echo of the event.
func PeerRan() PeerCheck {
	return func(_ int, event []byte, a PeerAnswer) error {
		if a.Error != nil {
			return fmt.Errorf("handler failed: %s", *a.Error)
		}
		var got echoed
		if err := json.Unmarshal(a.Result, &got); err != nil || got.Count < 1 || !jsonEqual(got.Event, event) {
			return errors.New("not the handler's echo of the event")
		}
		return nil
	}
}

// PeerReplay accepts the first answer when the handler ran, and later ones
// only when they equal it (the handler's count did not move).
func PeerReplay() PeerCheck {
	var first []byte
	ran := PeerRan()
	return func(i int, event []byte, a PeerAnswer) error {
		if first == nil {
			if err := ran(i, event, a); err != nil {
				return err
			}
			first = bytes.Clone(a.Result)
			return nil
		}
		if a.Error != nil || !jsonEqual(a.Result, first) {
			return errors.New("not a replay of the first answer")
		}
		return nil
	}
}

// PeerHandlerError accepts the handler's own error.
func PeerHandlerError() PeerCheck {
	return func(_ int, _ []byte, a PeerAnswer) error {
		if a.Error == nil || *a.Error != "TestError" {
			return errors.New("not the handler's TestError")
		}
		return nil
	}
}

// ColdStart is a peer's start-up cost, medians over fresh processes.
type ColdStart struct {
	Name string `json:"name"`
	// SDKImport is importing the AWS SDK's DynamoDB client, LibImport the
	// Powertools idempotency utility after it, Client building the SDK
	// client, persistence layer and idempotent handler.
	SDKImport time.Duration `json:"sdk_import"`
	LibImport time.Duration `json:"lib_import"`
	Client    time.Duration `json:"client"`
	// Process is the whole process, exec to exit (interpreter start-up
	// included).
	Process time.Duration `json:"process"`
	N       int           `json:"n"`
}

// Total is SDKImport + LibImport + Client.
func (c ColdStart) Total() time.Duration { return c.SDKImport + c.LibImport + c.Client }

// MeasureColdStart starts the peer n times in "cold" mode.
func (env *Env) MeasureColdStart(ctx context.Context, name, lang, endpoint string, n int) (ColdStart, error) {
	var sdk, lib, client, proc []time.Duration
	for range n {
		cmd, err := env.peerCommand(lang, "cold", "unused", endpoint)
		if err != nil {
			return ColdStart{}, err
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		elapsed := time.Since(start)
		if err != nil {
			return ColdStart{}, fmt.Errorf("bench: %s cold start: %w\n%s", name, err, stderr.Bytes())
		}
		var t struct {
			SDK    int64 `json:"sdk_import_ns"`
			Lib    int64 `json:"lib_import_ns"`
			Client int64 `json:"client_ns"`
		}
		if err := json.Unmarshal(out, &t); err != nil {
			return ColdStart{}, fmt.Errorf("bench: %s cold start output %q: %w", name, out, err)
		}
		sdk = append(sdk, time.Duration(t.SDK))
		lib = append(lib, time.Duration(t.Lib))
		client = append(client, time.Duration(t.Client))
		proc = append(proc, elapsed)
		if ctx.Err() != nil {
			return ColdStart{}, ctx.Err()
		}
	}
	return ColdStart{Name: name, SDKImport: Median(sdk), LibImport: Median(lib), Client: Median(client), Process: Median(proc), N: n}, nil
}
