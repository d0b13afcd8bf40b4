package shiptest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// makeCommands returns the targets of every `make TARGET` command in the
// code of a Markdown text: fenced blocks and inline code spans.
func makeCommands(markdown string) []string {
	code := regexp.MustCompile("(?s)```.*?```|`[^`\n]+`")
	cmd := regexp.MustCompile("(?:^|[\\s;&|(`])make\\s+(?:-\\S+\\s+)*([A-Za-z][\\w.-]*)")
	var targets []string
	for _, span := range code.FindAllString(markdown, -1) {
		for _, m := range cmd.FindAllStringSubmatch(span, -1) {
			if !slices.Contains(targets, m[1]) {
				targets = append(targets, m[1])
			}
		}
	}
	return targets
}

// makeTargets returns the explicit targets a Makefile defines.
func makeTargets(makefile string) []string {
	rule := regexp.MustCompile(`(?m)^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?:[^=]|$)`)
	var targets []string
	for _, m := range rule.FindAllStringSubmatch(makefile, -1) {
		targets = append(targets, regexp.MustCompile(`\s+`).Split(m[1], -1)...)
	}
	return targets
}

func TestMakeCommandsParsing(t *testing.T) {
	md := "Run `make demo` or:\n```sh\nGOARCH=arm64 make build\nmake -n layer DIST=x && make test\n```\nWe make sure of it; `sam build`."
	if got, want := makeCommands(md), []string{"demo", "build", "layer", "test"}; !slices.Equal(got, want) {
		t.Errorf("makeCommands = %v, want %v", got, want)
	}
	mk := "VERSION ?= x\nLDFLAGS := -s\nall: build\nbuild:\n\tgo build\n.PHONY: all build\nlayer build-X: dep\n$(VENV)/.installed: x\n"
	if got, want := makeTargets(mk), []string{"all", "build", ".PHONY", "layer", "build-X"}; !slices.Equal(got, want) {
		t.Errorf("makeTargets = %v, want %v", got, want)
	}
}

// TestReadmeMakeCommandsExist checks that every make command the README
// names is a target of the Makefile.
func TestReadmeMakeCommandsExist(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := makeTargets(string(makefile))
	cmds := makeCommands(string(readme))
	for _, want := range []string{"demo", "test", "layer"} {
		if !slices.Contains(cmds, want) {
			t.Errorf("the README does not mention `make %s`", want)
		}
	}
	for _, c := range cmds {
		if !slices.Contains(targets, c) {
			t.Errorf("the README names `make %s`, which the Makefile does not define", c)
		}
	}
}
