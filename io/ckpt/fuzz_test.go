package ckpt

import (
	"bytes"
	"testing"
)

// FuzzDecode: arbitrary bytes never panic Decode, and whatever it accepts
// re-encodes to an archive that decodes to the same content.
func FuzzDecode(f *testing.F) {
	good, _ := sample().Encode()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x05\x06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(data)
		if err != nil {
			return
		}
		again, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded checkpoint does not decode: %v", err)
		}
		if d.Draws != c.Draws || len(d.Blobs) != len(c.Blobs) {
			t.Fatal("round trip changed the checkpoint")
		}
		for k, v := range c.Blobs {
			if !bytes.Equal(v, d.Blobs[k]) {
				t.Fatalf("blob %s changed", k)
			}
		}
	})
}
