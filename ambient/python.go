package ambient

import (
	"net/url"
	"strings"
)

// This file reproduces the query merge of `id`'s GitHub request URL, a
// Python behaviour whose output is part of `id`'s observable contract
// (repr() and json.dumps() live in internal/pyrepr).

// mergeQuery adds fields to the query of raw as `id` 1.6.1 does for GET
// requests: the existing query is parsed with blank values dropped and
// repeated keys collapsed to their last value, existing keys keep their
// place, new keys follow in the order given, and everything is re-encoded
// form-style (space as +). So
// "https://h/p?api-version=2.0" + audience=x gives
// "https://h/p?api-version=2.0&audience=x". url.Values would sort the keys.
func mergeQuery(raw string, fields ...[2]string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	var keys []string
	vals := map[string]string{}
	set := func(k, v string) {
		if _, seen := vals[k]; !seen {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || v == "" {
			continue // parse_qsl drops blank values and bare keys
		}
		set(unquotePlus(k), unquotePlus(v))
	}
	for _, f := range fields {
		set(f[0], f[1])
	}
	enc := make([]string, len(keys))
	for i, k := range keys {
		enc[i] = url.QueryEscape(k) + "=" + url.QueryEscape(vals[k])
	}
	u.RawQuery = strings.Join(enc, "&")
	u.ForceQuery = false
	return u, nil
}

// unquotePlus decodes a form-encoded query part like Python's unquote_plus:
// a malformed escape is kept as it is rather than rejected.
func unquotePlus(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return strings.ReplaceAll(s, "+", " ")
}
