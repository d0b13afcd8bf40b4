package idempotency

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestMarkReplayed(t *testing.T) {
	const h = "X-Idempotent-Replay"
	for _, tc := range []struct{ name, in, want string }{
		{"no headers", `{"statusCode":200,"body":"x"}`, `{"statusCode":200,"body":"x","headers":{"X-Idempotent-Replay":"true"}}`},
		{"headers", `{"statusCode":201,"headers":{"a":"b"},"body":"é\u00e9"}`, `{"statusCode":201,"headers":{"a":"b","X-Idempotent-Replay":"true"},"body":"é\u00e9"}`},
		{"empty headers", `{"headers":{},"statusCode":200}`, `{"headers":{"X-Idempotent-Replay":"true"},"statusCode":200}`},
		{"null headers", `{"statusCode":200,"headers":null}`, `{"statusCode":200,"headers":{"X-Idempotent-Replay":"true"}}`},
		{"existing header replaced, any case", `{"statusCode":200,"headers":{"x-idempotent-REPLAY":"false","a":"b","X-Idempotent-Replay":"no"}}`,
			`{"statusCode":200,"headers":{"a":"b","X-Idempotent-Replay":"true"}}`},
		{"whitespace kept outside the headers", " {\n \"statusCode\" : 404 ,\n \"headers\" : { \"A\" : \"b\" } ,\"body\":\"\" }\n",
			" {\n \"statusCode\" : 404 ,\n \"headers\" : {\"A\" : \"b\",\"X-Idempotent-Replay\":\"true\"} ,\"body\":\"\" }\n"},
		{"multiValueHeaders", `{"statusCode":200,"headers":{"x-idempotent-replay":"0","a":"b"},"multiValueHeaders":{"c":["d"],"X-IDEMPOTENT-REPLAY":["1","2"]}}`,
			`{"statusCode":200,"headers":{"a":"b"},"multiValueHeaders":{"c":["d"],"X-Idempotent-Replay":["true"]}}`},
		{"multiValueHeaders only", `{"multiValueHeaders":{},"statusCode":200}`, `{"multiValueHeaders":{"X-Idempotent-Replay":["true"]},"statusCode":200}`},
		{"multiValueHeaders and null headers", `{"statusCode":200,"headers":null,"multiValueHeaders":{}}`,
			`{"statusCode":200,"headers":null,"multiValueHeaders":{"X-Idempotent-Replay":["true"]}}`},
		{"null multiValueHeaders", `{"statusCode":200,"multiValueHeaders":null}`, `{"statusCode":200,"multiValueHeaders":null,"headers":{"X-Idempotent-Replay":"true"}}`},
		{"escaped member name", `{"status\u0043ode":500}`, `{"status\u0043ode":500,"headers":{"X-Idempotent-Replay":"true"}}`},
		{"nested statusCode elsewhere kept", `{"statusCode":200,"body":"{\"statusCode\":1}","cookies":["a=b"]}`,
			`{"statusCode":200,"body":"{\"statusCode\":1}","cookies":["a=b"],"headers":{"X-Idempotent-Replay":"true"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := markReplayed([]byte(tc.in), h)
			if string(got) != tc.want {
				t.Fatalf("markReplayed(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
			if !json.Valid(got) {
				t.Fatalf("not JSON: %s", got)
			}
		})
	}
}

func TestMarkReplayedLeavesOtherResponsesAlone(t *testing.T) {
	for _, in := range []string{
		``, ` `, `null`, `"text"`, `[{"statusCode":200}]`, `{"count":1}`, `{}`,
		`{"statusCode":"200"}`, `{"statusCode":200.5}`, `{"statusCode":2e2}`, `{"statusCode":null}`,
		`{"statusCode":200,"headers":"x"}`, `{"statusCode":200,"headers":[]}`, `{"statusCode":200,"multiValueHeaders":1}`,
		`{"statusCode":200} x`, `{"statusCode":200}{}`, `{"statusCode":200,`, `{"statusCode":200,"statusCode":500}`,
		`{"statusCode":200,"headers":{},"headers":{}}`, "\xff\xfe{\"statusCode\":200}", `{"nested":{"statusCode":200}}`,
	} {
		if got := markReplayed([]byte(in), "X-Replay"); !bytes.Equal(got, []byte(in)) {
			t.Errorf("markReplayed(%q) = %q, want it untouched", in, got)
		}
	}
}

func FuzzMarkReplayed(f *testing.F) {
	for _, s := range []string{`{"statusCode":200}`, `{"statusCode":200,"headers":{"x-r":"1"},"multiValueHeaders":{"X-R":["a"]}}`,
		`{"statusCode":500,"headers":null,"body":"\u00e9"}`, `[1]`, `{"a":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := markReplayed(in, "X-R")
		if bytes.Equal(in, out) {
			return
		}
		var before, after map[string]any
		if err := json.Unmarshal(in, &before); err != nil {
			t.Fatalf("changed a response that is not a JSON object: %q", in)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("result is not JSON: %q -> %q", in, out)
		}
		if _, ok := proxyStatus(out); !ok {
			t.Fatalf("result is no longer a proxy response: %q", out)
		}
		// Exactly one header named X-R (any case), with the value true, in
		// multiValueHeaders when present, else in headers.
		where, value := "headers", any("true")
		if mv, ok := after["multiValueHeaders"].(map[string]any); ok && mv != nil {
			where, value = "multiValueHeaders", []any{"true"}
		}
		n := 0
		for _, obj := range []string{"headers", "multiValueHeaders"} {
			m, _ := after[obj].(map[string]any)
			for k, v := range m {
				if strings.EqualFold(k, "X-R") {
					n++
					if obj != where || k != "X-R" || !reflect.DeepEqual(v, value) {
						t.Fatalf("%s[%q] = %v in %q", obj, k, v, out)
					}
				}
			}
		}
		if n != 1 {
			t.Fatalf("%d marker headers in %q", n, out)
		}
		// Everything else is unchanged.
		strip := func(m map[string]any) {
			for _, obj := range []string{"headers", "multiValueHeaders"} {
				hm, _ := m[obj].(map[string]any)
				for k := range hm {
					if strings.EqualFold(k, "X-R") {
						delete(hm, k)
					}
				}
				if hm != nil && len(hm) == 0 || m[obj] == nil {
					delete(m, obj)
				}
			}
		}
		strip(before)
		strip(after)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("other members changed: %q -> %q", in, out)
		}
	})
}

func TestProxyStatus(t *testing.T) {
	for in, want := range map[string]int{`{"statusCode":503}`: 503, ` {"body":"","statusCode": 429 } `: 429, `{"statusCode":-1}`: -1} {
		if got, ok := proxyStatus([]byte(in)); !ok || got != want {
			t.Errorf("proxyStatus(%s) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{`{"status":503}`, `{"statusCode":"503"}`, `503`, `{"statusCode":503`, `{"statusCode":503,"headers":1}`} {
		if _, ok := proxyStatus([]byte(in)); ok {
			t.Errorf("proxyStatus(%s) recognised a proxy response", in)
		}
	}
}

func TestParseStatusCodes(t *testing.T) {
	sc, err := ParseStatusCodes(" 5xx, 429 ,4XX,200")
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[int]bool{500: true, 599: true, 503: true, 429: true, 404: true, 200: true, 201: false, 302: false, 600: false, 99: false, 0: false} {
		if sc.Contains(code) != want {
			t.Errorf("Contains(%d) = %v, want %v", code, !want, want)
		}
	}
	if s := sc.String(); s != "4xx,5xx,200" {
		t.Errorf("String() = %q", s)
	}
	for _, bad := range []string{"", ",", "5xx,", "6xx", "0xx", "abc", "99", "600", "5x", "50x", "1000", "+200", "0200", "200.0"} {
		if _, err := ParseStatusCodes(bad); err == nil {
			t.Errorf("ParseStatusCodes(%q) accepted", bad)
		}
	}
	var zero StatusCodes
	if !zero.Empty() || zero.Contains(500) {
		t.Error("the zero StatusCodes is not empty")
	}
}

func TestValidHeaderName(t *testing.T) {
	for _, ok := range []string{"X-Idempotent-Replay", "x", "a1!#$%&'*+-.^_`|~"} {
		if !ValidHeaderName(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "X Replay", "X:Replay", "X\"R", "é", "X\r\nY", "(x)", "a/b", "a,b"} {
		if ValidHeaderName(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseInProgressMode(t *testing.T) {
	for in, want := range map[string]InProgressMode{"fail": InProgressFail, "WAIT": InProgressWait, "Wait": InProgressWait} {
		if got, err := ParseInProgressMode(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseInProgressMode("block"); err == nil {
		t.Error("block accepted")
	}
	if InProgressWait.String() != "wait" || InProgressFail.String() != "fail" {
		t.Error("String")
	}
}
