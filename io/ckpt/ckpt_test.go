package ckpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func sample() *Checkpoint {
	return &Checkpoint{
		Manifest: Manifest{Version: "test", SpecHash: "abc", Task: 3, Chains: 2, Thermalized: 10, Draws: 5},
		Blobs:    map[string][]byte{"chain/0000": {1, 2, 3}, "chain/0001": {4, 5}},
		Floats:   map[string][]float64{"flow/w": {0.5, -1}, "loss": nil},
	}
}

func TestRoundTrip(t *testing.T) {
	data, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Task != 3 || c.Draws != 5 || !bytes.Equal(c.Blobs["chain/0001"], []byte{4, 5}) || c.Floats["flow/w"][1] != -1 || len(c.Floats["loss"]) != 0 {
		t.Errorf("round trip: %+v", c)
	}
	again, _ := c.Encode()
	if !bytes.Equal(again, data) {
		t.Error("encoding is not deterministic")
	}
}

// TestCorruption flips every byte of a checkpoint in turn: each must be
// detected or harmless (zip padding), never silently change the content.
func TestCorruption(t *testing.T) {
	data, _ := sample().Encode()
	orig, _ := Decode(data)
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x55
		c, err := Decode(bad)
		if err != nil {
			continue
		}
		if c.Draws != orig.Draws || !bytes.Equal(c.Blobs["chain/0000"], orig.Blobs["chain/0000"]) ||
			c.Floats["flow/w"][0] != orig.Floats["flow/w"][0] {
			t.Fatalf("byte %d flipped: accepted with changed content", i)
		}
	}
	if _, err := Decode(data[:len(data)/2]); err == nil {
		t.Error("truncated checkpoint accepted")
	}
}

func TestWriteLoadFallback(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0000.npz")
	if _, _, err := Load(path); !errors.Is(err, ErrNone) {
		t.Fatalf("Load of nothing: %v, want ErrNone", err)
	}
	c := sample()
	if err := Write(path, c); err != nil {
		t.Fatal(err)
	}
	c.Draws = 7
	if err := Write(path, c); err != nil {
		t.Fatal(err)
	}
	got, warn, err := Load(path)
	if err != nil || warn != "" || got.Draws != 7 {
		t.Fatalf("Load: draws %v, warn %q, err %v", got, warn, err)
	}
	// Corrupt the current one: fall back to .prev with a warning.
	os.WriteFile(path, []byte("garbage"), 0o644)
	got, warn, err = Load(path)
	if err != nil || warn == "" || got.Draws != 5 {
		t.Fatalf("fallback: got %+v, warn %q, err %v", got, warn, err)
	}
	os.WriteFile(PrevPath(path), []byte("garbage"), 0o644)
	if _, _, err := Load(path); err == nil || !strings.Contains(err.Error(), "no usable checkpoint") {
		t.Fatalf("both bad: err %v", err)
	}
}

