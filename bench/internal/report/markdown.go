package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/trustpub/trustpub/bench/internal/size"
	"github.com/trustpub/trustpub/bench/internal/startup"
)

// Markdown writes the report as a markdown section ready to paste into the
// README: the table, the hashing ceiling, the machine and the command.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	where := ""
	if r.IndexData != "" {
		where = ", " + r.IndexData
	}
	fmt.Fprintf(&b, "Upload to a local `trustpub serve` on loopback (fresh data directory per run%s), %d run(s) per tool and case", where, r.RunsPerTool)
	if r.Warmup > 0 {
		fmt.Fprintf(&b, " after %d untimed warm-up run(s)", r.Warmup)
	}
	b.WriteString(", tools alternated run by run.\n\n")
	b.WriteString("| Case | Tool | Wall time (median) | Min – max | IQR | Peak RSS | Throughput | twine / trustpub | Target |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	for ci := range r.Cases {
		c := &r.Cases[ci]
		label := fmt.Sprintf("(%s) %s, %s", c.ID, c.Title, size.Format(c.Bytes))
		for i, t := range toolOrder(c.Tools) {
			caseCell, ratioCell, targetCell := "", "", ""
			if i == 0 {
				caseCell = label
				ratioCell = "n/a"
				if c.Ratio > 0 {
					ratioCell = fmt.Sprintf("**%.1f×**", c.Ratio)
				}
				targetCell = c.Target + ": " + verdict(c.TargetMet)
			}
			if !t.Measured() {
				reason := t.Skipped
				if reason == "" {
					reason = "no runs"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | | | | | %s | %s |\n", caseCell, t.Name, "skipped: "+reason, ratioCell, targetCell)
				continue
			}
			tput := ""
			if c.Big {
				tput = fmt.Sprintf("%.0f MiB/s", t.ThroughputMiBs)
				if t.PercentOfHash > 0 {
					tput += fmt.Sprintf(" (%.0f%% of hashing)", t.PercentOfHash)
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s – %s | %s | %s | %s | %s | %s |\n",
				caseCell, t.Name, Duration(t.Wall.Median), Duration(t.Wall.Min), Duration(t.Wall.Max), Duration(t.Wall.IQR()),
				size.Format(t.PeakRSSKiB<<10), tput, ratioCell, targetCell)
		}
	}
	b.WriteString("\n")
	for ci := range r.Cases {
		c := &r.Cases[ci]
		if c.Hash == nil {
			continue
		}
		h := c.Hash
		if h.Parallel.Median > 0 {
			fmt.Fprintf(&b, "Hashing ceiling for (%s), the same %s file read once, sha256 and blake2b-256 each on its own goroutine (as the client hashes): %.0f MiB/s (min – max %.0f – %.0f); in one goroutine, one digest after the other: %.0f MiB/s; sha256 alone %.0f MiB/s, blake2b-256 alone %.0f MiB/s (medians of %d). Throughput percentages are of the parallel ceiling.\n\n",
				c.ID, size.Format(h.Bytes), h.Parallel.Median, h.Parallel.Min, h.Parallel.Max, h.Both.Median, h.SHA256.Median, h.BLAKE2b.Median, h.Both.N)
		} else {
			fmt.Fprintf(&b, "Hashing ceiling for (%s), the same %s file read once in one goroutine: sha256 + blake2b-256 %.0f MiB/s (sha256 alone %.0f MiB/s, blake2b-256 alone %.0f MiB/s; median of %d).\n\n",
				c.ID, size.Format(h.Bytes), h.Both.Median, h.SHA256.Median, h.BLAKE2b.Median, h.Both.N)
		}
		if sk := c.Sink; sk != nil && sk.Measured() {
			fmt.Fprintf(&b, "The trustpub client alone on (%s), uploading to a loopback server that discards the bytes (no index sharing the 2 cores and the disk): median %s, %.0f MiB/s (%.0f%% of hashing), peak RSS %s over %d run(s). This is the figure judged against the target. With `trustpub serve` on the same machine, the index's own sha256 + blake2b and its write compete with the client for the cores and set the figure in the table.\n\n",
				c.ID, Duration(sk.Wall.Median), sk.ThroughputMiBs, sk.PercentOfHash, size.Format(sk.PeakRSSKiB<<10), len(sk.Runs))
		}
	}
	if st := r.Startup; st != nil {
		verdictWord := "met"
		if st.Ratio > startup.TargetRatio {
			verdictWord = "**missed**"
		}
		fmt.Fprintf(&b, "Start-up: `trustpub version` median %s (min – max %s – %s, IQR %s) against a static Go hello world's %s (%s – %s, IQR %s), %d runs each, alternated: **%.2f×** (target ≤ %.0f×: %s).\n\n",
			Duration(st.Trustpub.Median), Duration(st.Trustpub.Min), Duration(st.Trustpub.Max), Duration(st.Trustpub.IQR()),
			Duration(st.Hello.Median), Duration(st.Hello.Min), Duration(st.Hello.Max), Duration(st.Hello.IQR()), st.Trustpub.N,
			st.Ratio, startup.TargetRatio, verdictWord)
		if f := st.Floor; f != nil {
			fmt.Fprintf(&b, "The floor, a hello world that links the Sigstore libraries trustpub signs and verifies attestations with (its attest and devsigstore packages: sigstore-go, Rekor's types, go-openapi, protobuf, gRPC) and calls nothing of them: median %s (%s – %s, IQR %s), %.2f× the hello world; `trustpub version` is **%.2f×** the floor, the cost of trustpub's own code.\n\n",
				Duration(f.Median), Duration(f.Min), Duration(f.Max), Duration(f.IQR()), st.FloorOverHello, st.FloorRatio)
		}
	}
	fmt.Fprintf(&b, "Machine: %s, %d cores", m.CPU, m.Cores)
	if m.MemTotalMiB > 0 {
		fmt.Fprintf(&b, ", %s RAM", size.Format(m.MemTotalMiB<<20))
	}
	fmt.Fprintf(&b, ", %s", m.OS)
	if m.Kernel != "" {
		fmt.Fprintf(&b, " %s", m.Kernel)
	}
	fmt.Fprintf(&b, "; %s", m.GoVersion)
	if m.Trustpub != "" {
		fmt.Fprintf(&b, "; %s", m.Trustpub)
	}
	if m.Twine != "" {
		fmt.Fprintf(&b, "; %s", m.Twine)
	}
	if m.LoadAverage1 != "" {
		fmt.Fprintf(&b, "; load average %s at start", m.LoadAverage1)
	}
	b.WriteString(".\n")
	if !r.Started.IsZero() {
		fmt.Fprintf(&b, "Run %s, took %s: `%s`.\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), Duration(r.Seconds), r.Command)
	}
	if floor := r.rssFloorKiB(); floor > 0 {
		fmt.Fprintf(&b, "Peak RSS is each client's own: every client is started by a small wrapper process (the benchmark's binary run again), so that its ru_maxrss is not the harness's, which a child of the harness inherits; the wrapper itself peaked at %s, the least a figure can show.\n\n", size.Format(floor<<10))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func verdict(met *bool) string {
	switch {
	case met == nil:
		return "n/a"
	case *met:
		return "met"
	}
	return "**missed**"
}

// Duration formats seconds with three significant digits in ms below one
// second and in s above: "8.41 ms", "153 ms", "2.05 s".
func Duration(sec float64) string {
	switch {
	case sec == 0:
		return "0 ms"
	case sec < 0.01:
		return fmt.Sprintf("%.2f ms", sec*1000)
	case sec < 0.1:
		return fmt.Sprintf("%.1f ms", sec*1000)
	case sec < 1:
		return fmt.Sprintf("%.0f ms", sec*1000)
	case sec < 10:
		return fmt.Sprintf("%.2f s", sec)
	case sec < 100:
		return fmt.Sprintf("%.1f s", sec)
	}
	return fmt.Sprintf("%.0f s", sec)
}

// rssFloorKiB is the largest wrapper RSS of all runs (0 when no run had a
// wrapper).
func (r *Report) rssFloorKiB() int64 {
	var floor int64
	for ci := range r.Cases {
		c := &r.Cases[ci]
		tools := append([]*Tool(nil), c.Sink)
		for ti := range c.Tools {
			tools = append(tools, &c.Tools[ti])
		}
		for _, t := range tools {
			if t == nil {
				continue
			}
			for _, run := range t.Runs {
				floor = max(floor, run.FloorKiB)
			}
		}
	}
	return floor
}
