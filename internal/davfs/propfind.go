package davfs

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"
)

// PROPFIND is served here rather than by x/net/webdav, whose reflective
// XML encoder spends several times more than the listing itself on large
// folders. The output follows x/net/webdav's: the same live properties,
// the same XML (TestPropfindMatchesXNet compares them), and the dead
// properties kept in the node's database (deadprops.go); and two more:
// DAV:creationdate where a birth time is known, and the shared lockentry
// of DAV:supportedlock (TestPropfindLiveProps).

// propfindReq is a parsed PROPFIND body.
type propfindReq struct {
	allprop  bool
	propname bool
	names    []xml.Name // <prop> children, or <include> children with allprop
}

// parsePropfind reads a PROPFIND body: empty means allprop.
func parsePropfind(r io.Reader) (propfindReq, error) {
	var req propfindReq
	dec := xml.NewDecoder(r)
	depth := 0
	in := ""
	seenRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return req, fmt.Errorf("PROPFIND body: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := checkNamespaces(t); err != nil {
				return req, err
			}
			depth++
			switch {
			case depth == 1:
				if t.Name.Space != "DAV:" || t.Name.Local != "propfind" {
					return req, fmt.Errorf("PROPFIND body: root element %s:%s is not DAV:propfind", t.Name.Space, t.Name.Local)
				}
				seenRoot = true
			case depth == 2 && t.Name.Space == "DAV:":
				switch t.Name.Local {
				case "allprop":
					req.allprop = true
				case "propname":
					req.propname = true
				case "prop", "include":
					in = t.Name.Local
				}
			case depth == 3 && in != "":
				req.names = append(req.names, t.Name)
				if err := dec.Skip(); err != nil {
					return req, fmt.Errorf("PROPFIND body: %w", err)
				}
				depth--
			}
		case xml.EndElement:
			if depth == 2 {
				in = ""
			}
			depth--
		}
	}
	if !seenRoot {
		req.allprop = true // an empty body
		return req, nil
	}
	n := 0
	for _, b := range []bool{req.allprop, req.propname, len(req.names) > 0 && !req.allprop} {
		if b {
			n++
		}
	}
	if n != 1 {
		return req, errors.New("PROPFIND body: want exactly one of allprop, propname or prop")
	}
	return req, nil
}

// checkNamespaces refuses what XML Namespaces 1.0 forbids and Go's
// decoder lets through: undeclaring a prefix (xmlns:p=""), and a prefix
// bound to nothing.
func checkNamespaces(t xml.StartElement) error {
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" && a.Value == "" {
			return fmt.Errorf("PROPFIND body: invalid namespace declaration xmlns:%s=\"\"", a.Name.Local)
		}
	}
	if t.Name.Space != "" && !strings.Contains(t.Name.Space, ":") && t.Name.Space != "DAV:" {
		// encoding/xml leaves an unbound prefix as the Space; a namespace
		// name is a URI and holds a colon.
		return fmt.Errorf("PROPFIND body: prefix %q is not bound to a namespace", t.Name.Space)
	}
	return nil
}

// liveProp is one supported DAV: property.
type liveProp struct {
	name  string
	dir   bool                // applies to folders too
	has   func(o osInfo) bool // nil: every resource has it
	value func(o osInfo, href string) string
}

// supportedLock is DAV:supportedlock: both scopes of write lock, as
// LOCK grants both (lockhttp.go).
const supportedLock = `<D:lockentry xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>` +
	`<D:lockentry xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`

// liveProps lists the supported properties (clients read them by name,
// in any order).
var liveProps = []liveProp{
	{"resourcetype", true, nil, func(o osInfo, _ string) string {
		if o.IsDir() {
			return `<D:collection xmlns:D="DAV:"/>`
		}
		return ""
	}},
	{"displayname", true, nil, func(o osInfo, href string) string {
		if href == "/" {
			return ""
		}
		return escapeText(o.Name())
	}},
	{name: "creationdate", dir: true, has: func(o osInfo) bool { return !o.fi.Created.IsZero() }, value: func(o osInfo, _ string) string {
		return o.fi.Created.UTC().Format(time.RFC3339) // RFC 4918 15.1
	}},
	{"getcontentlength", false, nil, func(o osInfo, _ string) string { return strconv.FormatInt(o.Size(), 10) }},
	{"getlastmodified", true, nil, func(o osInfo, _ string) string { return o.ModTime().UTC().Format(http.TimeFormat) }},
	{"getcontenttype", false, nil, func(o osInfo, _ string) string {
		t, _ := o.ContentType(context.Background())
		return escapeText(t)
	}},
	{"getetag", false, nil, func(o osInfo, _ string) string {
		return escapeText(fmt.Sprintf(`"%x%x"`, o.ModTime().UnixNano(), o.Size()))
	}},
	{"supportedlock", true, nil, func(osInfo, string) string { return supportedLock }},
}

func findLive(n xml.Name) *liveProp {
	if n.Space != "DAV:" {
		return nil
	}
	for i := range liveProps {
		if liveProps[i].name == n.Local {
			return &liveProps[i]
		}
	}
	return nil
}