func TestNumpyReads(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3 (make deps-test installs it)")
	}
	path := filepath.Join(t.TempDir(), "c.npz")
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
import sys, json, numpy as np
z = np.load(sys.argv[1])
m = json.loads(bytes(z["manifest"]))
assert m["task"] == 3 and m["draws"] == 5, m
assert list(z["blob/chain/0001"]) == [4, 5]
assert list(z["float/flow/w"]) == [0.5, -1.0]
print("ok")
`, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("numpy could not read the checkpoint: %v\n%s", err, out)
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0000.lock")
	unlock, err := Lock(path, false)
	if err != nil {
		t.Fatal(err)
	}
	// Held by a live foreign process: refused, naming --break-lock.
	os.WriteFile(path, []byte(`{"host":"`+hostname()+`","pid":1,"since":"x"}`), 0o644)
	if _, err := Lock(path, false); err == nil || !strings.Contains(err.Error(), "--break-lock") || !strings.Contains(err.Error(), "pid 1") {
		t.Fatalf("lock held by pid 1: err %v", err)
	}
	if u, err := Lock(path, true); err != nil {
		t.Fatalf("--break-lock: %v", err)
	} else {
		u()
	}
	// Held by a dead process on this host: taken over.
	cmd := exec.Command("true")
	cmd.Run()
	os.WriteFile(path, []byte(`{"host":"`+hostname()+`","pid":`+strconv.Itoa(cmd.Process.Pid)+`,"since":"x"}`), 0o644)
	if u, err := Lock(path, false); err != nil {
		t.Fatalf("stale lock: %v", err)
	} else {
		u()
	}
	// Held by the same SLURM job (requeue): taken over.
	t.Setenv("SLURM_JOB_ID", "4242")
	os.WriteFile(path, []byte(`{"host":"othernode","pid":1,"slurm_job_id":"4242","since":"x"}`), 0o644)
	if u, err := Lock(path, false); err != nil {
		t.Fatalf("requeued job's lock: %v", err)
	} else {
		u()
	}
	_ = unlock
}

// A reused pid is not its old holder: a lock naming a live pid with
// another start time is stale. Unlocking removes only one's own lock, and
// a lock that is empty or garbled is not judged stale.
func TestLockHolderIdentity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.lock")
	me := currentLock()
	if me.Start == 0 || me.BootID == "" {
		t.Fatalf("no start time or boot id: %+v", me)
	}
	reused := me
	reused.Start--
	js, _ := json.Marshal(reused)
	os.WriteFile(path, js, 0o644)
	if held, ok, live := Holder(path); !ok || live || held.PID != me.PID {
		t.Fatalf("a lock of this pid with another start time: live = %v", live)
	}
	unlock, err := Lock(path, false)
	if err != nil {
		t.Fatalf("reused pid's lock not taken over: %v", err)
	}
	// Someone broke the lock meanwhile: unlocking leaves theirs alone.
	other := `{"host":"elsewhere","pid":7,"since":"x"}`
	os.WriteFile(path, []byte(other), 0o644)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != other {
		t.Fatalf("unlock removed another's lock: %q %v", b, err)
	}
	os.WriteFile(path, nil, 0o644)
	if _, err := Lock(path, false); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Fatalf("an empty lock: %v", err)
	}
}

func hostname() string { h, _ := os.Hostname(); return h }

// TestNewerFormat: a checkpoint of a newer format is refused with a clear
// message, and Load does not fall back past it to the previous one.
func TestNewerFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0000.npz")
	c := sample()
	for range 2 {
		if err := Write(path, c); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	i := bytes.LastIndex(data, []byte("mcflow-ckpt v1 "))
	if i < 0 {
		t.Fatal("no archive comment")
	}
	data[i+len("mcflow-ckpt v")] = '2'
	os.WriteFile(path, data, 0o644)
	_, _, err := Load(path)
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "newer mcflow") || !strings.Contains(err.Error(), "format 2") {
		t.Fatalf("newer format: err %v", err)
	}
}

// TestHugeClaims: entry sizes claimed by a corrupt central directory cannot
// make Decode allocate more than a few times the archive.
func TestHugeClaims(t *testing.T) {
	data, _ := sample().Encode()
	// Central directory headers (PK\x01\x02): uncompressed size at +24.
	for _, size := range []uint32{0xffffffff, 1 << 30, uint32(len(data)) - 1} {
		bad := bytes.Clone(data)
		for i := 0; ; {
			j := bytes.Index(bad[i:], []byte("PK\x01\x02"))
			if j < 0 {
				break
			}
			i += j
			bad[i+24], bad[i+25], bad[i+26], bad[i+27] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
			i += 4
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Decode(bad)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("size %d: accepted", size)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > uint64(8*len(data)+64<<10) {
			t.Errorf("size %d: Decode allocated %d bytes for an archive of %d", size, got, len(data))
		}
	}
}
