// Package webui is the node's web UI: a page served on the loopback
// (127.0.0.1:42080 by default; setting ui.addr or PEERHOOD_UI_ADDR,
// "off" disables it) for people who would rather look and click than
// type. It owns no action of its own: the page's scripts call the node's
// control API, which this package serves under /api/ by handing each
// request to the control API's http.Handler in this process (the daemon
// gives it the handler). /api/v1/... becomes /v1/...; nothing but /v1/
// is reachable (no profiles, no metrics). So every click is the same
// service call as the CLI's command, with the same checks and errors.
//
// What the browser gets:
//
//   - GET / : the one page (assets/index.html), with the session's CSRF
//     token in <meta name="csrf-token">; without a session, a page
//     saying to run `peerhood open` (401).
//   - /app.css, /favicon.svg, /js/*.js : the static assets, embedded
//     with embed; plain ES modules, no build step, no framework, no CDN.
//     Served without a session (code and style, no data).
//   - /.peerhood/login?token=T : trades a one-time login token
//     (loopback.Guard; POST /v1/ui/login on the control socket makes
//     one, `peerhood open` asks for it) for an HttpOnly, SameSite=Strict
//     session cookie named per port (peerhood_session_PORT: two nodes'
//     UIs in one browser keep their sessions) and redirects to "/" (the token leaves the address
//     bar and the history).
//   - /api/v1/... : the control API. /api/v1/events is its Server-Sent
//     Events stream (the page's live updates); /api/v1/files/content is
//     the streamed download (GET, an attachment) and upload (PUT, the
//     body, with the browser's upload progress) of one file of a
//     member's share, resumable: GET /api/v1/files/resume says how many
//     bytes of a cut upload the member holds and the PUT sends the rest
//     with Content-Range (share.PutRange); /api/v1/files/zip a folder as
//     a zip stream; POST /api/v1/uploads stages a file the browser holds
//     and POST /api/v1/uploads/send sends staged files as a copy or a
//     mail's attachments (spool's upload.go). Events
//     arrive as the bus's envelope ({seq, kind, workgroup, time, data});
//     a presence change recolours the member's card at once.
//   - /qr.png?text=T : a QR code of T (the invite token), drawn here.
//
// The front door is package loopback's, in this order on every request:
// Host must be this server under a loopback name (DNS rebinding), an
// Origin header must be exactly this server's origin (for reads too),
// then the session cookie (HTTP Basic is not accepted: the UI has no
// password), and for every state-changing method (anything but GET,
// HEAD, OPTIONS) an Origin header present and the CSRF token in
// X-CSRF-Token. Pages carry Content-Security-Policy PageCSP (scripts,
// styles, images and connections from 'self' only: no inline script, no
// eval; never framed) and X-Frame-Options DENY; every /api/ answer
// carries loopback.FileHeaders (sandbox, attachment, nosniff), so a file
// or a JSON reply opened directly never runs in the UI's origin.
//
// The pages (hash routes of the one page): #/ the neighborhood (a card
// per member per workgroup: presence, last seen, link and RTT, shares
// with this node's right, services with the right and the local forward,
// a link for kind http; files dropped on a card are queued as a copy;
// presence events recolour a card at once),
// #/files/WG/NODE/SHARE/path (listing, sort, download, and on a
// writable share upload with a progress bar, Stop and Resume per file,
// new folder, rename, delete), #/mail (inbox, read, compose with
// attachments from the browser, received copies, the queue),
// #/chat/WG/room|dm/NAME (rooms with unread counts, direct
// conversations, history and live chat.message events, send, alert),
// #/admin (workgroups, invites with a QR code, join, members with roles
// and groups, the groups screen, this node's shares and access lists), #/status
// (name, peer ID, addresses, uptime, version, peers, a live graph of
// share-transfer bytes in and out).
package webui
