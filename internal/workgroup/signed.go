package workgroup

import (
	"bytes"
	"fmt"

	"github.com/peerhood/peerhood/internal/wire"
)

// signItem encodes body, signs it under domain (what names it in the
// error) and returns the Signed item: the one way certificates,
// revocations and name items are made.
func signItem(s Signer, domain, what string, body any) ([]byte, error) {
	raw, err := wire.Marshal(body)
	if err != nil {
		return nil, err
	}
	sig, err := s.sign(append([]byte(domain), raw...))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", what, err)
	}
	return wire.Marshal(Signed{Body: raw, Sig: sig})
}

// openItem decodes a Signed item of at most maxItem bytes and its body
// into body (a pointer), which must be in its deterministic encoding, so
// one item has exactly one byte form (and one hash). what names the item
// in errors. The signature is checked by the caller (verifySig), once it
// knows the issuer from the body.
func openItem(raw []byte, what string, body any) (Signed, error) {
	var sg Signed
	if len(raw) > maxItem {
		return sg, fmt.Errorf("%s is %d bytes; at most %d", what, len(raw), maxItem)
	}
	if err := wire.Unmarshal(raw, &sg); err != nil {
		return sg, fmt.Errorf("%s: %w", what, err)
	}
	if err := wire.Unmarshal(sg.Body, body); err != nil {
		return sg, fmt.Errorf("%s body: %w", what, err)
	}
	if again, err := wire.Marshal(body); err != nil || !bytes.Equal(again, sg.Body) {
		return sg, fmt.Errorf("%s body is not in canonical CBOR", what)
	}
	return sg, nil
}
