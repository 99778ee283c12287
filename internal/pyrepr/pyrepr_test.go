package pyrepr

import "testing"

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
	} {
		if got := Str(tc.in); got != tc.want {
			t.Errorf("Str(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
