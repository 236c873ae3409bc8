package share

import "testing"

// A transfer reserves and takes no more buffers than it fills, and at
// least one.
func TestPipeShapeFits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape pipeShape
		n     int64
		want  int
	}{
		{fullPipe, 0, 1},
		{fullPipe, 4 << 10, 1},
		{fullPipe, bufSize, 1},
		{fullPipe, bufSize + 1, 2},
		{fullPipe, 5*bufSize + 1, pipeBuffers},
		{fullPipe, 1 << 30, pipeBuffers},
		{lowPipe, 4 << 10, 1},
		{lowPipe, 1 << 30, lowBuffers},
	} {
		got := tc.shape.fit(tc.n)
		if got.n != tc.want || got.size != tc.shape.size || got.bytes() != tc.want*tc.shape.size {
			t.Errorf("fit(%d) of %d x %d: %d x %d, want %d", tc.n, tc.shape.n, tc.shape.size, got.n, got.size, tc.want)
		}
	}
}
