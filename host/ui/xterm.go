package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// The terminal on the project page is xterm.js from Debian's packages, never
// a copy in this repository nor a CDN. Debian's libjs-xterm ships the style
// sheet and the addons (fit) for the browser, but its xterm.js only
// require()s the CommonJS modules of node-xterm, which a browser cannot
// load. So the daemon bundles those modules when it starts: each file
// becomes a function in one ES module that exports Terminal and the fit
// addon, served as /static/vendor/xterm.js beside /static/vendor/xterm.css.

// XtermDirs says where Debian installs xterm.js.
type XtermDirs struct {
	// Lib is node-xterm's CommonJS modules (lib/public/Terminal.js …).
	Lib string
	// Browser is libjs-xterm's folder: xterm.css and addons/fit/fit.js.
	Browser string
}

// DefaultXtermDirs are Debian's paths.
var DefaultXtermDirs = XtermDirs{Lib: "/usr/share/nodejs/xterm/lib", Browser: "/usr/share/javascript/xterm"}

// xtermMissing is served in place of the bundle when the packages are not
// installed: importing it fails with a message the page shows.
const xtermMissing = "throw new Error(%s);\n"

// bundleXterm returns the ES module and the style sheet, or an error that
// names the missing package.
func bundleXterm(dirs XtermDirs) (js, css []byte, err error) {
	const install = "install Debian's libjs-xterm and node-xterm (`make run` and `make test` do)"
	css, err = os.ReadFile(filepath.Join(dirs.Browser, "xterm.css"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading xterm's style sheet: %w; %s", err, install)
	}
	mods := map[string][]byte{}
	err = filepath.WalkDir(dirs.Lib, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".test.js") {
			return err
		}
		rel, err := filepath.Rel(dirs.Lib, p)
		if err != nil {
			return err
		}
		body, err := os.ReadFile(p)
		mods[strings.TrimSuffix(filepath.ToSlash(rel), ".js")] = body
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading xterm's modules: %w; %s", err, install)
	}
	if mods["public/Terminal"] == nil {
		return nil, nil, fmt.Errorf("xterm's modules in %s lack public/Terminal.js; %s", dirs.Lib, install)
	}
	fit, err := os.ReadFile(filepath.Join(dirs.Browser, "addons", "fit", "fit.js"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading xterm's fit addon: %w; %s", err, install)
	}
	mods["addons/fit/fit"] = fit

	names := make([]string, 0, len(mods))
	for n := range mods {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("// xterm.js from Debian's node-xterm and libjs-xterm, bundled by the Warden daemon.\n")
	b.WriteString("const modules = {\n")
	for _, n := range names {
		key, _ := json.Marshal(n)
		fmt.Fprintf(&b, "%s: function (require, module, exports) {\n%s\n},\n", key, mods[n])
	}
	b.WriteString(`};
const cache = {};
function load(name) {
  if (cache[name]) return cache[name].exports;
  const fn = modules[name];
  if (!fn) throw new Error('xterm bundle: no module ' + name);
  const module = { exports: {} };
  cache[name] = module;
  const dir = name.split('/').slice(0, -1);
  fn.call(module.exports, (rel) => load(resolve(dir, rel)), module, module.exports);
  return module.exports;
}
function resolve(dir, rel) {
  const parts = rel.startsWith('.') ? dir.slice() : [];
  for (const seg of rel.replace(/\.js$/, '').split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}
export const Terminal = load('public/Terminal').Terminal;
export const fit = load('addons/fit/fit');
`)
	return []byte(b.String()), css, nil
}

// addXterm puts the bundle and the style sheet among the static files; when
// the packages are missing, the bundle is a module that throws why.
func (s *staticFiles) addXterm(dirs XtermDirs) error {
	js, css, err := bundleXterm(dirs)
	if err != nil {
		msg, _ := json.Marshal("the terminal needs xterm.js: " + err.Error())
		js, css = fmt.Appendf(nil, xtermMissing, msg), nil
	}
	s.add("/static/vendor/xterm.js", js)
	s.add("/static/vendor/xterm.css", css)
	return err
}

func (s *staticFiles) add(p string, body []byte) {
	sum := sha256.Sum256(body)
	s.byPath[p] = staticFile{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: contentType(path.Base(p))}
}
