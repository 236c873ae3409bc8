package davfs

import (
	"bufio"
	"encoding/xml"
	"errors"
	"io"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// canonMultistatus flattens a 207 body into sorted lines
// "href|status|{space}name=content", independent of prefixes and order.
func canonMultistatus(t *testing.T, body string) []string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(body))
	var stack []xml.Name
	var href, status string
	var props []string
	var out []string
	var propName string
	var content strings.Builder
	propDepth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("bad XML: %v\n%s", err, body)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if propDepth > 0 {
				content.WriteString("<{" + x.Name.Space + "}" + x.Name.Local + ">")
				propDepth++
			} else if len(stack) > 0 && stack[len(stack)-1] == (xml.Name{Space: "DAV:", Local: "prop"}) {
				propName = "{" + x.Name.Space + "}" + x.Name.Local
				content.Reset()
				propDepth = 1
			}
			stack = append(stack, x.Name)
		case xml.CharData:
			s := strings.TrimSpace(string(x))
			switch {
			case propDepth > 0:
				content.WriteString(s)
			case len(stack) > 0 && stack[len(stack)-1].Local == "href":
				href = s
			case len(stack) > 0 && stack[len(stack)-1].Local == "status":
				status = s
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if propDepth > 0 {
				propDepth--
				if propDepth == 0 {
					props = append(props, propName+"="+content.String())
				}
				continue
			}
			if x.Name.Local == "propstat" {
				if len(props) == 0 {
					out = append(out, href+"|"+status+"|")
				}
				for _, p := range props {
					out = append(out, href+"|"+status+"|"+p)
				}
				props = nil
			}
		}
	}
	sort.Strings(out)
	return out
}

// xnetComparable leaves out of canonMultistatus lines what is ours on
// purpose (TestPropfindLiveProps checks it): DAV:creationdate, which
// x/net never serves, and the shared lockentry of DAV:supportedlock,
// which x/net does not grant.
func xnetComparable(lines []string) []string {
	const shared = "<{DAV:}lockentry><{DAV:}lockscope><{DAV:}shared><{DAV:}locktype><{DAV:}write>"
	out := lines[:0]
	for _, l := range lines {
		if strings.Contains(l, "|{DAV:}creationdate=") {
			continue
		}
		out = append(out, strings.Replace(l, shared, "", 1))
	}
	return out
}

// TestPropfindMatchesXNet: our PROPFIND gives what x/net/webdav's gives.
func TestPropfindMatchesXNet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	xh := NewHandler(e.backend, testToken, nil)
	xh.fs = e.srv.Config.Handler.(*Handler).fs // same start time for root/node folders
	xh.dav.FileSystem = xh.fs
	xh.xnetPropfind = true
	xs := httptest.NewServer(xh)
	defer xs.Close()
	xe := &env{t: t, srv: xs}

	bodies := map[string]string{
		"empty":    "",
		"allprop":  `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		"propname": `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`,
		"prop": `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" xmlns:X="urn:x"><D:prop>
			<D:displayname/><D:getcontentlength/><D:getetag/><D:resourcetype/><D:getcontenttype/><D:getlastmodified/>
			<D:creationdate/><D:lockdiscovery/><D:supportedlock/><Z:Win32FileAttributes/><X:y/><D:quotaused/></D:prop></D:propfind>`, // quota-*-bytes: TestQuotaProps (x/net has none)
		"only unknown": `<D:propfind xmlns:D="DAV:"><D:prop><D:creationdate/><x xmlns="urn:y"/></D:prop></D:propfind>`,
		"include":      `<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:creationdate/><D:getcontentlength/><q xmlns="urn:q"/></D:include></D:propfind>`,
	}
	paths := []string{"/", "/alpha/", "/alpha/docs/", "/alpha/docs/dir/", "/alpha/docs/hello.txt", "/alpha/ro"}
	for bname, body := range bodies {
		for _, p := range paths {
			for _, depth := range []string{"0", "1"} {
				hdr := map[string]string{"Depth": depth}
				ours, theirs := e.do("PROPFIND", p, hdr, body), xe.do("PROPFIND", p, hdr, body)
				if ours.code != 207 || theirs.code != 207 {
					t.Fatalf("%s %s depth %s: %d vs x/net %d", bname, p, depth, ours.code, theirs.code)
				}
				a, b := xnetComparable(canonMultistatus(t, ours.body)), xnetComparable(canonMultistatus(t, theirs.body))
				if bname == "include" {
					// x/net ignores <include> (RFC 4918 9.1 says to add those
					// properties): ours holds all of x/net's lines and more.
					all := strings.Join(a, "\n")
					for _, l := range b {
						if !strings.Contains(all, l) {
							t.Errorf("include %s depth %s lacks %q", p, depth, l)
						}
					}
					if !strings.Contains(all, "404 Not Found|{urn:q}q=") {
						t.Errorf("include %s: the unknown included property is not reported:\n%s", p, all)
					}
					continue
				}
				if strings.Join(a, "\n") != strings.Join(b, "\n") {
					t.Errorf("%s %s depth %s differs:\nours:\n%s\nx/net:\n%s", bname, p, depth, strings.Join(a, "\n"), strings.Join(b, "\n"))
				}
			}
		}
	}
	// Errors agree too.
	for _, c := range []struct{ path, body string }{
		{"/alpha/docs/nope", ""},
		{"/alpha/docs/", "<not xml"},
		{"/alpha/docs/", `<D:propfind xmlns:D="DAV:"><D:allprop/><D:propname/></D:propfind>`},
		{"/alpha/docs/", `<x/>`},
	} {
		ours, theirs := e.do("PROPFIND", c.path, map[string]string{"Depth": "1"}, c.body), xe.do("PROPFIND", c.path, map[string]string{"Depth": "1"}, c.body)
		if ours.code != theirs.code {
			t.Errorf("PROPFIND %s %q: %d, x/net %d", c.path, c.body, ours.code, theirs.code)
		}
	}
}

// FuzzParsePropfind: any body gives a request with exactly one mode or
// an error, never a panic.
func FuzzParsePropfind(f *testing.F) {
	for _, s := range []string{
		"",
		`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><x xmlns="urn:x"/></D:prop></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:creationdate/></D:include></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:prop><D:a><D:b/></D:a></D:prop></D:propfind>`,
		`<not xml`,
		`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><D:propfind xmlns:D="DAV:">&a;</D:propfind>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := parsePropfind(strings.NewReader(body))
		if err != nil {
			return
		}
		modes := 0
		if req.allprop {
			modes++
		}
		if req.propname {
			modes++
		}
		if !req.allprop && len(req.names) > 0 {
			modes++
		}
		if modes != 1 {
			t.Fatalf("%q parsed to %+v", body, req)
		}
		for _, n := range req.names {
			if n.Local == "" {
				t.Fatalf("%q gave an empty property name", body)
			}
		}
		// Whatever was asked, the reply is well-formed XML.
		var buf strings.Builder
		bw := bufio.NewWriter(&buf)
		bw.WriteString(`<D:multistatus xmlns:D="DAV:">`)
		writeResponse(bw, req, "/a/b c&d", osInfo{FileInfo{Name: "b c&d", Size: 3}}, nil, nil)
		bw.WriteString(`</D:multistatus>`)
		bw.Flush()
		dec := xml.NewDecoder(strings.NewReader(buf.String()))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%q: reply is not well-formed: %v\n%s", body, err, buf.String())
			}
		}
	})
}
