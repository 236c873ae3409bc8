package webui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/peerhood/peerhood/internal/testnet"
	"github.com/peerhood/peerhood/internal/testutil"
)

// dropCopy: files dropped on beta's card in alpha's neighborhood are
// staged on alpha and queued as a copy; it arrives in beta's inbox, and
// accepted, holds the bytes dropped.
func dropCopy(t *testing.T, a *tab, beta *testnet.Node) {
	const size = 300 << 10
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*31 + i>>9)
	}
	sum := sha256.Sum256(data)
	a.page("#/")
	card := `article[data-name="beta"]`
	a.wait("beta's card takes files", card+` label[data-action="send-files"]`)
	// A drop as the browser makes it: a DataTransfer holding a File.
	eval[bool](a, "drop a file on beta", fmt.Sprintf(`(() => {
		const b = new Uint8Array(%d);
		for (let i = 0; i < b.length; i++) b[i] = (i * 31 + (i >> 9)) & 255;
		const dt = new DataTransfer();
		dt.items.add(new File([b], 'dropped.bin'));
		const el = document.querySelector(%q);
		const over = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true });
		el.dispatchEvent(over);
		el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
		return over.defaultPrevented; })()`, size, card))
	a.wait("queued", card+`[data-queued]`)
	var id string
	testutil.Eventually(t, testnet.Converge, func() error {
		var items []struct {
			ID    string `json:"id"`
			From  string `json:"from"`
			Files []struct {
				Path string `json:"path"`
			} `json:"files"`
		}
		beta.Must(http.MethodGet, "/v1/inbox", nil, &items)
		for _, it := range items {
			if it.From == "alpha" && len(it.Files) == 1 && it.Files[0].Path == "dropped.bin" {
				id = it.ID
				return nil
			}
		}
		return fmt.Errorf("beta's inbox: %+v", items)
	})
	dest := t.TempDir()
	beta.Must(http.MethodPost, "/v1/inbox/"+id+"/accept", map[string]string{"dest": dest}, nil)
	got, err := os.ReadFile(filepath.Join(dest, "dropped.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if g := sha256.Sum256(got); g != sum {
		t.Fatalf("the copy on beta: %d bytes, SHA-256 %s; want %d bytes, %s", len(got), hex.EncodeToString(g[:]), size, hex.EncodeToString(sum[:]))
	}
}
