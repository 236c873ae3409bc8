package davfs

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
)

// moveAcross serves a MOVE whose Destination is in another share (or on
// another node), where no rename exists: a COPY of the whole tree, then a
// DELETE of the source, both through the WebDAV handler so the lock
// checks (If headers) apply to each. If the copy fails, its answer is
// sent and the source is left alone; if the source cannot be deleted
// (locked, read-only member), the copy is undone and the DELETE's answer
// is sent. File managers see one MOVE, as within a share.
func (h *Handler) moveAcross(ctx context.Context, w http.ResponseWriter, r *http.Request, dst Target) {
	cp := r.Clone(withState(ctx, &reqState{method: "COPY", size: -1}))
	cp.Method = "COPY"
	cp.Header.Set("Depth", "infinity") // a MOVE of a collection moves all of it
	cres := &bufferedResponse{header: http.Header{}}
	h.dav.ServeHTTP(&statusWriter{ResponseWriter: cres, st: stateOf(cp.Context())}, cp)
	if cres.code != http.StatusCreated && cres.code != http.StatusNoContent {
		cres.sendTo(w)
		return
	}
	del := r.Clone(withState(ctx, &reqState{method: "DELETE", size: -1}))
	del.Method = "DELETE"
	del.Header.Del("Destination")
	del.Header.Del("Depth")
	dres := &bufferedResponse{header: http.Header{}}
	h.dav.ServeHTTP(&statusWriter{ResponseWriter: dres, st: stateOf(del.Context())}, del)
	if dres.code != http.StatusNoContent && dres.code != http.StatusOK {
		undo := r.Clone(withState(ctx, &reqState{method: "DELETE", size: -1}))
		undo.Method = "DELETE"
		undo.URL = &url.URL{Path: dst.String()}
		undo.Header = http.Header{}
		if cres.code == http.StatusCreated { // the copy made it: take it back
			h.dav.ServeHTTP(&bufferedResponse{header: http.Header{}}, undo)
		}
		dres.sendTo(w)
		return
	}
	w.WriteHeader(cres.code)
}

// bufferedResponse holds an inner request's answer.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) sendTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.code == 0 {
		b.code = http.StatusOK
	}
	w.WriteHeader(b.code)
	_, _ = w.Write(b.body.Bytes())
}
