package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZipHoldsAnExecutableBootstrap(t *testing.T) {
	data := []byte("\x7fELF not really, but bytes")
	z, err := zipBootstrap(data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) != 1 || r.File[0].Name != "bootstrap" {
		t.Fatalf("files %v, want just bootstrap", r.File)
	}
	f := r.File[0]
	if got := f.Mode().Perm(); got != 0o755 {
		t.Errorf("mode %v, want 0755 (Lambda executes the file)", got)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("contents %q, %v", got, err)
	}
	again, err := zipBootstrap(data)
	if err != nil || !bytes.Equal(again, z) {
		t.Errorf("a second zip of the same bytes differs (%v)", err)
	}
}

func TestPackageAllAndReport(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string]int{"Web": 1000, "Notify": 3000} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "bootstrap"), bytes.Repeat([]byte{1, 2, 3}, size/3), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := packageAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].name != "Notify" || rows[1].name != "Web" {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		if _, err := os.Stat(filepath.Join(dir, r.name+".zip")); err != nil {
			t.Errorf("%s.zip: %v", r.name, err)
		}
	}
	var out strings.Builder
	over, tooBig := report(&out, rows, 2000)
	if over != 1 || tooBig {
		t.Errorf("over %d, too big %v; want 1, false", over, tooBig)
	}
	for _, want := range []string{"Notify", "above the 0.00 MB target", "total (2)", "0.00 MB", "1 of 2 bootstraps are above"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := packageAll(t.TempDir()); err == nil {
		t.Error("packaging an empty directory succeeded")
	}
}

func TestReportFlagsPackagesLambdaRefuses(t *testing.T) {
	var out strings.Builder
	_, tooBig := report(&out, []row{{name: "Huge", bootstrap: 300 * 1000 * 1000, zipped: 60 * 1000 * 1000}}, 12*1000*1000)
	if !tooBig || !strings.Contains(out.String(), "beyond Lambda's package limits") {
		t.Errorf("too big %v:\n%s", tooBig, out.String())
	}
}
