// Command lambdazip packages built Lambda functions without the zip binary and reports their sizes.
// For every dir/<Name>/bootstrap it writes dir/<Name>.zip holding that one file as "bootstrap",
// executable, with a fixed time, so that the same binary always gives the same zip (and SAM or a
// pipeline sees no change where there is none). Then it prints each function's bootstrap and zip
// size and the totals.
//
//	go run ./cmd/lambdazip dist
//
// It fails when a package is beyond what Lambda accepts (50 MB zipped for a direct upload, 250 MB
// unzipped). Bootstraps above the size target (-target, 12 MB by default) are marked in the table
// and counted in the last line; -strict makes them fail too.
package main

import (
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Lambda's limits for a function's deployment package.
const (
	maxZipped   = 50 * 1000 * 1000
	maxUnzipped = 250 * 1000 * 1000
)

// zipTime is the modification time of every packaged file.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	target := flag.Int64("target", 12*1000*1000, "size target for each bootstrap, in bytes")
	strict := flag.Bool("strict", false, "fail when a bootstrap is above the target")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: lambdazip [-target bytes] [-strict] dir")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	rows, err := packageAll(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
	over, tooBig := report(os.Stdout, rows, *target)
	if tooBig || (*strict && over > 0) {
		os.Exit(1)
	}
}

// row is one packaged function.
type row struct {
	name              string
	bootstrap, zipped int64
}

// packageAll zips every dir/<Name>/bootstrap into dir/<Name>.zip.
func packageAll(dir string) ([]row, error) {
	bootstraps, err := filepath.Glob(filepath.Join(dir, "*", "bootstrap"))
	if err != nil {
		return nil, err
	}
	if len(bootstraps) == 0 {
		return nil, fmt.Errorf("no %s/<function>/bootstrap to package", dir)
	}
	sort.Strings(bootstraps)
	var rows []row
	for _, b := range bootstraps {
		name := filepath.Base(filepath.Dir(b))
		data, err := os.ReadFile(b)
		if err != nil {
			return nil, err
		}
		z, err := zipBootstrap(data)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", b, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".zip"), z, 0o644); err != nil {
			return nil, err
		}
		rows = append(rows, row{name: name, bootstrap: int64(len(data)), zipped: int64(len(z))})
	}
	return rows, nil
}

// zipBootstrap returns a zip holding data as the executable file "bootstrap".
func zipBootstrap(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: zipTime}
	h.SetMode(0o755) // Lambda runs the file as it is unpacked: it must be executable
	f, err := w.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// report prints the table and returns how many bootstraps are above target and whether a package is
// beyond Lambda's limits.
func report(w io.Writer, rows []row, target int64) (over int, tooBig bool) {
	mb := func(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
	fmt.Fprintf(w, "%-22s %12s %12s\n", "function", "bootstrap", "zip")
	var total, ztotal int64
	for _, r := range rows {
		note := ""
		if r.bootstrap > target {
			note = "  above the " + mb(target) + " target"
			over++
		}
		if r.zipped > maxZipped || r.bootstrap > maxUnzipped {
			note = "  beyond Lambda's package limits"
			tooBig = true
		}
		fmt.Fprintf(w, "%-22s %12s %12s%s\n", r.name, mb(r.bootstrap), mb(r.zipped), note)
		total += r.bootstrap
		ztotal += r.zipped
	}
	fmt.Fprintf(w, "%-22s %12s %12s\n", fmt.Sprintf("total (%d)", len(rows)), mb(total), mb(ztotal))
	if over > 0 {
		fmt.Fprintf(w, "%d of %d bootstraps are above the %s target\n", over, len(rows), mb(target))
	} else {
		fmt.Fprintf(w, "every bootstrap is within the %s target\n", mb(target))
	}
	return over, tooBig
}
