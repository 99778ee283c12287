package bufpool

import "testing"

func TestClass(t *testing.T) {
	if MinSize<<(classes-1) != MaxSize {
		t.Fatalf("the largest class is %d bytes, want MaxSize %d", MinSize<<(classes-1), MaxSize)
	}
	tests := []struct{ size, want int }{
		{0, 0}, {1, 0}, {4096, 0}, {4097, 1}, {8192, 1}, {8193, 2},
		{34 << 10, 4}, {64 << 10, 4}, {64<<10 + 1, 5}, {MaxSize - 1, classes - 1}, {MaxSize, classes - 1},
	}
	for _, tc := range tests {
		if got := class(tc.size); got != tc.want {
			t.Errorf("class(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
}

func TestPool(t *testing.T) {
	var p Pool
	for _, size := range []int{0, 1, 4096, 5000, 34 << 10, MaxSize} {
		b := p.Get(size)
		if len(b) < size || len(b) != MinSize<<class(size) {
			t.Errorf("Get(%d) = %d bytes, want its class's %d", size, len(b), MinSize<<class(size))
		}
		p.Put(b[:1]) // a resliced buffer goes back whole
	}
	if b := p.Get(MaxSize + 1); len(b) != MaxSize+1 {
		t.Errorf("Get(MaxSize+1) = %d bytes, want exactly that", len(b))
	}
	// Buffers of foreign sizes are dropped, never handed out for a class.
	p.Put(make([]byte, 5000))
	p.Put(make([]byte, 2*MaxSize))
	for range 3 {
		if b := p.Get(5000); len(b) != 8192 {
			t.Fatalf("Get(5000) = %d bytes after a foreign Put, want 8192", len(b))
		}
	}
}

// TestPoolReuses: a buffer that went back is handed out again for its
// class. sync.Pool may drop what it holds at any garbage collection, and
// under the race detector it drops some at random, so the test looks for
// reuse over several tries instead of demanding it every time.
func TestPoolReuses(t *testing.T) {
	var p Pool
	reused := 0
	for range 20 {
		b := p.Get(100 << 10)
		if len(b) != 128<<10 {
			t.Fatalf("Get(100 KiB) = %d bytes, want 128 KiB", len(b))
		}
		p.Put(b)
		if again := p.Get(100 << 10); &again[0] == &b[0] {
			reused++
		}
	}
	if reused == 0 {
		t.Error("no buffer was ever handed out again")
	}
}

func TestNilPool(t *testing.T) {
	var p *Pool
	if b := p.Get(5000); len(b) != 8192 {
		t.Errorf("nil Get(5000) = %d bytes, want 8192", len(b))
	}
	p.Put(make([]byte, 8192)) // no panic
}
