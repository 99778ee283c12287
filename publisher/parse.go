package publisher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/trustpub/trustpub/internal/pyrepr"
)

// pydantic's documentation URL for the version Warehouse pins (2.13).
const pydanticURL = "https://errors.pydantic.dev/2.13/v/"

// ParseMintRequest reads a mint-token request body as Warehouse's pydantic
// model TokenPayload(token: StrictStr) does: a JSON object whose "token" is
// a string (other keys are ignored). Otherwise it returns an invalid-payload
// *Error whose description imitates str(pydantic.ValidationError).
func ParseMintRequest(body []byte) (string, *Error) {
	v, err := parseOrdered(body)
	if err != nil {
		msg := "EOF while parsing a value at line 1 column 0"
		if len(bytes.TrimSpace(body)) > 0 {
			// encoding/json's whole-buffer error has the exact offset.
			var x any
			if uerr := json.Unmarshal(body, &x); uerr != nil {
				err = uerr
			}
			msg = jsonErrorText(body, err)
		}
		return "", payloadErr("", "Invalid JSON: "+msg, "json_invalid", pyrepr.Bytes(body), "bytes")
	}
	obj, ok := v.(orderedObject)
	if !ok {
		return "", payloadErr("", "Input should be an object", "model_type", pyRepr(v), pyType(v))
	}
	tok, found := obj.get("token")
	if !found {
		return "", payloadErr("token", "Field required", "missing", pyRepr(obj), "dict")
	}
	s, ok := tok.(string)
	if !ok {
		return "", payloadErr("token", "Input should be a valid string", "string_type", pyRepr(tok), pyType(tok))
	}
	return s, nil
}

// payloadErr renders one pydantic ValidationError for TokenPayload.
func payloadErr(loc, msg, typ, input, inputType string) *Error {
	var b strings.Builder
	b.WriteString("1 validation error for TokenPayload\n")
	if loc != "" {
		b.WriteString(loc + "\n")
	}
	fmt.Fprintf(&b, "  %s [type=%s, input_value=%s, input_type=%s]\n", msg, typ, truncateRepr(input), inputType)
	b.WriteString("    For further information visit " + pydanticURL + typ)
	return &Error{Code: CodeInvalidPayload, Description: b.String()}
}

// truncateRepr shortens long input reprs as pydantic-core does.
func truncateRepr(s string) string {
	r := []rune(s)
	if len(r) <= 50 {
		return s
	}
	return string(r[:25]) + "..." + string(r[len(r)-24:])
}

// jsonErrorText describes a JSON syntax error as pydantic's parser (jiter)
// words the common ones ("EOF while parsing a value", "expected value"),
// with its line and column.
func jsonErrorText(body []byte, err error) string {
	pos := func(off int) (int, int) {
		off = min(max(off, 0), len(body))
		line := 1 + bytes.Count(body[:off], []byte("\n"))
		col := off - bytes.LastIndexByte(body[:off], '\n') - 1
		return line, col
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		l, c := pos(len(body))
		return fmt.Sprintf("EOF while parsing a value at line %d column %d", l, c)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		l, c := pos(int(se.Offset))
		msg := se.Error()
		switch {
		case msg == "unexpected end of JSON input":
			msg = "EOF while parsing a value"
		case strings.HasSuffix(msg, "looking for beginning of value"):
			msg = "expected value"
		}
		return fmt.Sprintf("%s at line %d column %d", msg, l, c)
	}
	return err.Error()
}

// orderedObject is a JSON object that remembers its key order, so that its
// Python repr lists keys as a dict would.
type orderedObject struct {
	keys []string
	vals map[string]any
}

func (o orderedObject) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// parseOrdered decodes exactly one JSON value, objects as orderedObject,
// numbers as json.Number.
func parseOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, &json.SyntaxError{Offset: dec.InputOffset()}
		}
		return nil, err
	}
	return v, nil
}

const maxDepth = 64

func parseValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("recursion limit exceeded")
	}
	t, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := orderedObject{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := o.vals[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.vals[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			list := []any{}
			for dec.More() {
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return list, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	default:
		return t, nil
	}
}

// pyType is the Python type name of a decoded JSON value.
func pyType(v any) string {
	switch v := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case json.Number:
		if isInt(v) {
			return "int"
		}
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case orderedObject:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

func isInt(n json.Number) bool { return !strings.ContainsAny(string(n), ".eE") }

// pyRepr renders a decoded JSON value as Python's repr would.
func pyRepr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case json.Number:
		if isInt(v) {
			return strings.TrimPrefix(string(v), "+")
		}
		f, err := v.Float64()
		if err != nil {
			return "inf"
		}
		return pyrepr.Float(f)
	case string:
		return pyrepr.Str(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = pyRepr(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case orderedObject:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = pyrepr.Str(k) + ": " + pyRepr(v.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}
