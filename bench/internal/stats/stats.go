// Package stats summarises repeated measurements: median, quartiles and
// range, as the benchmark report shows them.
package stats

import (
	"errors"
	"math"
	"slices"
)

// Summary describes a sample.
type Summary struct {
	N      int     `json:"n"`
	Min    float64 `json:"min"`
	Q1     float64 `json:"q1"`
	Median float64 `json:"median"`
	Q3     float64 `json:"q3"`
	Max    float64 `json:"max"`
}

// IQR is the interquartile range, Q3 − Q1.
func (s Summary) IQR() float64 { return s.Q3 - s.Q1 }

// ErrEmpty is returned for a sample with no values.
var ErrEmpty = errors.New("stats: empty sample")

// Summarize returns the summary of xs (which it does not modify). NaN values
// are refused: a measurement that failed has no place in a median.
func Summarize(xs []float64) (Summary, error) {
	if len(xs) == 0 {
		return Summary{}, ErrEmpty
	}
	s := slices.Clone(xs)
	for _, x := range s {
		if math.IsNaN(x) {
			return Summary{}, errors.New("stats: sample contains NaN")
		}
	}
	slices.Sort(s)
	return Summary{
		N:      len(s),
		Min:    s[0],
		Q1:     quantileSorted(s, 0.25),
		Median: quantileSorted(s, 0.5),
		Q3:     quantileSorted(s, 0.75),
		Max:    s[len(s)-1],
	}, nil
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of xs by linear interpolation
// between closest ranks (Hyndman & Fan type 7, the default of R and numpy),
// so that the median of an even sample is the mean of its middle pair.
func Quantile(xs []float64, q float64) (float64, error) {
	if len(xs) == 0 {
		return 0, ErrEmpty
	}
	if q < 0 || q > 1 || math.IsNaN(q) {
		return 0, errors.New("stats: quantile must be within [0, 1]")
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantileSorted(s, q), nil
}

func quantileSorted(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// Ratio returns a/b, or 0 when b is not positive (no meaningful ratio).
func Ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
