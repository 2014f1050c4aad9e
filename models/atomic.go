package models

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Prefixes of the temporary files Save and SaveNPZ write before renaming
// them over the target; the prefix is followed by decimal digits only.
const (
	modelTempPrefix = ".bsum-model-"
	npzTempPrefix   = ".bsum-npz-"
)

// processStart bounds which temporary files are stale: a file this process
// writes is never older than the package's initialisation.
var processStart = time.Now()

// isTempName reports whether name is prefix followed by 1 to 20 decimal
// digits: exactly the names writeAtomic creates.
func isTempName(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || len(rest) == 0 || len(rest) > 20 {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// staleAge is how long a temporary file must have been left untouched
// before it is taken for a killed save's: longer than any save takes to
// encode its model, so that a save in progress in another process is left
// alone.
const staleAge = time.Minute

// removeStale deletes, in dir, the regular files named prefix<digits>
// last modified before this process started and at least staleAge ago:
// temporaries a killed save left behind. Files of any other name are never
// touched. Errors are ignored: cleaning up is best effort and must not
// fail a save.
func removeStale(dir, prefix string) (removed []string) {
	cutoff := time.Now().Add(-staleAge)
	if processStart.Before(cutoff) {
		cutoff = processStart
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempName(e.Name(), prefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// createTemp creates dir/prefix<digits> exclusively with mode 0644 (the
// umask applies), the name pattern removeStale recognises.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("creating a temporary file in %s: too many name collisions", dir)
}

// writeAtomic writes path through a temporary file in the same folder,
// synced and renamed over path once complete, after removing stale
// temporaries of the same prefix.
func writeAtomic(path, prefix string, write func(io.Writer) error) (err error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder", path)
	}
	dir := filepath.Dir(path)
	removeStale(dir, prefix)
	tmp, err := createTemp(dir, prefix)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
