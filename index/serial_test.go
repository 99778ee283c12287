package index

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/trustpub/trustpub/pydist/disttest"
)

// serials returns the X-PyPI-Last-Serial of /simple/ and of each
// project's page, checking that the JSON pages' "_last-serial" says the
// same.
func serials(t *testing.T, ti *testIndex, projects ...string) (index int64, project map[string]int64) {
	t.Helper()
	read := func(path string) int64 {
		resp, body := get(t, ti.url+path, MediaTypeJSON)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		h, err := strconv.ParseInt(resp.Header.Get("X-PyPI-Last-Serial"), 10, 64)
		if err != nil {
			t.Fatalf("GET %s: X-PyPI-Last-Serial %q", path, resp.Header.Get("X-PyPI-Last-Serial"))
		}
		var page struct {
			Meta struct {
				Serial int64 `json:"_last-serial"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(body, &page); err != nil || page.Meta.Serial != h {
			t.Fatalf("GET %s: _last-serial %d, header %d (%v)", path, page.Meta.Serial, h, err)
		}
		return h
	}
	project = map[string]int64{}
	for _, p := range projects {
		project[p] = read("/simple/" + p + "/")
	}
	return read("/simple/"), project
}

// TestSerialNeverGoesBack: every upload raises the index's serial and its
// project's; a restart after a clean stop or after a crash (the catalog
// rebuilt from the records) keeps both where they were, and the next
// upload raises them again.
func TestSerialNeverGoesBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(ti *testIndex)
	}{
		{"clean stop", (*testIndex).stop},
		{"crash", (*testIndex).crash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ti := newTestIndexAt(t, dir, nil)
			ti.mustUpload(t, wheel(t, "serial-a", "1.0", disttest.Options{}))
			i1, p1 := serials(t, ti, "serial-a")
			ti.mustUpload(t, wheel(t, "serial-b", "1.0", disttest.Options{}))
			ti.mustUpload(t, wheel(t, "serial-b", "1.1", disttest.Options{}))
			i2, p2 := serials(t, ti, "serial-a", "serial-b")
			if i1 < 1 || i2 <= i1 || p2["serial-a"] != p1["serial-a"] || p2["serial-b"] != i2 {
				t.Fatalf("serials before the restart: index %d then %d, projects %v then %v", i1, i2, p1, p2)
			}
			tc.stop(ti)

			ti = newTestIndexAt(t, dir, nil)
			i3, p3 := serials(t, ti, "serial-a", "serial-b")
			if i3 != i2 || p3["serial-a"] != p2["serial-a"] || p3["serial-b"] != p2["serial-b"] {
				t.Errorf("after the restart: index %d (was %d), projects %v (were %v)", i3, i2, p3, p2)
			}
			ti.mustUpload(t, wheel(t, "serial-a", "2.0", disttest.Options{}))
			i4, p4 := serials(t, ti, "serial-a", "serial-b")
			if i4 <= i3 || p4["serial-a"] != i4 || p4["serial-b"] != p3["serial-b"] {
				t.Errorf("an upload after the restart: index %d (was %d), projects %v (were %v)", i4, i3, p4, p3)
			}
		})
	}
}

// TestJSONHeadEncoding holds appendJSONHead to json.Marshal of the PEP 691
// page head it writes, for names and versions that need escaping and for
// no versions.
func TestJSONHeadEncoding(t *testing.T) {
	for _, tc := range []struct {
		serial   int64
		name     string
		versions []string
	}{
		{0, "demo", nil},
		{1, "demo", []string{}},
		{42, "a-b", []string{"1.0", "2.0rc1", "1!3.0.post1+local.7"}},
		{1 << 40, `q"u<o>t&e\`, []string{"ünï", "\u2028", "bad \xff", "ctrl\x01"}},
	} {
		want, err := json.Marshal(struct {
			Meta     map[string]any `json:"meta"`
			Name     string         `json:"name"`
			Versions []string       `json:"versions"`
		}{map[string]any{"api-version": apiVersion, "_last-serial": tc.serial}, tc.name, tc.versions})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONHead(nil, tc.serial, tc.name, tc.versions); string(got) != string(want) {
			t.Errorf("appendJSONHead(%d, %q, %q):\n got %s\nwant %s", tc.serial, tc.name, tc.versions, got, want)
		}
	}
}
