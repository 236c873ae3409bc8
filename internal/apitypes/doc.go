// Package apitypes holds the types of the control API as a client sees
// them: the request bodies (one definition, used by the routes and the
// client alike) and the replies.
//
// A reply type here mirrors the type the owning service encodes (a
// spool.Job is read back as a Job): the CLI and other clients import this
// package and the typed client only, never a service. A test in the
// daemon package (TestMirrorsEncodeAlike) compares the JSON schema of
// every mirror with its service type's, so the two cannot drift apart.
//
// It imports nothing of this module but the API framework (for Error).
package apitypes
