package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/mattn/go-sqlite3"
)

// The store's files hold alert details: 0600 files in a 0700 directory, with these modes from the
// moment they exist (SQLite gives the -wal and -shm files the mode of the database file).
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// isCorrupt says whether err means the database file itself is damaged (not a database, malformed
// pages): the file is moved aside and a new store starts.
func isCorrupt(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt)
}

// createPrivate creates the database file 0600 before SQLite opens it (SQLite would create it
// 0644), and tightens the mode of existing store files that are looser.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileMode)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&^fileMode == 0 {
			continue
		}
		if err := os.Chmod(p, fileMode); err != nil {
			return fmt.Errorf("tighten mode of %s to 0600: %w", p, err)
		}
	}
	return nil
}

// moveAside renames a damaged database and its -wal and -shm files to PATH.corrupt-TIME and returns
// that name. The WAL must go with it: replayed into a new database it would corrupt it again.
func moveAside(path string) (string, error) {
	dst := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000Z")
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Rename(path+suffix, dst+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return dst, err
		}
	}
	return dst, nil
}

// openWriter opens the write connection on a (created if needed) 0600 file and migrates the schema.
func (s *Store) openWriter(ctx context.Context) error {
	if err := createPrivate(s.cfg.Path); err != nil {
		return err
	}
	db, err := sql.Open(driverName(), dsn(s.cfg.Path, false))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	s.db, s.text = db, ""
	if err := s.migrate(ctx); err != nil {
		db.Close()
		s.db = nil
		return err
	}
	return nil
}

// heal replaces a database found corrupt while recording: the file is moved aside (its new name
// logged) and a new, empty store is opened in its place. It runs on the writer goroutine.
func (s *Store) heal(ctx context.Context, cause error) error {
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
	aside, err := moveAside(s.cfg.Path)
	if err != nil {
		return fmt.Errorf("move the corrupt alert store aside: %w", err)
	}
	s.log.Error("alert store is corrupt: moved aside, a new store started", "moved_to", aside, "error", cause)
	if err := s.openWriter(ctx); err != nil {
		return fmt.Errorf("start a new alert store: %w", err)
	}
	if s.ro != nil { // readers reconnect to the new file
		s.ro.SetMaxIdleConns(0)
		s.ro.SetMaxIdleConns(2)
	}
	s.healed.Add(1)
	return nil
}
