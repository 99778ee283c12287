package report

import (
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustpub/trustpub/bench/internal/hashrate"
	"github.com/trustpub/trustpub/bench/internal/machine"
	"github.com/trustpub/trustpub/bench/internal/startup"
	"github.com/trustpub/trustpub/bench/internal/stats"
)

func runs(rssKiB int64, walls ...float64) []Run {
	out := make([]Run, len(walls))
	for i, w := range walls {
		out[i] = Run{WallSeconds: w, MaxRSSKiB: rssKiB + int64(i), First: i%2 == 0}
	}
	return out
}

// hashCeiling is a hashing result whose parallel ceiling is parallel MiB/s
// (one goroutine hashing both: 80 % of it).
func hashCeiling(parallel float64) *hashrate.Result {
	return &hashrate.Result{Bytes: 1 << 30, Parallel: stats.Summary{N: 3, Median: parallel, Min: parallel - 10, Max: parallel + 10},
		Both: stats.Summary{N: 3, Median: 0.8 * parallel}, SHA256: stats.Summary{N: 3, Median: 2 * parallel}, BLAKE2b: stats.Summary{N: 3, Median: parallel}}
}

func TestFinish(t *testing.T) {
	tests := []struct {
		name        string
		c           Case
		wantRatio   float64
		wantMet     *bool
		wantTput    float64 // trustpub MiB/s
		wantPercent float64
	}{
		{
			name: "small case, target met",
			c: Case{ID: "a", Tools: []Tool{
				{Name: Trustpub, Runs: runs(10000, 0.10, 0.12, 0.11, 0.09, 0.30)},
				{Name: Twine, Runs: runs(40000, 0.60, 0.62, 0.55, 0.70, 0.58)},
			}},
			wantRatio: 0.60 / 0.11, wantMet: ptr(true),
		},
		{
			name: "small case, target missed",
			c: Case{ID: "b", Tools: []Tool{
				{Name: Trustpub, Runs: runs(10000, 1, 1, 1)},
				{Name: Twine, Runs: runs(40000, 4, 4.5, 3.5)},
			}},
			wantRatio: 4, wantMet: ptr(false),
		},
		{
			name: "twine skipped: no ratio, no verdict",
			c: Case{ID: "a", Tools: []Tool{
				{Name: Trustpub, Runs: runs(10000, 0.1)},
				{Name: Twine, Skipped: "twine not found"},
			}},
		},
		{
			name: "big case: 800 of 1000 MiB/s, 30 MiB RSS",
			c: Case{ID: "c", Big: true, Bytes: 1 << 30, Hash: hashCeiling(880), Tools: []Tool{
				{Name: Trustpub, Runs: runs(30<<10, 1.28, 1.30, 1.20)},
				{Name: Twine, Runs: runs(200<<10, 5.12, 5.0, 5.2)},
			}},
			wantRatio: 4, wantMet: ptr(true), wantTput: 800, wantPercent: 100 * 800.0 / 880,
		},
		{
			name: "big case: fast enough but too much memory",
			c: Case{ID: "c", Big: true, Bytes: 1 << 30, Hash: hashCeiling(880), Tools: []Tool{
				{Name: Trustpub, Runs: runs(70<<10, 1.28)},
			}},
			wantMet: ptr(false), wantTput: 800, wantPercent: 100 * 800.0 / 880,
		},
		{
			name: "big case: too slow",
			c: Case{ID: "c", Big: true, Bytes: 1 << 30, Hash: hashCeiling(880), Tools: []Tool{
				{Name: Trustpub, Runs: runs(20<<10, 2.048)},
			}},
			wantMet: ptr(false), wantTput: 500, wantPercent: 100 * 500.0 / 880,
		},
		{
			// The index shares the cores: 50 % with it, 80 % alone. The
			// target is the client's, so the client alone is judged.
			name: "big case: judged on the client alone when the sink was measured",
			c: Case{ID: "c", Big: true, Bytes: 1 << 30, Hash: hashCeiling(880), Tools: []Tool{
				{Name: Trustpub, Runs: runs(20<<10, 2.048)},
			}, Sink: &Tool{Name: Trustpub, Runs: runs(20<<10, 1.28, 1.28)}},
			wantMet: ptr(true), wantTput: 500, wantPercent: 100 * 500.0 / 880,
		},
		{
			name: "big case: the client alone too slow",
			c: Case{ID: "c", Big: true, Bytes: 1 << 30, Hash: hashCeiling(880), Tools: []Tool{
				{Name: Trustpub, Runs: runs(20<<10, 1.28)},
			}, Sink: &Tool{Name: Trustpub, Runs: runs(20<<10, 2.048)}},
			wantMet: ptr(false), wantTput: 800, wantPercent: 100 * 800.0 / 880,
		},
		{
			name: "big case: the client alone uses too much memory",
			c: Case{ID: "c", Big: true, Bytes: 1 << 30, Hash: hashCeiling(880), Tools: []Tool{
				{Name: Trustpub, Runs: runs(20<<10, 1.28)},
			}, Sink: &Tool{Name: Trustpub, Runs: runs(70<<10, 1.28)}},
			wantMet: ptr(false), wantTput: 800, wantPercent: 100 * 800.0 / 880,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Report{Cases: []Case{tc.c}}
			if err := r.Finish(); err != nil {
				t.Fatal(err)
			}
			c := r.Cases[0]
			if math.Abs(c.Ratio-tc.wantRatio) > 1e-9 {
				t.Errorf("ratio %v, want %v", c.Ratio, tc.wantRatio)
			}
			if (c.TargetMet == nil) != (tc.wantMet == nil) || (c.TargetMet != nil && *c.TargetMet != *tc.wantMet) {
				t.Errorf("target met %v, want %v", show(c.TargetMet), show(tc.wantMet))
			}
			tp := c.Tool(Trustpub)
			if math.Abs(tp.ThroughputMiBs-tc.wantTput) > 1e-6 || math.Abs(tp.PercentOfHash-tc.wantPercent) > 1e-6 {
				t.Errorf("throughput %v MiB/s (%v%%), want %v (%v%%)", tp.ThroughputMiBs, tp.PercentOfHash, tc.wantTput, tc.wantPercent)
			}
			if want := tc.c.Tools[0].Runs[len(tc.c.Tools[0].Runs)-1].MaxRSSKiB; tp.PeakRSSKiB != want {
				t.Errorf("peak RSS %d, want the largest run's %d", tp.PeakRSSKiB, want)
			}
		})
	}
}

