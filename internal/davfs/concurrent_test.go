package davfs

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentClients: parallel writers, readers and listers on one
// share (run with -race) all see whole files.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	write(t, filepath.Join(e.docs, "shared.txt"), strings.Repeat("start;", 1000))
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("/alpha/docs/c%d.txt", i)
			for round := 0; round < 5; round++ {
				body := strings.Repeat(fmt.Sprintf("%d-%d;", i, round), 1000)
				if r := e.do("PUT", name, nil, body); r.code != 201 && r.code != 204 {
					errs <- fmt.Sprintf("PUT %s = %d", name, r.code)
					return
				}
				if r := e.do("GET", name, nil, ""); r.code != 200 || r.body != body {
					errs <- fmt.Sprintf("GET %s = %d, %d bytes", name, r.code, len(r.body))
					return
				}
				if r := e.do("PROPFIND", "/alpha/docs/", map[string]string{"Depth": "1"}, ""); r.code != 207 {
					errs <- fmt.Sprintf("PROPFIND = %d", r.code)
					return
				}
				// Everyone replaces one shared file: readers see one whole version.
				// (423: another PUT holds the resource's request lock.)
				if r := e.do("PUT", "/alpha/docs/shared.txt", nil, body); r.code != 201 && r.code != 204 && r.code != 423 {
					errs <- fmt.Sprintf("PUT shared = %d", r.code)
					return
				}
				r := e.do("GET", "/alpha/docs/shared.txt", nil, "")
				first, _, _ := strings.Cut(r.body, ";")
				if r.code != 200 || r.body != strings.Repeat(first+";", 1000) {
					errs <- fmt.Sprintf("GET shared = %d, %d bytes: not one whole version", r.code, len(r.body))
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	ents, _ := filepath.Glob(filepath.Join(e.docs, TempPrefix+"*"))
	if len(ents) != 0 {
		t.Errorf("temp files left: %v", ents)
	}
}
