package main

import (
	"io"
	"testing"
)

func TestClassifySpirals(t *testing.T) {
	acc, err := run(io.Discard, 1, 3000)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.95 {
		t.Errorf("test accuracy %.3f, want > 0.95", acc)
	}
}
