package shiptest

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// ErrReference reports a reference that does not resolve.
var ErrReference = errors.New("shiptest: unresolved reference")

// pseudoParameters are CloudFormation's pseudo parameters, valid in Ref
// and Fn::Sub.
var pseudoParameters = []string{
	"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
	"AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

// attributes lists the Fn::GetAtt attributes of the resource types the
// checks know; a GetAtt on any other type is reported.
var attributes = map[string][]string{
	"AWS::DynamoDB::Table":          {"Arn", "StreamArn"},
	"AWS::IAM::Role":                {"Arn", "RoleId"},
	"AWS::Lambda::Function":         {"Arn", "SnapStartResponse"},
	"AWS::Lambda::Url":              {"FunctionArn", "FunctionUrl"},
	"AWS::Serverless::Function":     {"Arn"},
	"AWS::Serverless::LayerVersion": {},
}

// subVar matches a ${...} variable of Fn::Sub; ${!...} is a literal.
var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// ResourceTypes returns the type of every resource, including the ones the
// SAM transform generates and templates may reference: "<Function>Role"
// (unless the function names a Role) and "<Function>Url" (when it has a
// FunctionUrlConfig, possibly from Globals).
func (t *Template) ResourceTypes() map[string]string {
	types := map[string]string{}
	for id, r := range t.Resources {
		typ, _ := asMap(r)["Type"].(string)
		types[id] = typ
		if typ != "AWS::Serverless::Function" {
			continue
		}
		props := asMap(t.Function(id)["Properties"])
		if _, ok := props["Role"]; !ok {
			types[id+"Role"] = "AWS::IAM::Role"
		}
		if _, ok := props["FunctionUrlConfig"]; ok {
			types[id+"Url"] = "AWS::Lambda::Url"
		}
	}
	return types
}

// CheckReferences reports every Ref, Fn::GetAtt, Fn::Sub variable, Fn::If
// or Condition name, resource Condition and DependsOn that does not
// resolve, and every GetAtt of an attribute its resource type lacks.
func (t *Template) CheckReferences() []error {
	c := refChecker{t: t, types: t.ResourceTypes()}
	for _, section := range []string{"Conditions", "Globals", "Resources", "Outputs"} {
		c.walk(section, t.Root[section], nil)
	}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := asMap(t.Resources[id])
		at := "Resources." + id
		if cond, ok := r["Condition"]; ok {
			c.condition(at+".Condition", cond)
		}
		deps := r["DependsOn"]
		if s, ok := deps.(string); ok {
			deps = []any{s}
		}
		if list, ok := deps.([]any); ok {
			for _, d := range list {
				if s, _ := d.(string); t.Resources[s] == nil {
					c.fail(at+".DependsOn", "%v is not a resource", d)
				}
			}
		}
	}
	return c.errs
}

// refChecker walks a template collecting reference errors.
type refChecker struct {
	t     *Template
	types map[string]string
	errs  []error
}

func (c *refChecker) fail(at, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: %s: %s", ErrReference, at, fmt.Sprintf(format, args...)))
}

// walk visits v; local holds the variables of an enclosing Fn::Sub map.
func (c *refChecker) walk(at string, v any, local map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			c.walk(at+"."+k, x[k], local)
		}
	case []any:
		for i, e := range x {
			c.walk(fmt.Sprintf("%s[%d]", at, i), e, local)
		}
	case Intrinsic:
		c.intrinsic(at+"."+x.Fn, x)
	}
}

func (c *refChecker) intrinsic(at string, in Intrinsic) {
	switch in.Fn {
	case "Ref":
		name, ok := in.Arg.(string)
		if !ok {
			c.fail(at, "Ref wants a name, got %v", in.Arg)
			return
		}
		c.ref(at, name)
	case "Fn::GetAtt":
		a := in.Arg.([]any) // normalised by newIntrinsic
		attr, ok := a[1].(string)
		if !ok {
			c.fail(at, "attribute name %v is not a string", a[1])
			return
		}
		c.getAtt(at, a[0].(string), attr)
	case "Fn::Sub":
		c.sub(at, in.Arg)
	case "Condition":
		c.condition(at, in.Arg)
	case "Fn::If":
		args, ok := in.Arg.([]any)
		if !ok || len(args) != 3 {
			c.fail(at, "Fn::If wants [condition, then, else], got %v", in.Arg)
			return
		}
		c.condition(at+"[0]", args[0])
		c.walk(at+"[1]", args[1], nil)
		c.walk(at+"[2]", args[2], nil)
	default:
		c.walk(at, in.Arg, nil)
	}
}

func (c *refChecker) ref(at, name string) {
	if _, ok := c.t.Parameters[name]; ok {
		return
	}
	if _, ok := c.types[name]; ok {
		return
	}
	if slices.Contains(pseudoParameters, name) {
		return
	}
	c.fail(at, "%q is neither a parameter, a resource nor a pseudo parameter", name)
}

func (c *refChecker) getAtt(at, res, attr string) {
	typ, ok := c.types[res]
	if !ok {
		c.fail(at, "%q is not a resource", res)
		return
	}
	known, ok := attributes[typ]
	if !ok {
		c.fail(at, "resource %q has type %q, whose attributes are not known to this check", res, typ)
		return
	}
	if !slices.Contains(known, attr) {
		c.fail(at, "%s (%s) has no attribute %q (known: %v)", res, typ, attr, known)
	}
}

func (c *refChecker) condition(at string, v any) {
	name, ok := v.(string)
	if !ok {
		c.fail(at, "condition name %v is not a string", v)
		return
	}
	if _, ok := c.t.Conditions[name]; !ok {
		c.fail(at, "%q is not a condition", name)
	}
}

// sub checks Fn::Sub's string form and its [string, {vars}] form.
func (c *refChecker) sub(at string, arg any) {
	var local map[string]any
	s, ok := arg.(string)
	if list, isList := arg.([]any); isList && len(list) == 2 {
		s, ok = list[0].(string)
		local, _ = list[1].(map[string]any)
		if local == nil {
			c.fail(at, "Fn::Sub variables are not a mapping")
		}
		c.walk(at+"[1]", list[1], nil)
	}
	if !ok {
		c.fail(at, "Fn::Sub wants a string or [string, {variables}], got %v", arg)
		return
	}
	if strings.Count(s, "${") != len(subVar.FindAllString(s, -1)) {
		c.fail(at, "unterminated ${ in %q", s)
	}
	for _, m := range subVar.FindAllStringSubmatch(s, -1) {
		name := strings.TrimSpace(m[1])
		switch {
		case strings.HasPrefix(name, "!"):
			continue // ${!Literal}
		case local[name] != nil:
			continue
		case strings.Contains(name, "."):
			res, attr, _ := strings.Cut(name, ".")
			c.getAtt(at, res, attr)
		default:
			c.ref(at, name)
		}
	}
}

// asMap returns v as a mapping, or nil.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
