package loopback

import (
	"net/http"
	"path"
	"strings"
)

// SecurityHeaders sets the headers every answer of a loopback service
// carries.
func SecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	}
}

// FileCSP is the policy of user content: no script, no subresource, an
// opaque origin.
const FileCSP = "sandbox; default-src 'none'; frame-ancestors 'none'"

// PageCSP is the policy of a page the service itself generates (no
// script, inline styles only).
const PageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// activeExt are the extensions a browser may execute or render as an
// active document.
var activeExt = map[string]bool{
	".html": true, ".htm": true, ".shtml": true, ".xhtml": true, ".xht": true, ".svg": true, ".svgz": true,
	".xml": true, ".xsl": true, ".xslt": true, ".js": true, ".mjs": true, ".cjs": true, ".wasm": true,
	".swf": true, ".pdf": true, ".mht": true, ".mhtml": true, ".hta": true, ".rdf": true, ".vtt": true,
}

// activeType reports whether a content type is one a browser runs.
func activeType(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	switch {
	case ct == "", ct == "application/octet-stream":
		return false
	case strings.Contains(ct, "html"), strings.Contains(ct, "xml"), strings.Contains(ct, "javascript"),
		strings.Contains(ct, "ecmascript"), ct == "application/pdf", ct == "application/wasm":
		return true
	}
	return false
}

// inlineTypes are the content types shown in the browser; every other
// file is an attachment (saved, never rendered in the service's origin).
var inlineTypes = map[string]bool{
	"text/plain": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"image/avif": true, "image/bmp": true, "audio/mpeg": true, "audio/ogg": true, "audio/wav": true,
	"audio/flac": true, "video/mp4": true, "video/webm": true, "video/ogg": true, "text/csv": true,
}

// FileHeaders sets the headers of user content named name with content
// type ct: Content-Type ct itself (never sniffed), the sandbox policy,
// and attachment unless the type is a passive one browsers show inline.
func FileHeaders(h http.Header, name, ct string) {
	SecurityHeaders(h)
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Security-Policy", FileCSP)
	base := strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	if activeExt[strings.ToLower(path.Ext(name))] || activeType(ct) || !inlineTypes[base] {
		h.Set("Content-Disposition", "attachment")
	}
}
