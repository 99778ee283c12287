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

// Expected values are what CPython 3.11 prints for repr() of the same
// bytes, float and list, and for json.dumps() of the same str.
func TestRenderings(t *testing.T) {
	for _, tc := range []struct{ call, got, want string }{
		{"Bytes(nil)", Bytes(nil), "b''"},
		{"Bytes(abc)", Bytes([]byte("abc")), "b'abc'"},
		{"Bytes(it's)", Bytes([]byte("it's")), `b"it's"`},
		{"Bytes(both quotes)", Bytes([]byte(`it's "x"`)), `b'it\'s "x"'`},
		{"Bytes(controls)", Bytes([]byte("\x00\n\r\t\x7f\xff")), `b'\x00\n\r\t\x7f\xff'`},
		{"Bytes(backslash)", Bytes([]byte(`a\b`)), `b'a\\b'`},
		{"Bytes(utf-8)", Bytes([]byte("é")), `b'\xc3\xa9'`},
		{"Float(0)", Float(0), "0.0"},
		{"Float(1)", Float(1), "1.0"},
		{"Float(-2.5)", Float(-2.5), "-2.5"},
		{"Float(1e16)", Float(1e16), "1e+16"},
		{"Float(1e-5)", Float(1e-5), "1e-05"},
		{"Float(0.0001)", Float(0.0001), "0.0001"},
		{"Float(long)", Float(123456789012345.6), "123456789012345.6"},
		{"Float(1.5e300)", Float(1.5e300), "1.5e+300"},
		{"Float(inf)", Float(math.Inf(1)), "inf"},
		{"Float(-inf)", Float(math.Inf(-1)), "-inf"},
		{"StrList(nil)", StrList(nil), "[]"},
		{"StrList(a)", StrList([]string{"a"}), "['a']"},
		{"StrList(a, it's)", StrList([]string{"a", "it's"}), `['a', "it's"]`},
		{"JSONString(ascii)", JSONString("some-audience"), `"some-audience"`},
		{"JSONString(escapes)", JSONString(`a"b\c`), `"a\"b\\c"`},
		{"JSONString(é)", JSONString("é"), `"\u00e9"`},
		{"JSONString(astral)", JSONString("😀"), `"\ud83d\ude00"`},
		{"JSONString(DEL)", JSONString("\x7f"), `"\u007f"`},
		{"JSONString(controls)", JSONString("\n\t\b\f\r\x01"), `"\n\t\b\f\r\u0001"`},
		{"JSONString(html)", JSONString("<&>"), `"<&>"`},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.call, tc.got, tc.want)
		}
	}
}
