package webui

import (
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/peerhood/peerhood/internal/loopback"
)

// maxQRText bounds what /qr.png encodes (an invite token is ~400 bytes).
const maxQRText = 2048

// serveQR draws ?text= as a QR code PNG (the invite page shows the token
// as one, for a phone's camera). It reads nothing of the node.
func (s *Server) serveQR(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		loopback.Refuse(w, http.StatusMethodNotAllowed, "%s %s", r.Method, r.URL.Path)
		return
	}
	text := r.URL.Query().Get("text")
	if text == "" || len(text) > maxQRText {
		loopback.Refuse(w, http.StatusBadRequest, "text: 1 to %d bytes", maxQRText)
		return
	}
	png, err := qrcode.Encode(text, qrcode.Medium, 384)
	if err != nil {
		loopback.Refuse(w, http.StatusBadRequest, "QR code: %v", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}
