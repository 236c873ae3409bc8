package apitypes

import "time"

// MailSendRequest sends a mail to one or more members.
type MailSendRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	To        []string `json:"to"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	Attach    []string `json:"attach,omitempty"` // absolute paths
}

// MailReplyRequest answers a received mail: to its sender, in its
// workgroup, subject "Re: ...", the original quoted below unless NoQuote.
type MailReplyRequest struct {
	Body    string   `json:"body"`
	Attach  []string `json:"attach,omitempty"` // absolute paths
	NoQuote bool     `json:"no_quote,omitempty"`
}

// MailForwardRequest forwards a received mail (with its attachments, while
// not yet accepted) to members of its workgroup, Note first.
type MailForwardRequest struct {
	To   []string `json:"to"`
	Note string   `json:"note,omitempty"`
}

// CopyRequest queues a copy of local files or folders to members' inboxes.
type CopyRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	To        []string `json:"to"`
	Paths     []string `json:"paths"`                // absolute paths
	NoClobber bool     `json:"no_clobber,omitempty"` // into a share: refuse to replace existing files
	Recursive bool     `json:"recursive,omitempty"`
}

// AcceptRequest names where accepted files go.
type AcceptRequest struct {
	Dest string `json:"dest"` // absolute folder
}

// Job is an outgoing mail or copy (mirrors spool.Job).
type Job struct {
	ID        string    `json:"id"`
	To        string    `json:"to"`
	Recipient string    `json:"recipient"`
	Workgroup string    `json:"workgroup"`
	Kind      string    `json:"kind"`
	Summary   string    `json:"summary"`
	State     string    `json:"state"`
	Size      uint64    `json:"size"`
	Progress  uint64    `json:"progress"`
	Attempts  int       `json:"attempts"`
	NextTry   time.Time `json:"next_try,omitzero"`
	Route     string    `json:"route,omitempty"`
	Error     string    `json:"error,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// Item is a received mail or copy (mirrors spool.Item).
type Item struct {
	ID        string     `json:"id"`
	From      string     `json:"from"`
	Sender    string     `json:"sender"`
	Workgroup string     `json:"workgroup"`
	Kind      string     `json:"kind"`
	Subject   string     `json:"subject,omitempty"`
	Body      string     `json:"body,omitempty"`
	Files     []ItemFile `json:"files"`
	Size      uint64     `json:"size"`
	Created   time.Time  `json:"created"`
	Received  time.Time  `json:"received"`
	Read      bool       `json:"read"`
	State     string     `json:"state"`
	For       *ItemFor   `json:"for,omitempty"`
}

// ItemFor is what a received item belongs to in another service (mirrors
// spool.ItemFor): chat names the message whose attachments a copy
// carries.
type ItemFor struct {
	Service string `json:"service"`
	ID      string `json:"id"`
	Where   string `json:"where,omitempty"`
	Author  string `json:"author,omitempty"`
}

// ItemFile is one file of a received item (mirrors spool.FileEntry).
type ItemFile struct {
	Path string `json:"path"` // slash-separated, relative
	Size uint64 `json:"size"`
	Mode uint32 `json:"mode"`
}

// AcceptResult lists the files an accept wrote (mirrors
// spool.AcceptResult).
type AcceptResult struct {
	ID    string   `json:"id"`
	Dest  string   `json:"dest"`
	Files []string `json:"files"`
}

// UploadSendRequest sends, as a mail (kind "mail") or a copy (kind
// "file"), files a client uploaded to the node's staging area first
// (POST /v1/uploads, which answers each upload's ID).
type UploadSendRequest struct {
	Workgroup string   `json:"workgroup,omitempty"`
	To        []string `json:"to"`
	Kind      string   `json:"kind"` // mail | file
	Subject   string   `json:"subject,omitempty"`
	Body      string   `json:"body,omitempty"`
	Uploads   []string `json:"uploads"` // IDs from POST /v1/uploads
}
