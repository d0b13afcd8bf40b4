package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// WriteMarkdown renders the report; notes (the optimisation log, verbatim)
// and chart (the image's file name) are included when not empty.
func (r *Report) WriteMarkdown(w io.Writer, notes, chart string) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# idemproxy benchmark results\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (`go run ./bench/cmd/report`) on %s, commit `%s`, in %s.\n\n",
		m.Started.UTC().Format("2006-01-02 15:04 UTC"), m.Commit, m.Elapsed.Round(time.Second))
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s RAM, Linux %s, %s. Load average (1, 5, 15 min) %s at the start, %s at the end. "+
		"Not Lambda: a Lambda function of up to 1,769 MB gets at most one vCPU. Every comparison below was measured in one "+
		"run, alternating between its rows invocation by invocation, so that the machine's noise hits every row alike; "+
		"p50 and p99 are nearest-rank percentiles; \"added\" is the row's p50 (p99) minus its baseline's.\n\n",
		m.CPU, m.Cores, m.Memory, m.Kernel, m.Go, m.LoadStart, m.LoadEnd)
	if chart != "" {
		fmt.Fprintf(&b, "![results](%s)\n\n", chart)
	}
	b.WriteString("## Targets (issue 7)\n\n| target | want | got | met |\n|---|---|---|---|\n")
	for _, t := range r.Targets() {
		met := "yes"
		if !t.Met {
			met = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.What, t.Want, t.Got, met)
	}
	b.WriteString("\n")
	for _, s := range []*Section{r.Local, r.Beyond, r.Hop} {
		if s != nil {
			writeSection(&b, s, false)
		}
	}
	for _, s := range []*StoreRun{r.Dynamo, r.Redis} {
		if s != nil {
			writeSection(&b, &s.Section, true)
			writeOps(&b, "Store operations per invocation", s.Ops)
			writeOps(&b, "On moto, which returns the old item of a failed conditional write (ALL_OLD) as DynamoDB does", s.OpsAllOld)
		}
	}
	for i := range r.Batch {
		writeSection(&b, &r.Batch[i].Section, true)
		writeBatchOps(&b, r.Batch[i].Ops)
	}
	if r.Dynamo != nil && len(r.Dynamo.ColdStarts) > 0 {
		writeColdStarts(&b, r)
	}
	writeSystem(&b, r)
	if len(r.Keys) > 0 {
		b.WriteString("## Key extraction and hashing\n\n`go test -run '^$' -bench Key ./bench/` measures the same cases. " +
			"Derive parses the event, evaluates the JMESPath expression and hashes the canonical JSON of the selection (md5). " +
			"The 1.4 KB event is API Gateway's, with its keys in API Gateway's order (not sorted). Each case is measured " +
			"several times (`testing.Benchmark`, about a second each), interleaved with the others; \"per key\" is the median, " +
			"next to the fastest and slowest run.\n\n" +
			"| event | configuration | bytes | per key | runs (min - max) | MB/s | allocs/op | bytes/op |\n|---|---|---|---|---|---|---|---|\n")
		for _, k := range r.Keys {
			spread := ""
			if len(k.Runs) > 1 {
				spread = fmt.Sprintf("%d: %s - %s", len(k.Runs), perOp(slices.Min(k.Runs)), perOp(slices.Max(k.Runs)))
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %.0f | %d | %d |\n", k.Event, k.Config, k.Size, perOp(k.PerOp), spread,
				float64(k.Size)/k.PerOp.Seconds()/1e6, k.AllocsPerOp, k.BytesPerOp)
		}
		if y := r.KeyYardstick; len(y.Runs) > 0 {
			fmt.Fprintf(&b, "\nThe machine's speed during these runs: md5 of %d bytes (no idemproxy code; the hash every whole-event "+
				"key ends with), measured the same way and interleaved with the rows above, took a median %s (%d runs: %s - %s). "+
				"This VM's speed drifts by half or more between runs, with the load of other tenants: compare rows of different "+
				"runs through this yardstick.\n", y.Size, perOp(y.PerOp), len(y.Runs), perOp(slices.Min(y.Runs)), perOp(slices.Max(y.Runs)))
		}
		b.WriteString("\n")
	}
	if p := r.Payloads; p != nil {
		writeSection(&b, &p.Section, false)
		fmt.Fprintf(&b, "Peak RSS (VmHWM) of the extension after this run: %s MiB as a pass-through, %s MiB recording in Redis.\n\n",
			mib(p.Peak[PayloadPassThrough]), mib(p.Peak[PayloadRedis]))
	}
	if c := r.Compression; c != nil {
		writeSection(&b, c, false)
	}
	if notes != "" {
		b.WriteString(strings.TrimSpace(notes) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func perOp(d time.Duration) string {
	if d < time.Millisecond {
		return us(d) + " us"
	}
	return ms(d) + " ms"
}

func writeSection(b *strings.Builder, s *Section, roundTrips bool) {
	fmt.Fprintf(b, "## %s\n\n%s\n\n", s.Title, s.Note)
	b.WriteString("| | n | p50 ms | p99 ms | added p50 ms | added p99 ms | p50 ratio |")
	if roundTrips {
		b.WriteString(" store round trips |")
	}
	b.WriteString("\n|---|---|---|---|---|---|---|")
	if roundTrips {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range s.Rows {
		added, addedP99, ratio := "", "", ""
		if row.Baseline != "" {
			added, addedP99, ratio = ms(row.Added), ms(row.AddedP99), fmt.Sprintf("%.2fx", row.Ratio)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s |", row.Name, row.Summary.N, ms(row.Summary.P50), ms(row.Summary.P99), added, addedP99, ratio)
		if roundTrips {
			rt := ""
			if row.RoundTrips >= 0 {
				rt = fmt.Sprintf("%g", row.RoundTrips)
			}
			fmt.Fprintf(b, " %s |", rt)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func writeOps(b *strings.Builder, title string, ops map[string]OpCount) {
	if len(ops) == 0 {
		return
	}
	fmt.Fprintf(b, "%s (counted over %d invocations per path, after one uncounted):\n\n", title, countedInvocations)
	for _, name := range []string{RowFresh, RowReplay, RowError, RowPyFresh, RowPyReplay, RowTSFresh, RowTSReplay} {
		if c, ok := ops[name]; ok {
			fmt.Fprintf(b, "- %s: %g (%s)\n", name, c.PerInvocation, c.Ops)
		}
	}
	b.WriteString("\n")
}

func writeColdStarts(b *strings.Builder, r *Report) {
	b.WriteString("## Cold start: Powertools' imports next to idemproxy's init\n\n" +
		"Medians over fresh processes. For the peers: importing the AWS SDK's DynamoDB client, then the Powertools " +
		"idempotency utility, then building the SDK client, persistence layer and idempotent handler (all inside the " +
		"function's init); \"process\" is the whole interpreter run, exec to exit. For idemproxy: exec to ready (first " +
		"/event/next: store client built, proxy serving), which Lambda overlaps with the runtime's own init.\n\n" +
		"| | n | SDK import ms | library import ms | client + handler ms | total ms | process ms |\n|---|---|---|---|---|---|---|\n")
	for _, c := range r.Dynamo.ColdStarts {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s |\n", c.Name, c.N, ms(c.SDKImport), ms(c.LibImport), ms(c.Client), ms(c.Total()), ms(c.Process))
	}
	for _, row := range r.Init {
		if row.Name == "DynamoDB store" {
			fmt.Fprintf(b, "| idemproxy (DynamoDB store) | %d | | | | %s | |\n", row.Ready.N, ms(row.Ready.P50))
		}
	}
	b.WriteString("\n")
}

func writeSystem(b *strings.Builder, r *Report) {
	if len(r.Init) == 0 && r.Load == nil && r.Binary == 0 {
		return
	}
	b.WriteString("## Extension init, memory and size\n\n")
	if len(r.Init) > 0 {
		b.WriteString("The stripped binary started against a stand-in Extensions API: exec to /register (the proxy already " +
			"listens) and exec to the first /event/next (init done); idle RSS once ready.\n\n" +
			"| configuration | n | registered p50 ms | registered p99 ms | ready p50 ms | ready p99 ms | idle RSS MiB |\n|---|---|---|---|---|---|---|\n")
		for _, row := range r.Init {
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s |\n", row.Name, row.Ready.N, ms(row.Registered.P50), ms(row.Registered.P99),
				ms(row.Ready.P50), ms(row.Ready.P99), mib(row.IdleRSS))
		}
		b.WriteString("\n")
	}
	if l := r.Load; l != nil {
		fmt.Fprintf(b, "On the emulator with the %s store: RSS %s MiB after the first invocation, %s MiB after %d invocations, peak %s MiB.\n\n",
			l.Store, mib(l.Idle), mib(l.After), l.Invocations, mib(l.Peak))
	}
	if r.Binary > 0 {
		fmt.Fprintf(b, "Stripped static binary (`make build`: `-trimpath -ldflags \"-s -w\"`, CGO off): %d bytes (%s MiB).\n\n", r.Binary, mib(r.Binary))
	}
}
