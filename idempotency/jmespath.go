package idempotency

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jmespath-community/go-jmespath/pkg/parsing"
)

// Expressions are parsed with github.com/jmespath-community/go-jmespath and
// evaluated by this package's interpreter (jmespath_eval.go), which follows
// Python jmespath 1.0.1, the library Powertools uses, instead of the
// community one: Python keeps ints exact and distinct from floats, keeps
// dict order for `*`, values() and keys(), compares with Python's ==, lets
// `<` compare strings, and slices lists only. The community extensions
// (arithmetic, $root, let/$variables) do not exist in Python and are
// rejected, as are unknown functions and wrong argument counts (Python would
// fail on every invocation instead).

// opcode identifies a compiled expression node.
type opcode uint8

const (
	opField opcode = iota
	opChain        // subexpression, index expression and pipe
	opIndex
	opSlice
	opProjection
	opValueProjection
	opFilterProjection
	opFlatten
	opCurrent
	opLiteral
	opMultiList
	opMultiHash
	opOr
	opAnd
	opNot
	opCompare
	opFunction
	opExpref
)

// node is a compiled, immutable expression node, safe for concurrent use.
type node struct {
	op       opcode
	children []*node
	name     string   // field name
	keys     []string // multi-select hash keys
	index    int
	slice    [3]int
	sliceSet [3]bool
	cmp      parsing.TokType
	lit      value
	fn       *function
}

// expression is a compiled JMESPath expression.
type expression struct {
	text string
	root *node
}

// literalMark starts the placeholders that stand for literals while the
// library parses the expression; every literal is replaced, so every
// ASTLiteral the parser returns is one of ours.
const literalMark = "\x00"

// compileExpression compiles text with Powertools' custom functions.
func compileExpression(text string) (*expression, error) {
	sub, lits, err := extractLiterals(text)
	if err != nil {
		return nil, err
	}
	ast, err := parsing.NewParser().Parse(sub)
	if err != nil {
		return nil, err
	}
	root, err := convert(ast, lits)
	if err != nil {
		return nil, err
	}
	return &expression{text: text, root: root}, nil
}

// extractLiterals replaces JSON literals (`...`) and raw string literals
// ('...') by placeholder raw strings and decodes them the way Python's
// jmespath lexer does: JSON via json.loads with the legacy fallback to a
// string, raw strings with only \' unescaped.
func extractLiterals(text string) (string, []value, error) {
	var b strings.Builder
	var lits []value
	for i := 0; i < len(text); {
		c := text[i]
		if c != '"' && c != '\'' && c != '`' {
			b.WriteByte(c)
			i++
			continue
		}
		end := i + 1
		for end < len(text) && text[end] != c {
			if text[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(text) {
			b.WriteString(text[i:]) // unclosed: the parser reports it
			break
		}
		lexeme := text[i+1 : end]
		i = end + 1
		if c == '"' {
			b.WriteString(`"` + lexeme + `"`)
			continue
		}
		var lit value
		if c == '\'' {
			lit = stringValue(strings.ReplaceAll(lexeme, `\'`, `'`))
		} else {
			v, err := parseLiteral(strings.ReplaceAll(lexeme, "\\`", "`"))
			if err != nil {
				return "", nil, err
			}
			lit = v
		}
		b.WriteString("'" + literalMark + strconv.Itoa(len(lits)) + "'")
		lits = append(lits, lit)
	}
	return b.String(), lits, nil
}

// parseLiteral decodes the body of a `...` literal.
func parseLiteral(lexeme string) (value, error) {
	switch strings.Trim(lexeme, " \t\n\r") {
	case "NaN":
		return floatValue(nan()), nil
	case "Infinity":
		return floatValue(inf(1)), nil
	case "-Infinity":
		return floatValue(inf(-1)), nil
	}
	if v, err := parseOwned([]byte(lexeme)); err == nil {
		return v, nil
	}
	legacy := `"` + strings.TrimLeftFunc(lexeme, isPySpace) + `"`
	v, err := parseOwned([]byte(legacy))
	if err != nil || v.kind != kString {
		return value{}, fmt.Errorf("bad JMESPath literal `%s`", lexeme)
	}
	return v, nil
}

// parseOwned parses JSON text into a value that owns all its memory.
func parseOwned(data []byte) (value, error) {
	if !utf8.Valid(data) {
		return value{}, errors.New("literal is not valid UTF-8")
	}
	var st deriveState
	root, err := st.parseDoc(string(data), false)
	if err != nil {
		return value{}, err
	}
	return own(wrap(root)), nil
}

// convert turns the library's AST into compiled nodes.
func convert(a parsing.ASTNode, lits []value) (*node, error) {
	n := &node{}
	for _, c := range a.Children {
		if a.NodeType == parsing.ASTMultiSelectHash {
			break // key/value pairs are handled below
		}
		child, err := convert(c, lits)
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, child)
	}
	switch a.NodeType {
	case parsing.ASTField:
		n.op, n.name = opField, a.Value.(string)
	case parsing.ASTSubexpression, parsing.ASTIndexExpression, parsing.ASTPipe:
		n.op = opChain
	case parsing.ASTIndex:
		n.op, n.index = opIndex, a.Value.(int)
	case parsing.ASTSlice:
		n.op = opSlice
		for i, p := range a.Value.([]*int) {
			if p != nil {
				n.slice[i], n.sliceSet[i] = *p, true
			}
		}
	case parsing.ASTProjection:
		n.op = opProjection
	case parsing.ASTValueProjection:
		n.op = opValueProjection
	case parsing.ASTFilterProjection:
		n.op = opFilterProjection
	case parsing.ASTFlatten:
		n.op = opFlatten
	case parsing.ASTIdentity, parsing.ASTCurrentNode:
		n.op = opCurrent
	case parsing.ASTLiteral:
		s, _ := a.Value.(string)
		idx, err := strconv.Atoi(strings.TrimPrefix(s, literalMark))
		if !strings.HasPrefix(s, literalMark) || err != nil || idx >= len(lits) {
			return nil, errors.New("internal error: unexpected literal")
		}
		n.op, n.lit = opLiteral, lits[idx]
	case parsing.ASTMultiSelectList:
		n.op = opMultiList
	case parsing.ASTMultiSelectHash:
		n.op = opMultiHash
		for _, kv := range a.Children {
			child, err := convert(kv.Children[0], lits)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, kv.Value.(string))
			n.children = append(n.children, child)
		}
	case parsing.ASTOrExpression:
		n.op = opOr
	case parsing.ASTAndExpression:
		n.op = opAnd
	case parsing.ASTNotExpression:
		n.op = opNot
	case parsing.ASTComparator:
		n.op, n.cmp = opCompare, a.Value.(parsing.TokType)
	case parsing.ASTExpRef:
		n.op = opExpref
	case parsing.ASTFunctionExpression:
		name := a.Value.(string)
		fn, ok := lookupFunction(name)
		if !ok {
			return nil, fmt.Errorf("unknown function: %s()", name)
		}
		if err := fn.checkArity(len(n.children)); err != nil {
			return nil, err
		}
		n.op, n.fn = opFunction, fn
	default:
		return nil, fmt.Errorf("%s is not supported by Python jmespath", a.NodeType)
	}
	return n, nil
}
