package shiptest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"

	"github.com/idemproxy/idemproxy/idempotency"
)

// What template.yaml must provide, as the README describes it.
const (
	// TableID is the logical id of the idempotency table.
	TableID = "IdempotencyTable"
	// WrapperPath is the exec wrapper managed runtimes must use.
	WrapperPath = "/opt/idemproxy-wrapper"
)

// tableActions are the only actions a function may have, on the table
// only: those idemproxy uses (GetItem, PutItem, DeleteItem) plus
// UpdateItem, which Powertools uses on the same table.
var tableActions = []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}

// layerArchitectures maps Lambda architecture names to GOARCH.
var layerArchitectures = map[string]string{"x86_64": "amd64", "arm64": "arm64"}

// ExampleFunction describes a function the template must define.
type ExampleFunction struct {
	// Runtimes are the allowed Runtime values.
	Runtimes []string
	// CodeURI is the function's CodeUri.
	CodeURI string
	// Managed is true for a managed runtime (AWS_LAMBDA_EXEC_WRAPPER
	// applies) and false for an OS-only one (the layer's /opt/bootstrap).
	Managed bool
}

// exampleFunctions are the functions of the template, by logical id.
var exampleFunctions = map[string]ExampleFunction{
	"PythonFunction": {[]string{"python3.12", "python3.13"}, "examples/python/", true},
	"NodeFunction":   {[]string{"nodejs20.x", "nodejs22.x"}, "examples/nodejs/", true},
	"GoFunction":     {[]string{"provided.al2023"}, "examples/go/", false},
}

// Checker checks a template against the repository at Root. Each check
// returns the problems it found, as sentences.
type Checker struct {
	// Template is the parsed template.
	Template *Template
	// Root is the repository root, against which CodeUri and ContentUri
	// are resolved and the extension's sources are read.
	Root string
}

// ParameterDefault returns a parameter's Default as a string.
func (c Checker) ParameterDefault(name string) string {
	switch v := asMap(c.Template.Parameters[name])["Default"].(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	}
	return ""
}

// CheckParameters checks the table name, expiry and key expression
// parameters. The key expression's default must key a function URL
// request by its body: the same body with another request id is a
// duplicate, another body is not. event builds such a request.
func (c Checker) CheckParameters(event func(body, requestID string) []byte) []string {
	var out []string
	for _, name := range []string{"TableName", "ExpiresAfterSeconds", "EventKeyJmespath"} {
		if asMap(c.Template.Parameters[name]) == nil {
			out = append(out, fmt.Sprintf("parameter %s is missing", name))
		}
	}
	exp := asMap(c.Template.Parameters["ExpiresAfterSeconds"])
	if n, err := strconv.Atoi(c.ParameterDefault("ExpiresAfterSeconds")); exp["Type"] != "Number" || err != nil || n < 1 {
		out = append(out, fmt.Sprintf("ExpiresAfterSeconds = %v: want a Number with a default of at least 1", exp))
	}
	expr := c.ParameterDefault("EventKeyJmespath")
	k, err := idempotency.NewKeyer(idempotency.KeyConfig{EventKeyJMESPath: expr})
	if err != nil {
		return append(out, fmt.Sprintf("EventKeyJmespath default %q: %v", expr, err))
	}
	var keys []idempotency.Derived
	for _, ev := range [][2]string{{`{"orderId":"o-1"}`, "r-1"}, {`{"orderId":"o-1"}`, "r-2"}, {`{"orderId":"o-2"}`, "r-3"}} {
		d, err := k.Derive(event(ev[0], ev[1]))
		if err != nil {
			return append(out, fmt.Sprintf("EventKeyJmespath %q on body %s: %v", expr, ev[0], err))
		}
		keys = append(keys, d)
	}
	if keys[0].MissingKey || keys[0].Key != keys[1].Key || keys[0].Key == keys[2].Key {
		out = append(out, fmt.Sprintf("EventKeyJmespath %q does not key a request by its body: keys %q, retry %q, other body %q",
			expr, keys[0].Key, keys[1].Key, keys[2].Key))
	}
	return out
}

// CheckTable checks the idempotency table: on-demand, Powertools' key and
// TTL attributes, named by the TableName parameter or by CloudFormation.
func (c Checker) CheckTable() []string {
	r := asMap(c.Template.Resources[TableID])
	if r["Type"] != "AWS::DynamoDB::Table" {
		return []string{fmt.Sprintf("%s: Type = %v, want AWS::DynamoDB::Table", TableID, r["Type"])}
	}
	var out []string
	p := asMap(r["Properties"])
	want := map[string]any{
		"BillingMode":             "PAY_PER_REQUEST",
		"AttributeDefinitions":    []any{map[string]any{"AttributeName": "id", "AttributeType": "S"}},
		"KeySchema":               []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
		"TimeToLiveSpecification": map[string]any{"AttributeName": "expiration", "Enabled": true},
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !reflect.DeepEqual(p[k], want[k]) {
			out = append(out, fmt.Sprintf("table %s = %v, want %v", k, p[k], want[k]))
		}
	}
	wantName := Intrinsic{"Fn::If", []any{"HasTableName", Intrinsic{"Ref", "TableName"}, Intrinsic{"Ref", "AWS::NoValue"}}}
	if !reflect.DeepEqual(p["TableName"], wantName) {
		out = append(out, fmt.Sprintf("table TableName = %v, want %v", p["TableName"], wantName))
	}
	return out
}

