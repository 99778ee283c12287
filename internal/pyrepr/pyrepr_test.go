package pyrepr

import (
	"math"
	"testing"
)

// Expected values are what CPython 3.11 prints for repr() of the same str.
func TestStr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "''"},
		{"abc", "'abc'"},
		{"it's", `"it's"`},
		{`it's "x"`, `'it\'s "x"'`},
		{`say "hi"`, `'say "hi"'`},
		{"a\\b", `'a\\b'`},
		{"tab\tnl\ncr\r", `'tab\tnl\ncr\r'`},
		{"\x00\x1f\x7f", `'\x00\x1f\x7f'`},
		{"é ü ß", "'é ü ß'"},
		{"\u00a0", `'\xa0'`},
		{"\u200b", `'\u200b'`},
		{"😀", "'😀'"},
		{"\U000e0001", `'\U000e0001'`},
		{`both ' and "`, `'both \' and "'`},
		{"\u2028", `'\u2028'`},
		{"ctl\x01\x7f\u009f", `'ctl\x01\x7f\x9f'`},
		{"\ud7ff", `'\ud7ff'`},
		{"bad\xffutf8", `'bad\xffutf8'`},
		{`back\\slash`, `'back\\\\slash'`},
	} {
		if got := Str(tc.in); got != tc.want {
			t.Errorf("Str(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Expected values are what CPython 3.11 prints for repr() of the same bytes.
func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, "b''"},
		{[]byte("abc"), "b'abc'"},
		{[]byte("it's"), `b"it's"`},
		{[]byte(`it's "x"`), `b'it\'s "x"'`},
		{[]byte("\x00\n\r\t\x7f\xff"), `b'\x00\n\r\t\x7f\xff'`},
		{[]byte(`a\b`), `b'a\\b'`},
		{[]byte("é"), `b'\xc3\xa9'`},
	} {
		if got := Bytes(tc.in); got != tc.want {
			t.Errorf("Bytes(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Expected values are CPython 3.11's repr() of the same float.
func TestFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{1, "1.0"},
		{-2.5, "-2.5"},
		{1e16, "1e+16"},
		{1e-5, "1e-05"},
		{0.0001, "0.0001"},
		{123456789012345.6, "123456789012345.6"},
		{1.5e300, "1.5e+300"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	} {
		if got := Float(tc.in); got != tc.want {
			t.Errorf("Float(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestStrList(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "[]"},
		{[]string{"a"}, "['a']"},
		{[]string{"a", "it's"}, `['a', "it's"]`},
	} {
		if got := StrList(tc.in); got != tc.want {
			t.Errorf("StrList(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Expected values are CPython 3.11's json.dumps() of the same str.
func TestJSONString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"some-audience", `"some-audience"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"é", `"\u00e9"`},
		{"😀", `"\ud83d\ude00"`},
		{"\x7f", `"\u007f"`},
		{"\n\t\b\f\r\x01", `"\n\t\b\f\r\u0001"`},
		{"<&>", `"<&>"`},
	} {
		if got := JSONString(tc.in); got != tc.want {
			t.Errorf("JSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
