// Command report runs idemproxy's benchmark suite (package bench) and writes
// bench/results.md, bench/results.json and, through bench/chart.py,
// bench/results.png. `make bench` runs it from the repository root.
//
//	go run ./bench/cmd/report [-only hop,local,beyond,dynamo,redis,init,load,keys,payloads,compression] [-smoke] [-out bench/results.md]
//	go run ./bench/cmd/report -from bench/results.json   (re-render only)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/bench"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, os.Args[1:]); err != nil {
		log.Error("benchmark failed", "error", err)
		os.Exit(1)
	}
}

// sections in the order they run.
var sections = []string{"keys", "hop", "local", "beyond", "dynamo", "redis", "batch", "init", "load", "payloads", "compression"}

func run(log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	out := fs.String("out", "bench/results.md", "the Markdown report")
	jsonOut := fs.String("json", "bench/results.json", "the raw results, for the chart")
	chart := fs.String("chart", "bench/results.png", "the chart (made by bench/chart.py); empty for none")
	notes := fs.String("notes", "bench/optimisations.md", "notes appended to the report verbatim; empty for none")
	only := fs.String("only", strings.Join(sections, ","), "the sections to run")
	smoke := fs.Bool("smoke", false, "run every path once (bench.SmokeSizes)")
	timeout := fs.Duration("timeout", 9*time.Minute, "give up after this long")
	var vars multiFlag
	fs.Var(&vars, "emulator-env", "KEY=VALUE for every emulator (repeatable; for experiments)")
	from := fs.String("from", "", "re-render the report from this results.json (written by an earlier run) without measuring")
	compare := fs.String("compare", "", "another idemproxy binary to measure alongside in the pass-through and memory runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from != "" {
		raw, err := os.ReadFile(*from)
		if err != nil {
			return err
		}
		var rep bench.Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			return fmt.Errorf("%s: %w", *from, err)
		}
		root, err := os.Getwd()
		if err != nil {
			return err
		}
		return write(log, &rep, *out, *jsonOut, *chart, *notes, filepath.Join(root, ".venv", "bin", "python"))
	}
	want := map[string]bool{}
	for s := range strings.SplitSeq(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	rep := &bench.Report{Machine: bench.DescribeMachine(root), Sizes: bench.FullSizes}
	if *smoke {
		rep.Sizes = bench.SmokeSizes
	}
	dir, err := os.MkdirTemp("", "idemproxy-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log.Info("building", "dir", dir)
	env, err := bench.Setup(ctx, dir)
	if err != nil {
		return err
	}
	env.Compare, env.Vars = *compare, vars
	ev, err := bench.LoadEvents(env.Root)
	if err != nil {
		return err
	}
	var srv *bench.Servers
	servers := func() (*bench.Servers, error) {
		if srv == nil {
			s, err := bench.StartServers(ctx)
			if err != nil {
				return nil, err
			}
			srv = s
		}
		return srv, nil
	}
	defer func() {
		if srv != nil {
			srv.Stop()
		}
	}()
	for _, name := range sections {
		if !want[name] {
			continue
		}
		start := time.Now()
		log.Info("running", "section", name, "load", bench.LoadAverage())
		if err := runSection(ctx, name, rep, env, ev, servers); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		log.Info("done", "section", name, "took", time.Since(start).Round(time.Millisecond))
	}
	rep.Machine.LoadEnd = bench.LoadAverage()
	rep.Machine.Elapsed = time.Since(rep.Machine.Started)
	return write(log, rep, *out, *jsonOut, *chart, *notes, env.Python)
}

func runSection(ctx context.Context, name string, rep *bench.Report, env *bench.Env, ev *bench.Events, servers func() (*bench.Servers, error)) error {
	sz := rep.Sizes
	switch name {
	case "keys":
		cases, err := bench.KeyCases(ev)
		if err != nil {
			return err
		}
		rep.Keys, rep.KeyYardstick = bench.RunKeys(cases, bench.KeyRepeats)
	case "hop":
		s, err := bench.RunHop(ctx, ev.Template(), sz.Warmup*10, sz.Rounds*10)
		if err != nil {
			return err
		}
		rep.Hop = &s
	case "local":
		s, err := bench.RunLocal(ctx, env, ev, sz)
		if err != nil {
			return err
		}
		rep.Local = &s
	case "beyond":
		s, err := bench.RunBeyond(ctx, env, ev, sz)
		if err != nil {
			return err
		}
		rep.Beyond = &s
	case "dynamo", "redis", "batch", "init", "load", "payloads", "compression":
		srv, err := servers()
		if err != nil {
			return err
		}
		return runStoreSection(ctx, name, rep, env, ev, srv)
	}
	return nil
}

func runStoreSection(ctx context.Context, name string, rep *bench.Report, env *bench.Env, ev *bench.Events, srv *bench.Servers) error {
	sz := rep.Sizes
	var err error
	switch name {
	case "dynamo":
		var r bench.StoreRun
		if r, err = bench.RunDynamo(ctx, env, ev, sz, srv.DynamoEndpoint); err == nil {
			rep.Dynamo = &r
		}
	case "redis":
		var r bench.StoreRun
		if r, err = bench.RunRedis(ctx, env, ev, sz, srv.RedisAddr); err == nil {
			rep.Redis = &r
		}
	case "batch":
		rep.Batch, err = bench.RunBatch(ctx, env, sz, srv)
	case "init":
		if rep.Init, err = bench.MeasureInit(ctx, env, srv.DynamoEndpoint, srv.RedisAddr, sz.InitStarts); err == nil {
			rep.Binary, err = env.BinarySize()
		}
	case "load":
		var l bench.LoadRSS
		if l, err = bench.MeasureLoad(ctx, env, ev, srv.DynamoEndpoint, sz.LoadInvocations); err == nil {
			rep.Load = &l
		}
	case "payloads":
		var p bench.PayloadRun
		if p, err = bench.RunPayloads(ctx, env, ev, sz, srv.RedisAddr); err == nil {
			rep.Payloads = &p
		}
	case "compression":
		var c bench.Section
		if c, err = bench.RunCompression(ctx, env, ev, sz, srv.DynamoEndpoint, srv.RedisAddr); err == nil {
			rep.Compression = &c
		}
	}
	return err
}

// write saves the JSON, draws the chart and writes the Markdown report.
func write(log *slog.Logger, rep *bench.Report, out, jsonOut, chart, notesFile, python string) error {
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(jsonOut, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	chartRef := ""
	if chart != "" {
		cmd := exec.Command(python, filepath.Join("bench", "chart.py"), jsonOut, chart)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("chart: %w (run `make bench-deps` for matplotlib)", err)
		}
		chartRef = relativeTo(out, chart)
	}
	var notes []byte
	if notesFile != "" {
		if notes, err = os.ReadFile(notesFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := rep.WriteMarkdown(f, string(notes), chartRef); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	log.Info("written", "report", out, "json", jsonOut, "chart", chart)
	var met, all int
	for _, t := range rep.Targets() {
		all++
		if t.Met {
			met++
		}
	}
	_, _ = io.WriteString(os.Stderr, fmt.Sprintf("targets met: %d of %d\n", met, all))
	return nil
}

// relativeTo returns target's path relative to the folder of file.
func relativeTo(file, target string) string {
	rel, err := filepath.Rel(filepath.Dir(file), target)
	if err != nil {
		return target
	}
	return rel
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set appends v.
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}
