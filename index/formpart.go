package index

import "net/textproto"

// partContentType is a form part's media type: a part sent without a
// Content-Type (flit, requests given no type) is text/plain, as RFC 7578
// section 4.4 says and as Warehouse reads it.
func partContentType(h textproto.MIMEHeader) string {
	if ct := h.Get("Content-Type"); ct != "" {
		return ct
	}
	return "text/plain"
}
