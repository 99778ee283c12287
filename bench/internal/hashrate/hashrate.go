// Package hashrate measures how fast this machine hashes a file with the
// two digests an upload to PyPI carries (sha256 and blake2b-256): the
// ceiling for an uploader that reads the file once.
package hashrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/trustpub/trustpub/bench/internal/stats"
	"github.com/trustpub/trustpub/internal/parallelhash"
)

// Mode selects the digests computed in a pass.
type Mode int

const (
	// SHA256 alone.
	SHA256 Mode = iota
	// BLAKE2b alone (256-bit, as PyPI's blake2_256_digest).
	BLAKE2b
	// Both digests in one pass over the file, one after the other on each
	// buffer in one goroutine: what a single-pass uploader must at least do.
	Both
	// Parallel computes both digests in one pass, each on its own
	// goroutine, the file read ahead into a ring of buffers: what an
	// uploader that hashes as trustpub does can at best reach (on two or
	// more cores, about the speed of blake2b alone). The ceiling the client
	// is judged against.
	Parallel
)

// String names the mode for reports.
func (m Mode) String() string {
	switch m {
	case SHA256:
		return "sha256"
	case BLAKE2b:
		return "blake2b-256"
	case Both:
		return "sha256+blake2b-256"
	case Parallel:
		return "sha256+blake2b-256 in parallel"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// bufSize is the read size of the one-goroutine passes, the parallel
// pass's (internal/parallelhash): large enough that syscalls do not matter.
const bufSize = parallelhash.BufSize

// Pass is one timed read of a file through the mode's digests.
type Pass struct {
	Bytes    int64
	Duration time.Duration
	// SHA256 is the hex digest when the mode computed it.
	SHA256 string
}

// MiBps is the pass's throughput in MiB/s.
func (p Pass) MiBps() float64 {
	if p.Duration <= 0 {
		return 0
	}
	return float64(p.Bytes) / (1 << 20) / p.Duration.Seconds()
}

// Hash reads path once, feeding every buffer to the mode's digests, and
// times it (open to last digest).
func Hash(ctx context.Context, path string, mode Mode) (Pass, error) {
	if mode == Parallel {
		return hashParallel(ctx, path)
	}
	var hs []hash.Hash
	var sha hash.Hash
	if mode == SHA256 || mode == Both {
		sha = sha256.New()
		hs = append(hs, sha)
	}
	if mode == BLAKE2b || mode == Both {
		b, err := blake2b.New256(nil)
		if err != nil {
			return Pass{}, err
		}
		hs = append(hs, b)
	}
	if len(hs) == 0 {
		return Pass{}, fmt.Errorf("hashrate: unknown mode %d", int(mode))
	}
	buf := make([]byte, bufSize)
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return Pass{}, fmt.Errorf("hashing: %w", err)
	}
	defer f.Close()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Pass{}, err
		}
		k, err := f.Read(buf)
		for _, h := range hs {
			h.Write(buf[:k])
		}
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Pass{}, fmt.Errorf("hashing %s: %w", path, err)
		}
	}
	var sums [][]byte
	for _, h := range hs {
		sums = append(sums, h.Sum(nil))
	}
	p := Pass{Bytes: n, Duration: time.Since(start)}
	if sha != nil {
		p.SHA256 = hex.EncodeToString(sums[0])
	}
	return p, nil
}

// Result is the hashing throughput of one file, in MiB/s, per mode.
type Result struct {
	Bytes   int64         `json:"bytes"`
	SHA256  stats.Summary `json:"sha256_mib_s"`
	BLAKE2b stats.Summary `json:"blake2b_mib_s"`
	// Both is one goroutine hashing both digests in one pass.
	Both stats.Summary `json:"sha256_blake2b_one_pass_mib_s"`
	// Parallel is the ceiling the client is compared with (see Parallel).
	Parallel stats.Summary `json:"sha256_blake2b_parallel_mib_s"`
	// Digest is the file's sha256 (hex), for checking a cached input.
	Digest string `json:"-"`
}

// Ceiling is the throughput an upload is compared with: the parallel
// pass's median, or the one-goroutine pass's where the parallel one was not
// measured.
func (r *Result) Ceiling() float64 {
	if r.Parallel.Median > 0 {
		return r.Parallel.Median
	}
	return r.Both.Median
}

// Measure hashes path runs times in each mode, after one untimed read that
// brings the file into the page cache (the clients also read it warm), and
// summarises the throughput.
func Measure(ctx context.Context, path string, runs int) (Result, error) {
	if runs < 1 {
		runs = 1
	}
	warm, err := Hash(ctx, path, SHA256)
	if err != nil {
		return Result{}, err
	}
	res := Result{Bytes: warm.Bytes, Digest: warm.SHA256}
	for _, m := range []struct {
		mode Mode
		out  *stats.Summary
	}{{SHA256, &res.SHA256}, {BLAKE2b, &res.BLAKE2b}, {Both, &res.Both}, {Parallel, &res.Parallel}} {
		xs := make([]float64, 0, runs)
		for range runs {
			p, err := Hash(ctx, path, m.mode)
			if err != nil {
				return Result{}, err
			}
			if p.SHA256 != "" && p.SHA256 != res.Digest {
				return Result{}, fmt.Errorf("hashing %s: the file changed while it was measured", path)
			}
			xs = append(xs, p.MiBps())
		}
		if *m.out, err = stats.Summarize(xs); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// hashParallel is Hash in Parallel mode (internal/parallelhash).
func hashParallel(ctx context.Context, path string) (Pass, error) {
	start := time.Now()
	sums, err := parallelhash.File(ctx, path)
	if err != nil {
		return Pass{}, err
	}
	return Pass{Bytes: sums.Bytes, Duration: time.Since(start), SHA256: sums.SHA256}, nil
}
