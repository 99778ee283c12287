// Package jsonhttp writes JSON answers for the project's HTTP endpoints
// (the trusted-publishing endpoints and the development issuer), the way
// Warehouse answers its API: a JSON body, never cached.
package jsonhttp

import (
	"encoding/json"
	"net/http"
)

// Write answers status with v encoded as JSON and a trailing newline.
func Write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
