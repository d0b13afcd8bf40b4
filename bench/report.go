package bench

import (
	"fmt"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
)

// Report is everything one run of the suite measured.
type Report struct {
	Machine Machine  `json:"machine"`
	Sizes   Sizes    `json:"sizes"`
	Hop     *Section `json:"hop,omitempty"`
	Local   *Section `json:"local,omitempty"`
	// Beyond is RunBeyond's section (beyond.go).
	Beyond *Section  `json:"beyond,omitempty"`
	Dynamo *StoreRun `json:"dynamo,omitempty"`
	Redis  *StoreRun `json:"redis,omitempty"`
	Init   []InitRow `json:"init,omitempty"`
	Load   *LoadRSS  `json:"load,omitempty"`
	Binary int64     `json:"binary,omitempty"`
	Keys   []KeyRow  `json:"keys,omitempty"`
	// KeyYardstick is the machine's speed during the key runs (RunKeys).
	KeyYardstick KeyRow      `json:"key_yardstick,omitzero"`
	Payloads     *PayloadRun `json:"payloads,omitempty"`
	// Compression is RunCompression's section (compression.go).
	Compression *Section `json:"compression,omitempty"`
	// Batch is the batch-mode run (batch.go), one per store.
	Batch []StoreRun `json:"batch,omitempty"`
}

// Limits of issue 7.
const (
	maxPassThroughAdded = 200 * time.Microsecond
	maxMemFreshAdded    = 300 * time.Microsecond
	maxInit             = 15 * time.Millisecond
	maxIdleRSS          = 20 << 20
	maxBinary           = 12 << 20
	maxKeySmall         = 5 * time.Microsecond
	maxKeyLarge         = 20 * time.Millisecond
)

// Targets checks the run against issue 7's targets; parts not run are left
// out.
func (r *Report) Targets() []Target {
	var t []Target
	add := func(what, want, got string, met bool) { t = append(t, Target{what, want, got, met}) }
	if s := r.Local; s != nil {
		pass, rp := s.Row(RowPassThrough), s.Row(RowReverseProxy)
		add("Pass-through: added p50 per invocation (emulator)", "<= 0.200 ms", ms(pass.Added)+" ms",
			pass.Added <= maxPassThroughAdded)
		add("Pass-through: added p50 vs httputil.ReverseProxy's", "<= 0.5x", fmt.Sprintf("%.2fx (%s vs %s ms)",
			Ratio(pass.Added, rp.Added), ms(pass.Added), ms(rp.Added)), rp.Added > 0 && pass.Added*2 <= rp.Added)
		fresh := s.Row(RowMemFresh)
		add("Memory store: fresh, added p50", "<= 0.300 ms", ms(fresh.Added)+" ms", fresh.Added <= maxMemFreshAdded)
		for _, name := range []string{RowMemReplay, RowCacheReplay} {
			row := s.Row(name)
			add(capitalize(name)+": p50 vs no extension", "<= 1.00x", fmt.Sprintf("%.2fx", row.Ratio), row.Ratio <= 1)
		}
	}
	if d := r.Dynamo; d != nil {
		rt := d.OpsAllOld[RowReplay].PerInvocation
		add("DynamoDB replay where ALL_OLD is available (moto): store round trips", "1", fmt.Sprintf("%g (%s)", rt, d.OpsAllOld[RowReplay].Ops), rt == 1)
		for _, p := range []struct{ row, py, ts string }{{RowFresh, RowPyFresh, RowTSFresh}, {RowReplay, RowPyReplay, RowTSReplay}} {
			for _, srv := range []struct {
				name string
				ops  map[string]OpCount
			}{{"dynalite", d.Ops}, {"moto", d.OpsAllOld}} {
				pt, got := srv.ops[p.py].PerInvocation, srv.ops[p.row].PerInvocation
				add(fmt.Sprintf("%s on %s: round trips vs Powertools Python", capitalize(p.row), srv.name), "<= Powertools",
					fmt.Sprintf("%g vs %g", got, pt), got <= pt)
			}
			me := d.Section.Row(p.row)
			for _, peer := range []string{p.py, p.ts} {
				pr := d.Section.Row(peer)
				ratio := Ratio(me.Summary.P50, pr.Summary.P50)
				add(capitalize(p.row)+" end-to-end p50 vs "+peer+" in-process", "<= 1.00x",
					fmt.Sprintf("%.2fx (%s vs %s ms)", ratio, ms(me.Summary.P50), ms(pr.Summary.P50)), ratio <= 1)
			}
		}
	}
	for _, row := range r.Init {
		add("Init p50 (exec to ready), "+row.Name, "<= 15 ms", ms(row.Ready.P50)+" ms", row.Ready.P50 <= maxInit)
	}
	for _, row := range r.Init {
		add("Idle RSS after init, "+row.Name, "<= 20 MiB", mib(row.IdleRSS)+" MiB", row.IdleRSS <= maxIdleRSS)
	}
	if l := r.Load; l != nil {
		add(fmt.Sprintf("RSS after %d invocations (%s)", l.Invocations, l.Store), "<= 20 MiB", mib(l.After)+" MiB", l.After <= maxIdleRSS)
	}
	if p := r.Payloads; p != nil {
		limit := int64(maxIdleRSS + 2*PayloadLarge)
		for _, name := range []string{PayloadPassThrough, PayloadRedis} {
			add("Peak RSS with 5.9 MB responses, "+name, "<= 20 MiB + 2 x 5.9 MB = "+mib(limit)+" MiB",
				mib(p.Peak[name])+" MiB", p.Peak[name] <= limit)
		}
	}
	if r.Binary > 0 {
		add("Stripped binary", "<= 12 MiB", mib(r.Binary)+" MiB", r.Binary <= maxBinary)
	}
	for _, k := range r.Keys {
		limit, want := maxKeySmall, "<= 5 us"
		switch k.Event {
		case "6 MB":
			limit, want = maxKeyLarge, "<= 20 ms"
		case "256 KiB":
			continue // no target
		}
		if k.Format == idempotency.FormatTypeScript {
			continue // the targets are for the default (Python) key format
		}
		add("Key + hash, "+k.Event+", "+k.Config, want, us(k.PerOp)+" us", k.PerOp <= limit)
	}
	return t
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
