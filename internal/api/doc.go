// Package api is the node's control API: HTTP/JSON on a unix socket in the
// state folder (mode 0600), and the client the CLI uses to call it.
//
// Every CLI command but `up` is a call to one endpoint here, so the CLI
// holds no logic the API lacks, and `--json` output is the endpoint's
// JSON. Routes are declared with their request and response types; the
// OpenAPI 3 document served at /openapi.json is generated from those
// declarations, so it cannot drift from the handlers.
//
// Errors are JSON objects {"error": "...", "code": "..."} with an HTTP
// status that fits (400 bad input, 403 refused, 404 unknown, 409 conflict,
// 503 unreachable peer, 500 other).
package api
