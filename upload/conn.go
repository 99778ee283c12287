package upload

import (
	"context"
	"io"
	"net"
)

// uploadConn is a connection dialled by DefaultHTTPClient's transport.
// net/http writes a request body with a fixed length by handing it to the
// connection's ReadFrom (in an io.LimitedReader of the Content-Length) once
// the headers are flushed. A net.TCPConn copies such a body through a
// 32 KiB buffer, one write(2) per 32 KiB; uploadConn writes an upload body
// straight from the file's buffers instead (streamBody.writeTo), in writes
// of up to writeSize: every byte copied once less, and a quarter of the
// system calls or fewer, on the cores that the two digests need. Any other
// body, and any body sent over TLS (the tls.Conn wraps this connection and
// writes records of its own), takes the ordinary path.
type uploadConn struct{ net.Conn }

// ReadFrom implements io.ReaderFrom.
func (c uploadConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if b, ok := lr.R.(*streamBody); ok {
			n, err := b.writeTo(c.Conn, lr.N)
			lr.N -= n
			return n, err
		}
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// dialUploadConns wraps dial so that every connection it makes is an
// uploadConn.
func dialUploadConns(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return uploadConn{conn}, nil
	}
}
