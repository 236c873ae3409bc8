package spool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
)

// Uploads: a client that holds the bytes itself (the web UI's browser)
// rather than a path on this machine first stages each file in the
// spool's staging area, spool/upload/ID/NAME (POST /v1/uploads, the
// request body), then sends the staged files as a mail's attachments or
// a copy (POST /v1/uploads/send): the same Send as `mail send` and
// `copy`, which seals them into the outbox at once; the staged files are
// removed when sent, deleted (DELETE /v1/uploads/{id}) or a day old.

// uploadTTL is how long a staged upload nobody sent is kept.
const uploadTTL = 24 * time.Hour

// Upload is the answer of POST /v1/uploads.
type Upload struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

func (s *Service) uploadRoot() string { return filepath.Join(s.spool.root, "upload") }

// uploadName checks a staged file's name: one path element of UTF-8.
func uploadName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 255 || !utf8.ValidString(name) ||
		strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%w: file name %q: want a plain name (no folder)", ErrInvalid, name)
	}
	return nil
}

// uploadDir is the folder of a staged upload's ID (32 hex digits).
func (s *Service) uploadDir(id string) (string, error) {
	if b, err := hex.DecodeString(id); err != nil || len(b) != 16 {
		return "", fmt.Errorf("%w: upload %q", ErrNotFound, id)
	}
	return filepath.Join(s.uploadRoot(), id), nil
}

// Stage writes size bytes of body to a new staged upload named name.
func (s *Service) Stage(ctx context.Context, name string, body io.Reader, size int64) (Upload, error) {
	if err := uploadName(name); err != nil {
		return Upload{}, err
	}
	if size < 0 || size > maxPayload/2 {
		return Upload{}, fmt.Errorf("%w: the upload needs a Content-Length of at most %d bytes", ErrInvalid, int64(maxPayload/2))
	}
	s.sweepUploads()
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	dir := filepath.Join(s.uploadRoot(), id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Upload{}, fmt.Errorf("staging folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return Upload{}, fmt.Errorf("stage %s: %w", name, err)
	}
	n, err := io.Copy(f, io.LimitReader(body, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("%w: the upload ended after %d of %d bytes", ErrInvalid, n, size)
	}
	if err != nil {
		os.RemoveAll(dir)
		return Upload{}, fmt.Errorf("stage %s: %w", name, err)
	}
	return Upload{ID: id, Name: name, Size: n}, nil
}

// SendUploads sends staged uploads as req.Kind through Send, then removes
// them.
func (s *Service) SendUploads(ctx context.Context, req apitypes.UploadSendRequest) ([]Job, error) {
	if req.Kind == KindFile && len(req.Uploads) == 0 {
		return nil, fmt.Errorf("%w: name at least one upload to copy", ErrInvalid)
	}
	var paths, dirs []string
	for _, id := range req.Uploads {
		dir, err := s.uploadDir(id)
		if err != nil {
			return nil, err
		}
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) != 1 {
			return nil, fmt.Errorf("%w: upload %s (sent already, or expired)", ErrNotFound, id)
		}
		paths = append(paths, filepath.Join(dir, ents[0].Name()))
		dirs = append(dirs, dir)
	}
	jobs, err := s.Send(ctx, SendRequest{Workgroup: req.Workgroup, To: req.To, Kind: req.Kind,
		Subject: req.Subject, Body: req.Body, Paths: paths})
	if err != nil {
		return nil, err
	}
	for _, d := range dirs { // sealed into the outbox: the staged bytes are done
		os.RemoveAll(d)
	}
	return jobs, nil
}

// DropUpload removes a staged upload.
func (s *Service) DropUpload(id string) error {
	dir, err := s.uploadDir(id)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: upload %s", ErrNotFound, id)
	}
	return os.RemoveAll(dir)
}

// sweepUploads removes staged uploads older than uploadTTL.
func (s *Service) sweepUploads() {
	ents, err := os.ReadDir(s.uploadRoot())
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > uploadTTL {
			os.RemoveAll(filepath.Join(s.uploadRoot(), e.Name()))
		}
	}
}

// uploadRoutes declares the upload endpoints (called by Routes).
func (s *Service) uploadRoutes(srv *api.Server) {
	api.HandleRaw(srv, "POST /v1/uploads", "Stage the request body (Content-Length required) as a file named ?name= to send as an attachment or a copy",
		func(w http.ResponseWriter, r *http.Request) {
			u, err := s.Stage(r.Context(), r.URL.Query().Get("name"), r.Body, r.ContentLength)
			if err != nil {
				api.WriteError(w, apiError(err))
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(u)
		}, "name")
	api.Handle(srv, "POST /v1/uploads/send", "Send staged uploads as a mail's attachments (kind mail) or a copy (kind file)",
		func(ctx context.Context, r *http.Request, req apitypes.UploadSendRequest) ([]Job, error) {
			jobs, err := s.SendUploads(ctx, req)
			return jobs, apiError(err)
		})
	api.Handle(srv, "DELETE /v1/uploads/{id}", "Drop a staged upload",
		func(ctx context.Context, r *http.Request, _ api.Empty) (api.Empty, error) {
			return api.Empty{}, apiError(s.DropUpload(r.PathValue("id")))
		})
}
