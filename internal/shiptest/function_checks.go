package shiptest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// checkHandler checks that the handler exists in CodeUri, that a managed
// runtime's example holds no idempotency code, and that an OS-only
// function goes through the layer's /opt/bootstrap.
func (c Checker) checkHandler(id string, p map[string]any, managed bool) []string {
	var out []string
	uri, _ := p["CodeUri"].(string)
	dir := filepath.Join(c.Root, uri)
	handler, _ := p["Handler"].(string)
	runtime, _ := p["Runtime"].(string)
	mod, fn, _ := strings.Cut(handler, ".")
	var file string
	var def *regexp.Regexp
	switch {
	case strings.HasPrefix(runtime, "python"):
		file, def = mod+".py", regexp.MustCompile(`(?m)^def `+regexp.QuoteMeta(fn)+`\(`)
	case strings.HasPrefix(runtime, "nodejs"):
		file, def = mod+".mjs", regexp.MustCompile(`(?m)^export (const|async function|function) `+regexp.QuoteMeta(fn)+`\b`)
	default:
		file, def = "main.go", regexp.MustCompile(`(?m)^\s*lambda\.Start\(`)
		if handler == "" || handler == "bootstrap" {
			out = append(out, fmt.Sprintf("Handler %q: the executable must not be named bootstrap, or Lambda runs it directly and bypasses idemproxy", handler))
		}
		if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
			out = append(out, dir+" holds a bootstrap, which would bypass the layer's /opt/bootstrap")
		}
		meta := asMap(asMap(c.Template.Resources[id])["Metadata"])
		if bm := meta["BuildMethod"]; bm != "go1.x" && bm != "makefile" {
			out = append(out, fmt.Sprintf("Metadata.BuildMethod = %v, want go1.x or makefile", bm))
		}
	}
	src, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return append(out, fmt.Sprintf("handler %q: %v", handler, err))
	}
	if !def.Match(src) {
		out = append(out, fmt.Sprintf("%s does not define handler %q", file, handler))
	}
	lower := strings.ToLower(string(src))
	for _, word := range []string{"powertools", "dynamodb", "idemproxy/idemproxy"} {
		if strings.Contains(lower, word) {
			out = append(out, fmt.Sprintf("%s mentions %q: the example must hold no idempotency code", file, word))
		}
	}
	return out
}

// checkLayer checks that the function uses the layer built for its
// architecture, and only that layer.
func checkLayer(p map[string]any, layers map[string]string) []string {
	archs, _ := p["Architectures"].([]any)
	arch := "x86_64"
	switch len(archs) {
	case 0:
	case 1:
		arch, _ = archs[0].(string)
	default:
		return []string{fmt.Sprintf("Architectures = %v: SAM wants one", archs)}
	}
	if want := []any{Intrinsic{"Ref", layers[arch]}}; layers[arch] == "" || !reflect.DeepEqual(p["Layers"], want) {
		return []string{fmt.Sprintf("Layers = %v, want only the %s layer (%s)", p["Layers"], arch, layers[arch])}
	}
	return nil
}

// checkEnvironment checks the wrapper and the idempotency variables.
func checkEnvironment(p map[string]any, managed bool, known map[string]bool) []string {
	var out []string
	vars := asMap(asMap(p["Environment"])["Variables"])
	if got := vars["AWS_LAMBDA_EXEC_WRAPPER"]; managed && got != WrapperPath {
		out = append(out, fmt.Sprintf("AWS_LAMBDA_EXEC_WRAPPER = %v, want %s", got, WrapperPath))
	}
	want := map[string]Intrinsic{
		"IDEMPOTENCY_TABLE_NAME":            {"Ref", TableID},
		"IDEMPOTENCY_EVENT_KEY_JMESPATH":    {"Ref", "EventKeyJmespath"},
		"IDEMPOTENCY_EXPIRES_AFTER_SECONDS": {"Ref", "ExpiresAfterSeconds"},
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if vars[name] != want[name] {
			out = append(out, fmt.Sprintf("%s = %v, want %v", name, vars[name], want[name]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if (strings.HasPrefix(name, "IDEMPOTENCY_") || strings.HasPrefix(name, "POWERTOOLS_IDEMPOTENCY_")) && !known[name] {
			out = append(out, name+" is not a variable the extension reads")
		}
	}
	return out
}

// checkPolicy checks least privilege: the function's own role, with one
// statement allowing exactly tableActions on the table's ARN.
func checkPolicy(p map[string]any) []string {
	var out []string
	if _, ok := p["Role"]; ok {
		out = append(out, "Role is set: the function must get its own least-privilege role from Policies")
	}
	pols, _ := p["Policies"].([]any)
	if len(pols) != 1 {
		return append(out, fmt.Sprintf("Policies = %v, want exactly one inline policy", p["Policies"]))
	}
	stmts, _ := asMap(pols[0])["Statement"].([]any)
	if len(stmts) != 1 {
		return append(out, fmt.Sprintf("Statement = %v, want exactly one", stmts))
	}
	s := asMap(stmts[0])
	var actions []string
	acts, _ := s["Action"].([]any)
	for _, a := range acts {
		str, _ := a.(string)
		actions = append(actions, str)
	}
	slices.Sort(actions)
	if s["Effect"] != "Allow" || !slices.Equal(actions, tableActions) {
		out = append(out, fmt.Sprintf("statement %v: want Allow of exactly %v", s, tableActions))
	}
	if want := (Intrinsic{"Fn::GetAtt", []any{TableID, "Arn"}}); !reflect.DeepEqual(s["Resource"], want) {
		out = append(out, fmt.Sprintf("Resource = %v, want only %v", s["Resource"], want))
	}
	for _, k := range slices.Sorted(maps.Keys(s)) {
		if !slices.Contains([]string{"Sid", "Effect", "Action", "Resource"}, k) {
			out = append(out, "statement has "+k+": want no conditions, principals or NotAction")
		}
	}
	return out
}

// checkURL checks the function URL's AuthType and that an output holds the
// URL.
func (c Checker) checkURL(id string, p map[string]any) []string {
	var out []string
	if auth := asMap(p["FunctionUrlConfig"])["AuthType"]; auth != "AWS_IAM" && auth != "NONE" {
		out = append(out, fmt.Sprintf("FunctionUrlConfig.AuthType = %v, want literally AWS_IAM or NONE (SAM adds NONE's public permissions only for a literal)", auth))
	}
	want := Intrinsic{"Fn::GetAtt", []any{id + "Url", "FunctionUrl"}}
	for _, o := range c.Template.Outputs {
		if reflect.DeepEqual(asMap(o)["Value"], want) {
			return out
		}
	}
	return append(out, fmt.Sprintf("no output holds the URL (%v)", want))
}
