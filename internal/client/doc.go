// Package client is the typed client of a node's control API: one method
// per endpoint, taking and returning the types of package apitypes. It
// is the only place outside the routes where an endpoint's path is
// written; the CLI (and any other local program) calls the node through
// it, over the transport of package api (the unix socket in the state
// folder).
package client
