package davfs

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// A browser opening a folder gets an HTML listing (WebDAV leaves GET on a
// collection undefined; x/net/webdav answers 405).
var listing = template.Must(template.New("ls").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>peerhood {{.Path}}</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:.15em 1em .15em 0}td.n{text-align:right}</style></head>
<body><h1>{{.Path}}</h1>
<table>{{if .Parent}}<tr><td><a href="{{.Parent}}">../</a></td></tr>{{end}}
{{range .Entries}}<tr><td><a href="{{.Href}}">{{.Name}}{{if .Dir}}/{{end}}</a></td><td class="n">{{if not .Dir}}{{.Size}}{{end}}</td><td>{{.Mtime}}</td></tr>
{{end}}</table></body></html>
`))

type listingEntry struct {
	Name, Href, Mtime string
	Size              int64
	Dir               bool
}

// serveListing writes the HTML listing of folder t; it reports false
// when t is not a folder (the WebDAV handler then serves the file).
func (h *Handler) serveListing(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target) bool {
	fi, err := h.fs.stat(ctx, t)
	if err != nil || !fi.IsDir {
		return false
	}
	f := &readFile{fs: h.fs, ctx: ctx, t: t, info: fi}
	ents, err := f.Readdir(0)
	if err != nil {
		return false
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	base := t.String()
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	data := struct {
		Path, Parent string
		Entries      []listingEntry
	}{Path: base}
	if t.Level() > 0 {
		parent := base[:strings.LastIndex(strings.TrimSuffix(base, "/"), "/")+1]
		data.Parent = (&url.URL{Path: parent}).EscapedPath()
	}
	for _, e := range ents {
		href := (&url.URL{Path: base + e.Name()}).EscapedPath()
		if e.IsDir() {
			href += "/"
		}
		data.Entries = append(data.Entries, listingEntry{Name: e.Name(), Href: href, Size: e.Size(), Dir: e.IsDir(),
			Mtime: e.ModTime().UTC().Format("2006-01-02 15:04")})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if r.Method == http.MethodHead {
		return true
	}
	_ = listing.Execute(w, data)
	return true
}
