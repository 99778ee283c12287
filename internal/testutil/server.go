package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Server is a server process a test started with StartServer.
type Server struct {
	// URL is the base URL the server wrote to its ready file.
	URL string
	// Log is the server's standard error.
	Log *Buffer
}

// StartServer starts cmd, a server (such as `trustpub serve --ready-file
// readyFile`) that writes its base URL to readyFile once it listens, with
// its standard error going to the returned Server's Log. It returns once
// the URL is there and ready (when not nil) holds for the log so far; it
// fails the test, showing the log, when that takes more than 10 seconds.
// When the test ends it interrupts the server and waits for it to exit
// (killing it after 10 seconds).
func StartServer(t testing.TB, cmd *exec.Cmd, readyFile string, ready func(log string) bool) *Server {
	t.Helper()
	s := &Server{Log: new(Buffer)}
	cmd.Stderr = s.Log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(readyFile); err == nil && len(b) > 0 && (ready == nil || ready(s.Log.String())) {
			s.URL = strings.TrimSpace(string(b))
			return s
		}
	}
	t.Fatalf("%s did not start:\n%s", strings.Join(cmd.Args, " "), s.Log)
	return nil
}