// Layers returns the layers' logical ids by Lambda architecture, and the
// problems: each layer must declare exactly one architecture (it holds one
// native binary), build for it with SAM's makefile method, and have a
// Makefile at its ContentUri; there must be one layer per architecture.
func (c Checker) Layers() (map[string]string, []string) {
	var out []string
	byArch := map[string]string{}
	ids := c.Template.ResourcesOfType("AWS::Serverless::LayerVersion")
	slices.Sort(ids)
	for _, id := range ids {
		r := asMap(c.Template.Resources[id])
		p, meta := asMap(r["Properties"]), asMap(r["Metadata"])
		archs, _ := p["CompatibleArchitectures"].([]any)
		if len(archs) != 1 {
			out = append(out, fmt.Sprintf("layer %s: CompatibleArchitectures = %v: a layer holds one native binary, so it must declare one architecture", id, archs))
			continue
		}
		arch, _ := archs[0].(string)
		if layerArchitectures[arch] == "" || byArch[arch] != "" {
			out = append(out, fmt.Sprintf("layer %s: architecture %q is unknown or has two layers", id, arch))
			continue
		}
		if meta["BuildMethod"] != "makefile" || meta["BuildArchitecture"] != arch {
			out = append(out, fmt.Sprintf("layer %s: Metadata = %v, want BuildMethod makefile and BuildArchitecture %s", id, meta, arch))
		}
		uri, _ := p["ContentUri"].(string)
		if _, err := os.Stat(filepath.Join(c.Root, uri, "Makefile")); err != nil {
			out = append(out, fmt.Sprintf("layer %s: ContentUri %q has no Makefile: %v", id, uri, err))
		}
		byArch[arch] = id
	}
	if len(byArch) != len(layerArchitectures) {
		out = append(out, fmt.Sprintf("layers by architecture = %v, want one for each of x86_64 and arm64", byArch))
	}
	return byArch, out
}

// KnownVariables returns the IDEMPOTENCY_* names the extension's sources
// mention as string literals.
func (c Checker) KnownVariables() (map[string]bool, error) {
	re := regexp.MustCompile(`"((?:POWERTOOLS_)?IDEMPOTENCY_[A-Z_]+)"`)
	known := map[string]bool{}
	for _, f := range []string{"config.go", "store/dynamodb/options.go", "store/redis/options.go"} {
		src, err := os.ReadFile(filepath.Join(c.Root, f))
		if err != nil {
			return nil, err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			known[m[1]] = true
		}
	}
	if !known["IDEMPOTENCY_TABLE_NAME"] || !known["IDEMPOTENCY_EVENT_KEY_JMESPATH"] {
		return nil, fmt.Errorf("shiptest: variables found in the sources: %v: the scan is broken", known)
	}
	return known, nil
}

// CheckFunctions checks that the template defines exactly exampleFunctions,
// each complete (see CheckFunction).
func (c Checker) CheckFunctions() []string {
	layers, out := c.Layers()
	known, err := c.KnownVariables()
	if err != nil {
		return append(out, err.Error())
	}
	fns := c.Template.ResourcesOfType("AWS::Serverless::Function")
	slices.Sort(fns)
	if want := slices.Sorted(maps.Keys(exampleFunctions)); !slices.Equal(fns, want) {
		out = append(out, fmt.Sprintf("functions = %v, want %v", fns, want))
	}
	for _, id := range slices.Sorted(maps.Keys(exampleFunctions)) {
		for _, p := range c.CheckFunction(id, exampleFunctions[id], layers, known) {
			out = append(out, id+": "+p)
		}
	}
	return out
}

// CheckFunction checks one function, with Globals merged in: runtime,
// handler, layer, environment, policy and URL.
func (c Checker) CheckFunction(id string, want ExampleFunction, layers map[string]string, known map[string]bool) []string {
	p := asMap(c.Template.Function(id)["Properties"])
	if p == nil {
		return []string{"missing"}
	}
	var out []string
	if rt, _ := p["Runtime"].(string); !slices.Contains(want.Runtimes, rt) || p["CodeUri"] != want.CodeURI {
		out = append(out, fmt.Sprintf("Runtime %v, CodeUri %v; want one of %v, %s", p["Runtime"], p["CodeUri"], want.Runtimes, want.CodeURI))
	}
	out = append(out, c.checkHandler(id, p, want.Managed)...)
	out = append(out, checkLayer(p, layers)...)
	out = append(out, checkEnvironment(p, want.Managed, known)...)
	out = append(out, checkPolicy(p)...)
	return append(out, c.checkURL(id, p)...)
}
