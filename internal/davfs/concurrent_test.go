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
				// Everyone replaces one shared file: readers see one whole
				// version, and no writer is refused for another's (423).
				if r := e.do("PUT", "/alpha/docs/shared.txt", nil, body); r.code != 201 && r.code != 204 {
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

// TestParallelWritesOfOneName: clients that write one name at once and
// hold no lock (rclone's parallel transfers each create the new folder
// first) are never refused with 423: one MKCOL creates, the others find
// the folder (405), every PUT lands whole.
func TestParallelWritesOfOneName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for round := 0; round < 10; round++ {
				dir := fmt.Sprintf("/alpha/docs/new%d/", round)
				if r := e.do("MKCOL", dir, nil, ""); r.code != 201 && r.code != 405 {
					errs <- fmt.Sprintf("MKCOL %s = %d: %s", dir, r.code, r.body)
				}
				if r := e.do("PUT", dir+"same.txt", nil, strings.Repeat("x", i*1000)); r.code != 201 && r.code != 204 {
					errs <- fmt.Sprintf("PUT %ssame.txt = %d: %s", dir, r.code, r.body)
				}
				if r := e.do("PROPPATCH", dir+"same.txt", nil, winPatch); r.code != 207 {
					errs <- fmt.Sprintf("PROPPATCH %ssame.txt = %d: %s", dir, r.code, r.body)
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