func escapeText(s string) string {
	if !strings.ContainsAny(s, `&<>"'`+"\r\n\t") {
		return s
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// servePropfind answers PROPFIND at depth 0 or 1 (the caller refused
// infinity and defaulted a missing Depth to 1).
func (h *Handler) servePropfind(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target) {
	depth := r.Header.Get("Depth")
	if depth != "0" && depth != "1" {
		refuse(w, http.StatusBadRequest, "Depth %q: use 0 or 1", depth)
		return
	}
	req, err := parsePropfind(r.Body)
	if err != nil {
		refuse(w, http.StatusBadRequest, "%v", err)
		return
	}
	fi, err := h.fs.stat(ctx, t)
	if err != nil {
		code := statusFor(err)
		if code == 0 && errors.Is(err, fs.ErrNotExist) {
			code = http.StatusNotFound
		}
		if code == 0 {
			code = http.StatusMethodNotAllowed
		}
		refuse(w, code, "%s", publicError(err))
		return
	}
	self := osInfo{fi}
	var children []fs.FileInfo
	if fi.IsDir && depth == "1" {
		f := &readFile{fs: h.fs, ctx: ctx, t: t, info: fi}
		if children, err = f.Readdir(0); err != nil {
			code := statusFor(err)
			if code == 0 {
				code = http.StatusInternalServerError
			}
			refuse(w, code, "%s", publicError(err))
			return
		}
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:">`)
	base := t.String()
	selfDead, childDead := h.deadFor(ctx, t, len(children) > 0)
	quota := h.quotaFor(ctx, req, t)
	writeResponse(bw, req, base, self, selfDead, quota)
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	for _, c := range children {
		writeResponse(bw, req, base+c.Name(), c.(osInfo), childDead[c.Name()], quota)
	}
	bw.WriteString(`</D:multistatus>`)
	_ = bw.Flush()
}

// deadFor returns the dead properties of t and, for a listing, of its
// children (none when they are not kept; a store error is logged and
// shows as no properties).
func (h *Handler) deadFor(ctx context.Context, t Target, list bool) (map[xml.Name]webdav.Property, map[string]map[xml.Name]webdav.Property) {
	if h.fs.props == nil || t.Level() < 2 {
		return nil, nil
	}
	self, err := h.fs.props.get(ctx, t)
	if err != nil {
		h.log.Warn("webdav: dead properties", "err", err)
	}
	var kids map[string]map[xml.Name]webdav.Property
	if list {
		if kids, err = h.fs.props.children(ctx, t); err != nil {
			h.log.Warn("webdav: dead properties", "err", err)
		}
	}
	return self, kids
}

// writeResponse writes one <D:response>; quota holds the quota
// properties asked for (folders have them).
func writeResponse(bw *bufio.Writer, req propfindReq, name string, o osInfo, dead map[xml.Name]webdav.Property, quota quotaProps) {
	href := (&url.URL{Path: name}).EscapedPath()
	if name != "/" && o.IsDir() {
		href += "/"
	}
	bw.WriteString(`<D:response><D:href>`)
	bw.WriteString(escapeText(href))
	bw.WriteString(`</D:href>`)
	var found []*liveProp
	var foundDead []webdav.Property
	var missing []xml.Name
	var quotas []xml.Name
	applies := func(p *liveProp) bool { return p != nil && (p.dir || !o.IsDir()) && (p.has == nil || p.has(o)) }
	if req.propname || req.allprop {
		for i := range liveProps {
			if applies(&liveProps[i]) {
				found = append(found, &liveProps[i])
			}
		}
		for _, d := range dead {
			foundDead = append(foundDead, d)
		}
		sort.Slice(foundDead, func(i, j int) bool {
			a, b := foundDead[i].XMLName, foundDead[j].XMLName
			return a.Space < b.Space || a.Space == b.Space && a.Local < b.Local
		})
	}
	for _, n := range req.names {
		p := findLive(n)
		d, isDead := dead[n]
		_, isQuota := quota[n]
		switch {
		case isQuota && o.IsDir():
			quotas = append(quotas, n)
		case applies(p) && !req.allprop:
			found = append(found, p)
		case applies(p):
		case isDead && !req.allprop:
			foundDead = append(foundDead, d)
		case !isDead:
			missing = append(missing, n)
		}
	}
	if len(found)+len(foundDead)+len(quotas) > 0 || len(missing) == 0 {
		bw.WriteString(`<D:propstat><D:prop>`)
		for _, p := range found {
			if req.propname {
				bw.WriteString(`<D:` + p.name + `/>`)
			} else {
				writeProp(bw, p.name, p.value(o, name))
			}
		}
		for _, n := range quotas {
			writeProp(bw, n.Local, quota[n])
		}
		for _, d := range foundDead {
			writeDead(bw, d, !req.propname)
		}
		bw.WriteString(`</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`)
	}
	if len(missing) > 0 {
		bw.WriteString(`<D:propstat><D:prop>`)
		for i, n := range missing {
			switch n.Space {
			case "DAV:":
				bw.WriteString(`<D:` + n.Local + `/>`)
			case "":
				bw.WriteString(`<` + n.Local + ` xmlns=""/>`)
			default:
				pfx := "ns" + strconv.Itoa(i)
				bw.WriteString(`<` + pfx + `:` + n.Local + ` xmlns:` + pfx + `="` + escapeText(n.Space) + `"/>`)
			}
		}
		bw.WriteString(`</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`)
	}
	bw.WriteString(`</D:response>`)
}

func writeProp(bw *bufio.Writer, name, inner string) {
	bw.WriteString(`<D:` + name + `>`)
	bw.WriteString(inner)
	bw.WriteString(`</D:` + name + `>`)
}
