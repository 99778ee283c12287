package cli

import (
	"reflect"
	"slices"
	"strings"
)

// grammarFor returns what kong builds its parser from for args: a root
// holding only the command args[0] names (and every field of root that is
// not a command: global flags), or the whole root when args name no
// command (help, usage errors, suggestions). Kong builds its model by
// reflection over every command and flag it is given, which for all of
// trustpub's commands is most of what a short command such as `trustpub
// version` costs; building the one command asked for keeps the parser's
// cost to that command's own flags.
func grammarFor(args []string) any {
	full := &root{}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return full
	}
	rt := reflect.TypeFor[root]()
	var fields []reflect.StructField
	found := false
	for i := range rt.NumField() {
		f := rt.Field(i)
		if _, isCmd := f.Tag.Lookup("cmd"); !isCmd {
			fields = append(fields, f)
			continue
		}
		if commandName(f) == args[0] || slices.Contains(strings.Split(f.Tag.Get("aliases"), ","), args[0]) {
			fields = append(fields, f)
			found = true
		}
	}
	if !found {
		return full
	}
	return reflect.New(reflect.StructOf(fields)).Interface()
}

// commandName is the name kong gives a command field: its name tag, or
// its Go name in kebab case.
func commandName(f reflect.StructField) string {
	if n := f.Tag.Get("name"); n != "" {
		return n
	}
	var b strings.Builder
	for i, r := range f.Name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
