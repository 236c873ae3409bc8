package chat

import (
	"fmt"

	"github.com/peerhood/peerhood/internal/wire"
)

// parseOld is parse as it was before the fast body decoder (bodydec.go):
// the general decoder then the re-encoding check, for every body. Kept
// for the differential tests (parsediff_test.go): parse must accept and
// refuse exactly what parseOld does, with the same message.
func parseOld(raw []byte) (*msg, signed, error) {
	if len(raw) > maxSigned {
		return nil, signed{}, fmt.Errorf("%w: %d bytes exceeds %d", errBadMessage, len(raw), maxSigned)
	}
	s, ok := splitSigned(raw)
	if !ok {
		if err := wire.Unmarshal(raw, &s); err != nil {
			return nil, signed{}, fmt.Errorf("%w: %v", errBadMessage, err)
		}
	}
	m := &msg{raw: raw}
	if err := wire.Unmarshal(s.Body, &m.body); err != nil {
		return nil, signed{}, fmt.Errorf("%w: body: %v", errBadMessage, err)
	}
	if !deterministic(&m.body, s.Body) {
		return nil, signed{}, fmt.Errorf("%w: body not in deterministic form", errBadMessage)
	}
	if err := m.body.check(); err != nil {
		return nil, signed{}, err
	}
	m.fill()
	return m, s, nil
}
