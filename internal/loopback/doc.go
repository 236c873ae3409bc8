// Package loopback is the one front door of every local HTTP service a
// node offers to its own user (the WebDAV gateway today; the web UI, the
// IRC gateway and the tunnel listeners later). It owns what keeps other
// local users, web pages and rebinding DNS names out:
//
//   - Listen binds 127.0.0.1 or [::1] only ("localhost" means
//     127.0.0.1); any other address is refused.
//   - CheckHost accepts a Host header only when it is 127.0.0.1:PORT,
//     localhost:PORT or [::1]:PORT with PORT the port the request came in
//     on (DNS rebinding sends the attacker's own name).
//   - Guard.Authenticate accepts HTTP Basic with the service's user and
//     the node's token (compared in constant time), for WebDAV and API
//     clients, or a session cookie. A browser gets the cookie by
//     exchanging a one-time login token (Guard.NewLoginToken, then
//     GET LoginPath?token=...): the cookie is HttpOnly, SameSite=Strict,
//     Path=/, and the token works once, for LoginTokenTTL. Its name is
//     per listener, CookieName_PORT (SessionCookie): cookies ignore
//     ports, and one name would let two services on one machine (two
//     nodes' UIs, a UI and a WebDAV gateway) log each other out of one
//     browser. (The CSRF token is no cookie: it is derived from the
//     session, so it follows the session's name.)
//   - CheckOrigin: a state-changing request (anything but GET, HEAD,
//     OPTIONS, PROPFIND) that carries an Origin header is accepted only
//     when that origin is exactly one of the server's own
//     (http://127.0.0.1:PORT, http://localhost:PORT, http://[::1]:PORT);
//     "null", another port or another host is refused. A read with a
//     foreign Origin is refused as well: no page elsewhere reads through
//     a browser's cached credentials.
//   - CSRF: Guard.CSRFToken gives a form the token bound to its session
//     (HMAC-SHA256 of the session ID under a per-guard key);
//     Guard.CheckCSRF checks it from the X-CSRF-Token header or the
//     csrf_token form field.
//   - SecurityHeaders sets nosniff, no-referrer and frame-ancestors
//     'none' on every answer; FileHeaders adds, for user content,
//     Content-Security-Policy "sandbox; default-src 'none'" (the content
//     runs, if at all, in an opaque origin with no script) and
//     Content-Disposition: attachment for types a browser would execute
//     (HTML, SVG, XML, JavaScript...).
//
// Guard.Wrap puts all of it in front of a handler. The usual use:
//
//	l, _ := loopback.Listen("127.0.0.1:4318")
//	g := loopback.NewGuard(loopback.Config{User: "peerhood", Token: tok})
//	http.Serve(l, g.Wrap(handler))
package loopback