func ptr(b bool) *bool { return &b }

func show(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

func sample(t *testing.T) *Report {
	t.Helper()
	r := &Report{
		Command:     "go run ./bench -runs 5",
		Machine:     machine.Info{CPU: "Test CPU 9000", Cores: 2, OS: "linux/amd64", GoVersion: "go1.26.8", Twine: "twine version 4.0.2"},
		RunsPerTool: 5,
		Cases: []Case{
			{ID: "a", Title: "1 small sdist", Bytes: 2100, Files: 1, Tools: []Tool{
				{Name: Twine, Runs: runs(40000, 0.5, 0.5, 0.5)},
				{Name: Trustpub, Runs: runs(10000, 0.05, 0.04, 0.06)},
			}},
			{ID: "b", Title: "40 small wheels + 1 sdist", Bytes: 1 << 20, Files: 41, Tools: []Tool{
				{Name: Trustpub, Runs: runs(10000, 0.5)},
				{Name: Twine, Skipped: "twine not found on PATH"},
			}},
			{ID: "c", Title: "1 big wheel", Big: true, Bytes: 1 << 30, Files: 1, Hash: hashCeiling(880), Tools: []Tool{
				{Name: Trustpub, Runs: runs(30<<10, 1.28)},
				{Name: Twine, Runs: runs(200<<10, 3.2)},
			}},
		},
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMarkdown(t *testing.T) {
	var b strings.Builder
	if err := sample(t).Markdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| Case | Tool | Wall time (median) |",
		"| (a) 1 small sdist, 2.05 KiB | trustpub | 50.0 ms | 40.0 ms – 60.0 ms | 10.0 ms | 9.77 MiB |  | **10.0×** | ≥ 5× twine: met |",
		"|  | twine | 500 ms |",
		"| (b) 40 small wheels + 1 sdist, 1 MiB | trustpub | 500 ms |",
		"| twine | skipped: twine not found on PATH |",
		"≥ 5× twine: n/a",
		"| (c) 1 big wheel, 1 GiB | trustpub | 1.28 s | 1.28 s – 1.28 s | 0 ms | 30 MiB | 800 MiB/s (91% of hashing) | **2.5×** | ≥ 90% of hashing, RSS < 64 MiB: met |",
		"each on its own goroutine (as the client hashes): 880 MiB/s (min – max 870 – 890); in one goroutine, one digest after the other: 704 MiB/s; sha256 alone 1760 MiB/s, blake2b-256 alone 880 MiB/s",
		"Machine: Test CPU 9000, 2 cores, linux/amd64; go1.26.8; twine version 4.0.2.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	// trustpub's row comes first in each case even when twine was recorded first.
	if !strings.Contains(out, "| (a) 1 small sdist, 2.05 KiB | trustpub") {
		t.Error("trustpub is not the first row of case (a)")
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0 ms"}, {0.00841, "8.41 ms"}, {0.0123, "12.3 ms"}, {0.153, "153 ms"}, {2.049, "2.05 s"}, {12.34, "12.3 s"}, {123.4, "123 s"},
	}
	for _, tc := range tests {
		if got := Duration(tc.in); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	r := sample(t)
	path := filepath.Join(t.TempDir(), "results.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Cases) != 3 || back.Cases[0].Ratio != r.Cases[0].Ratio || back.Cases[2].Hash == nil || back.Machine.CPU != "Test CPU 9000" {
		t.Errorf("round trip lost data: %+v", back)
	}
	if !strings.Contains(string(b), `"ratio_twine_over_trustpub": 10`) || !strings.Contains(string(b), `"percent_of_hash_ceiling": 90.9`) {
		t.Errorf("JSON lacks the headline fields:\n%s", b)
	}
	if err := r.WriteJSON(filepath.Join(t.TempDir(), "missing-dir", "x.json")); err == nil || !strings.Contains(err.Error(), "-json") {
		t.Errorf("unwritable path: %v", err)
	}
}

func TestWritePNG(t *testing.T) {
	r := sample(t) // ratios 10, none, 2.5
	path := filepath.Join(t.TempDir(), "chart.png")
	if err := r.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	barColor, targetColor := ChartColors()
	top := AxisTop([]float64{10, 0, 2.5})
	// Measure each bar's height by scanning its centre column for bar colour.
	height := func(i int) int {
		rect := BarRect(i, 0, top)
		x := rect.Min.X + barWidth/2
		n := 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			if img.At(x, y) == barColor {
				n++
			}
		}
		return n
	}
	ha, hb, hc := height(0), height(1), height(2)
	if hb != 0 {
		t.Errorf("case without a ratio has a bar of %d px", hb)
	}
	if ha == 0 || hc == 0 {
		t.Fatalf("bars missing: a=%d c=%d", ha, hc)
	}
	// The bars are cut by the dashed target line; allow for that.
	if got := float64(ha) / float64(hc); math.Abs(got-4) > 0.2 {
		t.Errorf("bar heights %d and %d: ratio %.2f, want 4 (10× vs 2.5×)", ha, hc, got)
	}
	// The target line crosses (a)'s and (b)'s slots, not the big case's.
	ty := plotBottom - int(math.Round(TargetRatio/top*float64(plotBottom-plotTop)))
	red := func(i int) int {
		n := 0
		rect := BarRect(i, 0, top)
		for x := rect.Min.X - barGap/2; x < rect.Max.X+barGap/2; x++ {
			if img.At(x, ty) == targetColor {
				n++
			}
		}
		return n
	}
	if red(0) == 0 || red(1) == 0 {
		t.Errorf("no target line at y=%d over (a) and (b): %d, %d red pixels", ty, red(0), red(1))
	}
	if n := red(2); n != 0 {
		t.Errorf("the ratio target line crosses the big case, whose target is hashing: %d red pixels", n)
	}
	if w := img.Bounds().Dx(); w < 3*barWidth {
		t.Errorf("chart width %d too small for 3 bars", w)
	}
}

func TestMarkdownStartup(t *testing.T) {
	sum := func(median float64) stats.Summary {
		return stats.Summary{N: 20, Median: median, Min: median * 0.9, Max: median * 1.2}
	}
	floor := sum(0.008)
	for _, tc := range []struct {
		name       string
		st         startup.Result
		want       []string
		wantNoneOf []string
	}{
		{
			name: "missed, with the floor",
			st:   startup.Result{Trustpub: sum(0.009), Hello: sum(0.0015), Floor: &floor, Ratio: 6, FloorRatio: 1.125, FloorOverHello: 5.33},
			want: []string{
				"Start-up: `trustpub version` median 9.00 ms",
				"**6.00×** (target ≤ 2×: **missed**)",
				"The floor, a hello world that links the Sigstore libraries",
				"median 8.00 ms (7.20 ms – 9.60 ms, IQR 0 ms), 5.33× the hello world; `trustpub version` is **1.12×** the floor",
			},
		},
		{
			name:       "met, no floor",
			st:         startup.Result{Trustpub: sum(0.002), Hello: sum(0.0015), Ratio: 1.33},
			want:       []string{"**1.33×** (target ≤ 2×: met)"},
			wantNoneOf: []string{"The floor"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sample(t)
			r.Startup = &tc.st
			var b strings.Builder
			if err := r.Markdown(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("markdown lacks %q:\n%s", want, out)
				}
			}
			for _, bad := range tc.wantNoneOf {
				if strings.Contains(out, bad) {
					t.Errorf("markdown has %q:\n%s", bad, out)
				}
			}
		})
	}
}
