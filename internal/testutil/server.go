package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ServerBound bounds how long StartServer waits for a server to get ready
// and, when the test ends, to exit: far above what a start takes on a
// loaded machine, so that only a hang reaches it. A server that exits
// before it is ready is reported at once.
const ServerBound = 2 * time.Minute

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
// fails the test, showing the log, when the server exits first or is not
// ready after ServerBound. When the test ends it interrupts the server and
// waits for it to exit (killing it after ServerBound).
func StartServer(t testing.TB, cmd *exec.Cmd, readyFile string, ready func(log string) bool) *Server {
	t.Helper()
	s := &Server{Log: new(Buffer)}
	cmd.Stderr = s.Log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(ServerBound):
			cmd.Process.Kill()
			<-exited
		}
	})
	name := strings.Join(cmd.Args, " ")
	for deadline := time.Now().Add(ServerBound); time.Now().Before(deadline); {
		if b, err := os.ReadFile(readyFile); err == nil && len(b) > 0 && (ready == nil || ready(s.Log.String())) {
			s.URL = strings.TrimSpace(string(b))
			return s
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before it was ready:\n%s", name, s.Log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s not ready after %v:\n%s", name, ServerBound, s.Log)
	return nil
}
