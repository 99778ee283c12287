// Package size parses and formats byte sizes such as "64MiB" or "1GiB" for
// the benchmark's flags and tables.
package size

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units maps a suffix (lower case) to its multiplier. Binary units (KiB,
// MiB, GiB) are what the benchmark uses; decimal ones (KB, MB, GB) are
// accepted because people type them.
var units = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1000,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1000 * 1000,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1000 * 1000 * 1000,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1000 * 1000 * 1000 * 1000,
}

// Parse reads a size: a non-negative number (decimals allowed, e.g. "1.5GiB")
// followed by an optional unit B, KiB, MiB, GiB, TiB (or K, M, G, T, also
// binary) or KB, MB, GB, TB (decimal), case-insensitive.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := units[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q: want a number and an optional unit, e.g. 64MiB or 1GiB", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(v), nil
}

// Format writes n bytes in the largest binary unit that keeps the number at
// least 1, with up to three significant decimals: "1 GiB", "64 MiB", "2.05 KiB".
func Format(n int64) string {
	names := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v := float64(n)
	i := 0
	for i < len(names)-1 && math.Abs(v) >= 1024 {
		v /= 1024
		i++
	}
	return strconv.FormatFloat(roundSig(v, 3), 'f', -1, 64) + " " + names[i]
}

// roundSig rounds v to sig significant digits, keeping integer parts whole.
func roundSig(v float64, sig int) float64 {
	if v == 0 {
		return 0
	}
	digits := int(math.Floor(math.Log10(math.Abs(v)))) + 1
	dec := max(sig-digits, 0)
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}

// Value is a flag.Value holding a size in bytes.
type Value int64

// String implements flag.Value.
func (v *Value) String() string {
	if v == nil {
		return "0"
	}
	return strings.ReplaceAll(Format(int64(*v)), " ", "")
}

// Set implements flag.Value.
func (v *Value) Set(s string) error {
	n, err := Parse(s)
	if err != nil {
		return err
	}
	*v = Value(n)
	return nil
}
