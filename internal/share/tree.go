package share

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// treeWorkers is how many files of a folder transfer at once. Small files
// cost round trips and an fsync each, not bandwidth: several in flight
// hide that latency. A large file still moves on one stream.
const treeWorkers = 8

// treeJobs runs file transfers on treeWorkers goroutines. The first
// failure cancels the others and is the one reported; results are summed.
type treeJobs struct {
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	total  Result
	err    error
}

func newTreeJobs(ctx context.Context) *treeJobs {
	ctx, cancel := context.WithCancel(ctx)
	return &treeJobs{ctx: ctx, cancel: cancel, sem: make(chan struct{}, treeWorkers)}
}

// run starts fn when a worker is free; it returns the first error so far
// (then fn does not run).
func (j *treeJobs) run(fn func(ctx context.Context) (Result, error)) error {
	select {
	case j.sem <- struct{}{}:
	case <-j.ctx.Done():
		return j.firstErr(j.ctx.Err())
	}
	if err := j.firstErr(nil); err != nil {
		<-j.sem
		return err
	}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer func() { <-j.sem }()
		res, err := fn(j.ctx)
		j.mu.Lock()
		j.total.add(res)
		if err != nil && j.err == nil {
			j.err = err
			j.cancel()
		}
		j.mu.Unlock()
	}()
	return nil
}

func (j *treeJobs) firstErr(fallback error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	return fallback
}

// wait waits for the running transfers; err is the walk's own error.
func (j *treeJobs) wait(err error, start time.Time) (Result, error) {
	j.wg.Wait()
	j.cancel()
	if first := j.firstErr(nil); first != nil {
		err = first
	}
	j.total.Seconds = time.Since(start).Seconds()
	return j.total, err
}

// serialProgress makes o's Progress safe for concurrent transfers.
func serialProgress(o TransferOptions) TransferOptions {
	if fn := o.Progress; fn != nil {
		var mu sync.Mutex
		o.Progress = func(name string, done, total int64) {
			mu.Lock()
			defer mu.Unlock()
			fn(name, done, total)
		}
	}
	return o
}

// GetTree downloads folder share/path into the local folder local
// (created): folders in order, files treeWorkers at a time; small files
// (batchMaxFile) go batchFiles to a stream (getBatch), the others, and
// any a batch did not bring, with GetFile.
func GetTree(ctx context.Context, c *Client, share, path, local string, o TransferOptions) (Result, error) {
	start := time.Now()
	o = serialProgress(o)
	jobs := newTreeJobs(ctx)
	var walk func(rp, lp string) error
	walk = func(rp, lp string) error {
		if err := os.MkdirAll(lp, 0o755); err != nil {
			return err
		}
		// The whole listing first: the listing stream is not held open
		// while files move.
		es, err := c.ReadDir(jobs.ctx, share, rp)
		if err != nil {
			return err
		}
		var subdirs []Entry
		var batch []batchGet
		for _, e := range es {
			if err := CheckName(e.Name); err != nil {
				return fmt.Errorf("remote name %q: %w", e.Name, err)
			}
			if e.Dir {
				subdirs = append(subdirs, e)
				continue
			}
			r, l, known := joinPath(rp, e.Name), filepath.Join(lp, e.Name), e
			if e.Size <= batchMaxFile && !c.noBatch.Load() {
				if batch = append(batch, batchGet{r, l, e}); len(batch) == batchFiles {
					err = jobs.run(getBatchJob(c, share, batch, o))
					batch = nil
				}
			} else {
				err = jobs.run(func(ctx context.Context) (Result, error) {
					return getFile(ctx, c, share, r, l, o, &known)
				})
			}
			if err != nil {
				return err
			}
		}
		if len(batch) > 0 {
			if err := jobs.run(getBatchJob(c, share, batch, o)); err != nil {
				return err
			}
		}
		for _, d := range subdirs {
			if err := walk(joinPath(rp, d.Name), filepath.Join(lp, d.Name)); err != nil {
				return err
			}
		}
		return nil
	}
	return jobs.wait(walk(path, local), start)
}

// getBatchJob gets items in one batch, then one by one those it did not
// bring.
func getBatchJob(c *Client, share string, items []batchGet, o TransferOptions) func(context.Context) (Result, error) {
	return func(ctx context.Context) (Result, error) {
		var res Result
		left, err := c.getBatch(ctx, share, items, o, &res)
		if err != nil {
			return res, err
		}
		for _, it := range left {
			known := it.e
			r, err := getFile(ctx, c, share, it.remote, it.local, o, &known)
			res.add(r)
			if err != nil {
				return res, err
			}
		}
		return res, nil
	}
}

// putBatchJob puts items in one batch, then one by one those it did not
// deliver.
func putBatchJob(c *Client, share string, items []batchPut, o TransferOptions) func(context.Context) (Result, error) {
	return func(ctx context.Context) (Result, error) {
		var res Result
		for _, it := range c.putBatch(ctx, share, items, o, &res) {
			r, err := PutFile(ctx, c, it.local, share, it.remote, o)
			res.add(r)
			if err != nil {
				return res, err
			}
		}
		return res, nil
	}
}

// PutTree uploads the local folder local to share/path (created): folders
// in walk order, files treeWorkers at a time; small files go batchFiles
// to a stream (putBatch), the others with PutFile. Symlinks and special
// files are skipped.
func PutTree(ctx context.Context, c *Client, local, share, path string, o TransferOptions) (Result, error) {
	start := time.Now()
	o = serialProgress(o)
	jobs := newTreeJobs(ctx)
	var batch []batchPut
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := jobs.run(putBatchJob(c, share, batch, o))
		batch = nil
		return err
	}
	err := filepath.WalkDir(local, func(lp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(local, lp)
		if err != nil {
			return err
		}
		rp, err := CleanPath(joinPath(path, filepath.ToSlash(rel)))
		if err != nil {
			return fmt.Errorf("%s: %w", lp, err)
		}
		switch {
		case d.IsDir():
			// A batch holds the files of one folder. The folder is made
			// before any file inside it is sent: the walk visits a
			// folder before its contents.
			if err := flush(); err != nil {
				return err
			}
			return c.Mkdir(jobs.ctx, share, rp)
		case d.Type().IsRegular():
			if fi, err := d.Info(); err == nil && fi.Size() <= batchMaxFile && !c.noBatch.Load() {
				if batch = append(batch, batchPut{lp, rp}); len(batch) == batchFiles {
					return flush()
				}
				return nil
			}
			return jobs.run(func(ctx context.Context) (Result, error) {
				return PutFile(ctx, c, lp, share, rp, o)
			})
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return jobs.wait(err, start)
}

func (r *Result) add(o Result) {
	r.Files += o.Files
	r.Bytes += o.Bytes
	r.Sent += o.Sent
	r.Retries += o.Retries
	r.ResumedFrom = o.ResumedFrom
	r.SHA256 = o.SHA256
	r.Digest = o.Digest
}
