package shiptest

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrTemplate reports a template that cannot be parsed or is malformed.
var ErrTemplate = errors.New("shiptest: invalid template")

// Limits on a template's values: nesting depth, and the number of values
// after aliases are expanded (a few aliases can otherwise expand to
// billions of values).
const (
	maxDepth  = 100
	maxValues = 100_000
)

// Intrinsic is a CloudFormation intrinsic function call, written in the
// short form (!Ref X, !GetAtt A.B, !Sub "...") or the long form
// ({"Ref": X}, {"Fn::GetAtt": [A, B]}).
type Intrinsic struct {
	// Fn is the function's long name: "Ref", "Condition", "Fn::GetAtt",
	// "Fn::Sub", "Fn::If" ...
	Fn string
	// Arg is the argument, converted like any other value. For Fn::GetAtt
	// it is always a two-element []any{resource, attribute}.
	Arg any
}

// String renders the call in its long form, for messages.
func (in Intrinsic) String() string { return fmt.Sprintf("{%s: %v}", in.Fn, in.Arg) }

// shortForms maps the YAML short-form tags to the functions' long names.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!If": "Fn::If",
	"!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or",
	"!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split",
	"!FindInMap": "Fn::FindInMap", "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr",
	"!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue", "!Transform": "Fn::Transform",
	"!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length",
}

// Template is a parsed CloudFormation (SAM) template. Values are string,
// bool, int, float64, nil, []any, map[string]any or Intrinsic.
type Template struct {
	// Root is the whole document.
	Root map[string]any
	// Sections of Root; a missing section is an empty map.
	Parameters, Conditions, Resources, Outputs, Globals map[string]any
}

// ParseTemplate parses a YAML template, turning every intrinsic function
// (short or long form) into an Intrinsic.
func ParseTemplate(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	c := converter{budget: maxValues}
	v, err := c.convert(&doc, 0)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the document is not a mapping", ErrTemplate)
	}
	t := &Template{Root: root}
	for name, dst := range map[string]*map[string]any{
		"Parameters": &t.Parameters, "Conditions": &t.Conditions, "Resources": &t.Resources,
		"Outputs": &t.Outputs, "Globals": &t.Globals,
	} {
		*dst = map[string]any{}
		if s, ok := root[name]; ok {
			m, ok := s.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: %s is not a mapping", ErrTemplate, name)
			}
			*dst = m
		}
	}
	if len(t.Resources) == 0 {
		return nil, fmt.Errorf("%w: no Resources", ErrTemplate)
	}
	return t, nil
}

// converter turns YAML nodes into template values.
type converter struct {
	budget int // values left to convert
}

// convert turns a YAML node into a template value.
func (c *converter) convert(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: line %d: nested deeper than %d levels", ErrTemplate, n.Line, maxDepth)
	}
	if c.budget--; c.budget < 0 {
		return nil, fmt.Errorf("%w: more than %d values (aliases expanded)", ErrTemplate, maxValues)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("%w: empty document", ErrTemplate)
		}
		return c.convert(n.Content[0], depth+1)
	case yaml.AliasNode:
		return c.convert(n.Alias, depth+1)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return c.convertTagged(n, depth)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrTemplate, n.Line, err)
		}
		return v, nil
	case yaml.SequenceNode:
		return c.convertSeq(n, depth)
	case yaml.MappingNode:
		return c.convertMap(n, depth)
	}
	return nil, fmt.Errorf("%w: line %d: unexpected YAML node kind %d", ErrTemplate, n.Line, n.Kind)
}

// convertTagged converts a short-form intrinsic function.
func (c *converter) convertTagged(n *yaml.Node, depth int) (any, error) {
	fn, ok := shortForms[n.Tag]
	if !ok {
		return nil, fmt.Errorf("%w: line %d: unknown tag %s", ErrTemplate, n.Line, n.Tag)
	}
	var arg any
	var err error
	switch n.Kind {
	case yaml.ScalarNode:
		arg = n.Value
	case yaml.SequenceNode:
		arg, err = c.convertSeq(n, depth)
	case yaml.MappingNode:
		arg, err = c.convertMap(n, depth)
	default:
		err = fmt.Errorf("%w: line %d: %s on an unexpected node", ErrTemplate, n.Line, n.Tag)
	}
	if err != nil {
		return nil, err
	}
	return newIntrinsic(fn, arg, n.Line)
}

// newIntrinsic normalises Fn::GetAtt's argument to []any{resource, attr}.
func newIntrinsic(fn string, arg any, line int) (Intrinsic, error) {
	if fn != "Fn::GetAtt" {
		return Intrinsic{Fn: fn, Arg: arg}, nil
	}
	switch a := arg.(type) {
	case string:
		res, attr, ok := strings.Cut(a, ".")
		if ok && res != "" && attr != "" {
			return Intrinsic{Fn: fn, Arg: []any{res, attr}}, nil
		}
	case []any:
		if len(a) == 2 {
			if _, ok := a[0].(string); ok {
				return Intrinsic{Fn: fn, Arg: a}, nil
			}
		}
	}
	return Intrinsic{}, fmt.Errorf("%w: line %d: Fn::GetAtt wants Resource.Attribute, got %v", ErrTemplate, line, arg)
}

func (c *converter) convertSeq(n *yaml.Node, depth int) ([]any, error) {
	out := make([]any, 0, len(n.Content))
	for _, child := range n.Content {
		v, err := c.convert(child, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// convertMap converts a mapping; a single-key mapping whose key is "Ref"
// or starts with "Fn::" is a long-form intrinsic function.
func (c *converter) convertMap(n *yaml.Node, depth int) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%w: line %d: mapping key is not a scalar", ErrTemplate, k.Line)
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("%w: line %d: duplicate key %q", ErrTemplate, k.Line, k.Value)
		}
		v, err := c.convert(n.Content[i+1], depth+1)
		if err != nil {
			return nil, err
		}
		out[k.Value] = v
	}
	if len(out) == 1 {
		for k, v := range out {
			if k == "Ref" || strings.HasPrefix(k, "Fn::") {
				return newIntrinsic(k, v, n.Line)
			}
		}
	}
	return out, nil
}
