package cli

import (
	"bytes"
	"context"
	"reflect"
	"testing"
)

// TestGrammarForOneCommand: the parser built for the one command named
// answers exactly as the parser of every command, for each command's
// help, bad flags and missing arguments, and the whole grammar is used
// when no command is named.
func TestGrammarForOneCommand(t *testing.T) {
	var names []string
	rt := reflect.TypeFor[root]()
	for i := range rt.NumField() {
		if _, ok := rt.Field(i).Tag.Lookup("cmd"); ok {
			names = append(names, commandName(rt.Field(i)))
		}
	}
	if len(names) < 5 {
		t.Fatalf("found commands %v", names)
	}
	var cases [][]string
	for _, n := range names {
		cases = append(cases, []string{n, "--help"}, []string{n, "--no-such-flag"}, []string{n})
	}
	cases = append(cases, []string{}, []string{"--help"}, []string{"no-such-command"}, []string{"versio"})
	for _, args := range cases {
		t.Run(join(args), func(t *testing.T) {
			lazy, full := runCapture(args, grammarFor(args)), runCapture(args, &root{})
			if lazy != full {
				t.Errorf("one command's parser:\n%s\nall commands' parser:\n%s", lazy, full)
			}
		})
	}
	if _, ok := grammarFor([]string{"version"}).(*root); ok {
		t.Error("grammarFor(version) built every command")
	}
	if _, ok := grammarFor([]string{"--help"}).(*root); !ok {
		t.Error("grammarFor(--help) did not build every command")
	}
}

func join(args []string) string {
	if len(args) == 0 {
		return "none"
	}
	var b bytes.Buffer
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a)
	}
	return b.String()
}

// runCapture runs the CLI with args on an empty environment and returns
// its exit code and output.
func runCapture(args []string, grammar any) string {
	var out, errOut bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errOut, Env: func(string) (string, bool) { return "", false }, Home: "/nonexistent"}
	code := run(context.Background(), args, a, grammar)
	return string(rune('0'+code)) + "\n" + out.String() + "\n---\n" + errOut.String()
}
