package davfs

import (
	"context"
	"errors"
	"io"
	"time"
)

// Backend is what davfs needs of the file world: the nodes, their shares
// and the files below them. Paths are share-relative, slash-separated,
// already checked by ParsePath ("" is the share's root). Errors wrap
// fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, ErrReadOnly, ErrNoSpace,
// ErrNotEmpty or ErrUnavailable where they apply; davfs turns those into
// WebDAV status codes.
type Backend interface {
	// Nodes lists the node names that can be browsed, this node's first.
	Nodes(ctx context.Context) ([]string, error)
	// Shares lists the shares of node that this node's user may see.
	// An unknown node gives an error wrapping fs.ErrNotExist.
	Shares(ctx context.Context, node string) ([]ShareInfo, error)
	// Stat describes one file or folder.
	Stat(ctx context.Context, node, share, path string) (FileInfo, error)
	// ReadDir lists a folder (no "." or ".."; in any order).
	ReadDir(ctx context.Context, node, share, path string) ([]FileInfo, error)
	// Open opens a file for reading at any offset.
	Open(ctx context.Context, node, share, path string) (ReadHandle, error)
	// Create starts writing a file: the data goes to a temporary file that
	// Commit renames into place (replacing any old file) and Abort removes.
	// A missing parent folder gives an error wrapping fs.ErrNotExist.
	Create(ctx context.Context, node, share, path string) (WriteHandle, error)
	// Mkdir creates one folder; its parent must exist.
	Mkdir(ctx context.Context, node, share, path string) error
	// RemoveAll removes a file or a folder with its content.
	RemoveAll(ctx context.Context, node, share, path string) error
	// Rename moves a file or folder within one share, replacing a file at
	// newPath.
	Rename(ctx context.Context, node, share, oldPath, newPath string) error
}

// SizedCreator is an optional Backend method: Create when the size is
// known up front (a PUT with Content-Length), so a remote write can stream
// instead of being staged. Writing a different number of bytes fails.
type SizedCreator interface {
	CreateSized(ctx context.Context, node, share, path string, size int64) (WriteHandle, error)
}

// ShareInfo describes one share as this node's user sees it.
type ShareInfo struct {
	Name     string
	ReadOnly bool // the user may read but not write
	Comment  string
}

// FileInfo describes a file or folder.
type FileInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
	IsDir   bool
	// Link: the name is a symbolic link (Size, ModTime and IsDir describe
	// its target, inside the share). Only backends that can tell set it.
	Link bool
	// Created is the birth time, zero when unknown: only a share of this
	// node on a system and file system that record one (birth.go) has it.
	Created time.Time
	// Skip, in a FullLister's listing, says why the gateway does not serve
	// this entry ("" when it does): a name it refuses, a link leaving the
	// share, a device or pipe, a file being written.
	Skip string
}

// FullLister is an optional Backend method: ReadDir with every entry,
// those the gateway does not serve included (with Skip set). MOVE, COPY
// and DELETE of folders use it so that nothing they cannot name is lost
// or silently left out.
type FullLister interface {
	ReadDirFull(ctx context.Context, node, share, path string) ([]FileInfo, error)
}

// Remover is an optional Backend method: RemoveOne removes a file, or a folder only
// when it is empty (never its content).
type Remover interface {
	RemoveOne(ctx context.Context, node, share, path string) error
}

// Committed is an optional WriteHandle method: the file as Commit left
// it (ok false: not known). A PUT's answer then carries the ETag the file
// has, which a client sends back in If-Match with its next save (gvfs).
type Committed interface {
	Committed() (fi FileInfo, ok bool)
}

// ReadHandle reads an open file at any offset.
type ReadHandle interface {
	io.ReaderAt
	io.Closer
}

// WriteHandle receives a file's new content.
type WriteHandle interface {
	io.Writer
	// Commit makes the written data the file's content (temp + rename).
	Commit() error
	// Abort drops the written data; the old file, if any, is untouched.
	Abort() error
}

// Errors a Backend wraps so davfs can choose the status code.
var (
	ErrReadOnly    = errors.New("share is read-only for you")
	ErrNoSpace     = errors.New("no space left on the device")
	ErrNotEmpty    = errors.New("folder not empty")
	ErrUnavailable = errors.New("node unavailable")
	// ErrUpstream: the other node refused or failed an operation after
	// taking it (an upload's digest did not match, its disk failed).
	ErrUpstream   = errors.New("the sharing node failed the operation")
	ErrCrossShare = errors.New("cannot move between shares or nodes")
	ErrIsDir      = errors.New("is a folder")
)
