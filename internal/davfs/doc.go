// Package davfs serves every share the node can reach, its own included,
// over WebDAV on the loopback, so the operating system's own clients
// (Windows Explorer, macOS Finder, davfs2, rclone, cadaver) mount the
// workgroup's namespace natively.
//
// The namespace is /NODE/SHARE/path: the root lists the nodes, a node
// lists its shares, and below a share are its files. The files come from
// a Backend: LocalBackend serves folders of this machine through os.Root;
// ShareBackend, the one a running node uses, serves the node's own shares
// (from the share list, through LocalBackend) and every other member's
// over /peerhood/files/1 with the rights their access lists give. Writes
// to another node are staged in a spool file and sent with the share
// client's Put (SHA-256 checked, renamed into place there).
//
// Security: the server listens on 127.0.0.1 only, checks the Host header
// against loopback names (DNS rebinding), and requires HTTP Basic auth
// with user "peerhood" and the node's local token (32 random bytes,
// base64url, kept 0600 in the state folder as webdav.token). Every request
// path and Destination header goes through ParsePath, which refuses "..",
// ".", empty and over-long components, NUL and control bytes, backslashes,
// Windows reserved names and characters, and invalid UTF-8; file access
// then goes through os.Root, so symlinks cannot leave a share either.
//
// WebDAV itself is golang.org/x/net/webdav with an in-memory lock system;
// this package adds the status codes clients expect where that handler is
// vague (403 on read-only shares, 404/409 on MOVE, 204 on a replacing
// PUT, 507 on a full disk, 403 propfind-finite-depth on PROPFIND Depth:
// infinity; a missing Depth means 1), serves PROPFIND itself (streamed
// XML, one directory read per listing; its output is checked equal to
// x/net's), accepts Windows' Win32 PROPPATCH properties without storing
// them, answers GET on a folder with an HTML listing, and refuses
// requests whose Origin is not the loopback. A MOVE between two shares
// (or nodes), where no rename exists, is served as a COPY of the whole
// tree then a DELETE of the source, each with its lock checks; if the
// source cannot be deleted the copy is taken back (move.go).
package davfs
