package apitypes

// UILogin is the reply of POST /v1/ui/login (mirrors webui.Login).
type UILogin struct {
	URL      string `json:"url"`       // the web UI's address
	LoginURL string `json:"login_url"` // one-time: works once, within a minute
}
