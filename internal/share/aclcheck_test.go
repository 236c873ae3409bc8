package share

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/peerhood/peerhood/internal/api"
	"github.com/peerhood/peerhood/internal/apitypes"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// Access-list mistakes: a rule for a name no member holds is refused
// (kept with --force, with a warning), for add and set alike; a folder
// shared again with another list is stored with a warning naming the
// other share; the same list again says nothing.
func TestAccessListMistakes(t *testing.T) {
	ctx := context.Background()
	_, srv := routedService(t, workgroup.Member{Workgroup: "wg1", WorkgroupName: "office", Name: "bob", PeerID: peer.ID("bob-id"), NotAfter: time.Now().Add(time.Hour)})
	home := t.TempDir()
	l, err := srv.Listen(home)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown(ctx)
	api := api.NewClient(home)
	add := func(req apitypes.ShareAddRequest) (Config, error) {
		var cfg Config
		err := api.Do(ctx, "POST", "/v1/shares", req, &cfg)
		return cfg, err
	}
	set := func(name string, req apitypes.ShareSetRequest) (Config, error) {
		var cfg Config
		err := api.Do(ctx, "PUT", "/v1/shares/"+name+"/access", req, &cfg)
		return cfg, err
	}
	folder := t.TempDir()

	_, err = add(apitypes.ShareAddRequest{Name: "docs", Path: folder, Allow: []string{"*=ro", "bobb=rw"}})
	if err == nil || !strings.Contains(err.Error(), "bobb: no such member in workgroup office") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a typo in a name: %v", err)
	}
	cfg, err := add(apitypes.ShareAddRequest{Name: "docs", Path: folder, Allow: []string{"*=ro", "bob=rw"}})
	if err != nil || len(cfg.Warnings) != 0 {
		t.Fatalf("a member's rule: %+v %v", cfg, err)
	}
	cfg, err = add(apitypes.ShareAddRequest{Name: "later", Path: t.TempDir(), Allow: []string{"carol=rw"}, Force: true})
	if err != nil || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "carol") {
		t.Fatalf("forced rule for a member yet to join: %+v %v", cfg, err)
	}
	if _, err := set("docs", apitypes.ShareSetRequest{Allow: []string{"dave=rw"}}); err == nil {
		t.Fatalf("set with a non-member passed")
	}
	cfg, err = add(apitypes.ShareAddRequest{Name: "docs2", Path: folder, Allow: []string{"*=rw"}})
	if err != nil || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "also shared as docs with *=ro,bob=rw") {
		t.Fatalf("the same folder with another list: %+v %v", cfg, err)
	}
	cfg, err = add(apitypes.ShareAddRequest{Name: "docs3", Path: folder + "/", Allow: []string{"bob=rw", "*=ro"}})
	if err != nil || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "docs2") {
		t.Fatalf("the same list as docs (warned only about docs2): %+v %v", cfg, err)
	}
	cfg, err = set("docs2", apitypes.ShareSetRequest{Allow: []string{"*=ro", "bob=rw"}})
	if err != nil || len(cfg.Warnings) != 0 {
		t.Fatalf("docs2 agrees with docs and docs3 now: %+v %v", cfg, err)
	}
}
