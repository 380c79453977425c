package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticFiles serves the embedded files under /static/ (and under
// /static/retry/<n>/) with a content hash as ETag, so a browser
// revalidates cheaply and never runs a script older than the binary.
type staticFiles struct {
	byPath map[string]staticFile
}

type staticFile struct {
	body        []byte
	etag        string
	contentType string
}

func loadStatic() *staticFiles {
	s := &staticFiles{byPath: make(map[string]staticFile)}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		s.byPath["/"+p] = staticFile{
			body:        body,
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
			contentType: contentType(p),
		}
		return nil
	})
	if err != nil {
		panic("ui: reading embedded files: " + err.Error()) // the embed is part of the binary
	}
	return s
}

// contentType names the types the UI ships, so the answer does not depend
// on the host's MIME tables.
func contentType(p string) string {
	switch path.Ext(p) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// retryPrefix: the page loads a file again under /static/retry/<n>/ when
// its download failed (static/js/boot.js), since a browser keeps a failed
// module for the life of the page. n has one to three digits.
const retryPrefix = "/static/retry/"

// filePath is the embedded file a request path names: /static/<file>, or
// the same file under the retry prefix; "" for any other path.
func filePath(p string) string {
	rest, ok := strings.CutPrefix(p, retryPrefix)
	if !ok {
		return p
	}
	n, file, ok := strings.Cut(rest, "/")
	if !ok || n == "" || len(n) > 3 || strings.Trim(n, "0123456789") != "" {
		return ""
	}
	return "/static/" + file
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := s.byPath[filePath(r.URL.Path)]
	if !ok || strings.Contains(r.URL.Path, "..") {
		secure(w.Header())
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	secure(hdr)
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
