// Package api is the framework of the node's control API: an HTTP/JSON
// server on a unix socket in the state folder (mode 0600), route
// declaration, typed errors, the generated OpenAPI document, and the
// transport clients use. It knows no service: each service declares its
// endpoints in its own routes.go (Handle, HandleRaw) and the daemon calls
// them; package client is the typed client on top of Client here.
//
// Routes are declared with their request and response types; the
// OpenAPI 3 document served at /openapi.json is generated from those
// declarations, so it cannot drift from the handlers. The server also
// serves /metrics (Prometheus) and Go's profiles under /debug/pprof/. A
// known path with the wrong method answers 405 with an Allow header.
// A request body (DecodeBody, at most MaxRequestBody) is one JSON value
// with no field the request type lacks and nothing after it; anything
// else is 400.
//
// Errors are JSON objects {"error": "...", "code": "..."} with an HTTP
// status that fits (400 bad input, 403 refused, 404 unknown, 405 wrong
// method, 409 conflict, 503 unreachable peer, 507 no_space, 500 other).
// A full disk answers 507 no_space with NoSpace's words on every
// endpoint: AsError maps ENOSPC and EDQUOT, and Server.SetFull takes the
// node's test for the rest (store.IsFull: SQLite's "database or disk is
// full" is no errno, and the framework imports no store); an endpoint
// need only pass the store's error on unmapped.
package api
