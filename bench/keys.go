package bench

import (
	"crypto/md5"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
)

// KeyCase is one key derivation measured: an event and a configuration.
type KeyCase struct {
	Event  string
	Config string
	Bytes  []byte
	Keyer  *idempotency.Keyer
}

// KeyRow is a KeyCase's result.
type KeyRow struct {
	Event  string `json:"event"`
	Config string `json:"config"`
	// Format is the key format measured ("" for the default).
	Format idempotency.KeyFormat `json:"format,omitempty"`
	Size   int                   `json:"size"`
	// PerOp is the median of Runs.
	PerOp time.Duration `json:"per_op"`
	// Runs are the per-key times of the repeated measurements.
	Runs        []time.Duration `json:"runs,omitempty"`
	AllocsPerOp int64           `json:"allocs_per_op"`
	BytesPerOp  int64           `json:"bytes_per_op"`
	Iterations  int             `json:"iterations"`
}

// keyConfigs are the configurations measured, by name.
var keyConfigs = []struct {
	name string
	cfg  idempotency.KeyConfig
}{
	{"key " + KeyJMESPath, idempotency.KeyConfig{EventKeyJMESPath: KeyJMESPath, KeyPrefix: "bench.app.handler"}},
	{"key requestContext.requestId", idempotency.KeyConfig{EventKeyJMESPath: "requestContext.requestId", KeyPrefix: "bench.app.handler"}},
	{"whole event (no JMESPath)", idempotency.KeyConfig{KeyPrefix: "bench.app.handler"}},
	// IDEMPOTENCY_KEY_FORMAT=powertools-typescript (issue 9: a line where a
	// feature costs time; the issue 7 targets are for the default format).
	{"key " + KeyJMESPath + tsFormatSuffix, idempotency.KeyConfig{EventKeyJMESPath: KeyJMESPath, KeyPrefix: "bench", Format: idempotency.FormatTypeScript}},
	{"whole event (no JMESPath)" + tsFormatSuffix, idempotency.KeyConfig{KeyPrefix: "bench", Format: idempotency.FormatTypeScript}},
}

// tsFormatSuffix names the key configurations in Powertools TypeScript's
// key format.
const tsFormatSuffix = ", TypeScript key format"

// KeyCases builds the cases: the 1.4 KB API Gateway event, and the same
// event with its JSON body grown to make the event 256 KiB and 6 MB.
func KeyCases(ev *Events) ([]KeyCase, error) {
	events := []struct {
		name string
		b    []byte
	}{
		{"API Gateway 1.4 KB", ev.Template()},
		{"256 KiB", ev.Grown(256 << 10)},
		{"6 MB", ev.Grown(6_000_000)},
	}
	var cases []KeyCase
	for _, e := range events {
		for _, c := range keyConfigs {
			k, err := idempotency.NewKeyer(c.cfg)
			if err != nil {
				return nil, err
			}
			if d, err := k.Derive(e.b); err != nil || d.MissingKey {
				return nil, fmt.Errorf("%w: %s / %s: %v (missing key: %v)", ErrCheck, e.name, c.name, err, d.MissingKey)
			}
			cases = append(cases, KeyCase{Event: e.name, Config: c.name, Bytes: e.b, Keyer: k})
		}
	}
	return cases, nil
}

// Run derives the key of c's event b.N times.
func (c KeyCase) Run(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(c.Bytes)))
	for b.Loop() {
		if _, err := c.Keyer.Derive(c.Bytes); err != nil {
			b.Fatal(err)
		}
	}
}

// KeyRepeats is how many times RunKeys measures each case: one
// testing.Benchmark takes about a second, and a VM's speed drifts over
// seconds, so each case is measured several times, interleaved with the
// others, and the median is reported with the range.
const KeyRepeats = 5

// YardstickBytes is the input of the machine's speed yardstick: about the
// length of the 1.4 KB event's canonical JSON.
const YardstickBytes = 1600

// yardstick measures the machine, not idemproxy: md5 of YardstickBytes
// bytes, the hash every whole-event key ends with. This VM's speed drifts
// by half or more between runs (noisy neighbours), so the key rows are
// read next to it.
func yardstick(b *testing.B) {
	buf := make([]byte, YardstickBytes)
	b.SetBytes(YardstickBytes)
	for b.Loop() {
		md5.Sum(buf)
	}
}

// RunKeys benchmarks every case with testing.Benchmark, repeats times
// (interleaved), and reports each one's median, and the machine's
// yardstick measured the same way, interleaved with the cases.
func RunKeys(cases []KeyCase, repeats int) (rows []KeyRow, yard KeyRow) {
	repeats = max(repeats, 1)
	rows = make([]KeyRow, len(cases))
	yard = KeyRow{Event: "yardstick", Config: fmt.Sprintf("md5 of %d bytes", YardstickBytes), Size: YardstickBytes}
	for rep := range repeats {
		r := testing.Benchmark(yardstick)
		yard.Runs = append(yard.Runs, time.Duration(r.NsPerOp()))
		yard.Iterations += r.N
		for i, c := range cases {
			r := testing.Benchmark(c.Run)
			row := &rows[i]
			if rep == 0 {
				*row = KeyRow{Event: c.Event, Config: c.Config, Format: c.Keyer.Config().Format, Size: len(c.Bytes),
					AllocsPerOp: r.AllocsPerOp(), BytesPerOp: r.AllocedBytesPerOp()}
			}
			row.Runs = append(row.Runs, time.Duration(r.NsPerOp()))
			row.Iterations += r.N
		}
	}
	for i := range rows {
		rows[i].PerOp = median(rows[i].Runs)
	}
	yard.PerOp = median(yard.Runs)
	return rows, yard
}

func median(runs []time.Duration) time.Duration {
	sorted := slices.Sorted(slices.Values(runs))
	return sorted[len(sorted)/2]
}

// Grown returns the API Gateway event with a JSON body (an order with many
// items: unicode, floats, big integers) grown until the event is about
// size bytes.
func (ev *Events) Grown(size int) []byte {
	base := len(ev.Template())
	var body strings.Builder
	body.WriteString(`{"order_id": 12345678901234567890, "user_id": "xyz", "items": [`)
	// The body is embedded as a JSON string: quotes are escaped, so it
	// grows about 1.15 times.
	for i := 0; float64(body.Len())*1.15+float64(base) < float64(size); i++ {
		if i > 0 {
			body.WriteString(", ")
		}
		fmt.Fprintf(&body, `{"sku": "SKU-%06d", "name": "caf\u00e9 item %d", "qty": %d, "price": %d.%02d, "meta": {"z": true, "a": null, "id": %d}}`,
			i, i, i%7, i%100, i%97, 9007199254740993+i)
	}
	body.WriteString("]}")
	return ev.encode(map[string]any{"body": body.String()}, nil)
}
