package stats

import (
	"errors"
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want Summary
	}{
		{"one value", []float64{3}, Summary{N: 1, Min: 3, Q1: 3, Median: 3, Q3: 3, Max: 3}},
		{"two values", []float64{4, 2}, Summary{N: 2, Min: 2, Q1: 2.5, Median: 3, Q3: 3.5, Max: 4}},
		{"odd count, unsorted", []float64{5, 1, 4, 2, 3}, Summary{N: 5, Min: 1, Q1: 2, Median: 3, Q3: 4, Max: 5}},
		{"even count", []float64{1, 2, 3, 4, 5, 6}, Summary{N: 6, Min: 1, Q1: 2.25, Median: 3.5, Q3: 4.75, Max: 6}},
		{"outlier moves max, not median", []float64{10, 11, 12, 13, 500}, Summary{N: 5, Min: 10, Q1: 11, Median: 12, Q3: 13, Max: 500}},
		{"ties", []float64{7, 7, 7, 7}, Summary{N: 4, Min: 7, Q1: 7, Median: 7, Q3: 7, Max: 7}},
		{"negative and fractional", []float64{-1.5, 0.5, -0.5}, Summary{N: 3, Min: -1.5, Q1: -1, Median: -0.5, Q3: 0, Max: 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.in...)
			got, err := Summarize(in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tc.in, got, tc.want)
			}
			if iqr := tc.want.Q3 - tc.want.Q1; got.IQR() != iqr {
				t.Errorf("IQR = %v, want %v", got.IQR(), iqr)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Fatalf("Summarize modified its input: %v", in)
				}
			}
		})
	}
}

func TestSummarizeRejects(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
	}{
		{"nil", nil},
		{"empty", []float64{}},
		{"NaN", []float64{1, math.NaN(), 3}},
	}
	for _, tc := range tests {
		if _, err := Summarize(tc.in); err == nil {
			t.Errorf("%s: Summarize(%v) succeeded, want an error", tc.name, tc.in)
		}
	}
	if _, err := Summarize(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("Summarize(nil) = %v, want ErrEmpty", err)
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{40, 10, 30, 20}
	tests := []struct {
		q       float64
		want    float64
		wantErr bool
	}{
		{0, 10, false},
		{1, 40, false},
		{0.5, 25, false},
		{0.9, 37, false},
		{1.0 / 3, 20, false},
		{-0.1, 0, true},
		{1.1, 0, true},
		{math.NaN(), 0, true},
	}
	for _, tc := range tests {
		got, err := Quantile(xs, tc.q)
		if (err != nil) != tc.wantErr {
			t.Errorf("Quantile(%v) error = %v, want error %v", tc.q, err, tc.wantErr)
			continue
		}
		if math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if _, err := Quantile(nil, 0.5); !errors.Is(err, ErrEmpty) {
		t.Errorf("Quantile(nil) = %v, want ErrEmpty", err)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct{ a, b, want float64 }{
		{10, 2, 5},
		{1, 4, 0.25},
		{3, 0, 0},
		{3, -1, 0},
	}
	for _, tc := range tests {
		if got := Ratio(tc.a, tc.b); got != tc.want {
			t.Errorf("Ratio(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
