package ckpt

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	npyio "codeberg.org/sbinet/npyio/npy"

	"github.com/mcflow/mcflow/internal/crash"
	"github.com/mcflow/mcflow/io/npy"
)

// FormatVersion is the checkpoint format written by this package.
const FormatVersion = 1

const commentPrefix = "mcflow-ckpt v1 sha256:"

// Manifest describes a checkpoint.
type Manifest struct {
	Format   int    `json:"format"`
	Version  string `json:"mcflow_version"`
	SpecHash string `json:"spec_hash"`
	Task     int    `json:"task"`    // the task's position in the scan when written
	TaskID   string `json:"task_id"` // the task's id
	Chains   int    `json:"chains"`
	// Kernels holds the version of every kernel that produced the state
	// (sampler, model, random streams), GOARCH the architecture: a state
	// resumes only with the same kernels (bit-identity across
	// architectures is not promised, so GOARCH is recorded and checked).
	Kernels map[string]int `json:"kernels,omitempty"`
	GOARCH  string         `json:"goarch,omitempty"`
	// Progress: what every chain has done (the recorder's offsets are
	// Draws along the draw axis of every array).
	Thermalized int  `json:"thermalized"`
	Draws       int  `json:"draws"`
	Finished    bool `json:"finished"`
	// Meta holds sampler-specific small values (counters, names).
	Meta map[string]string `json:"meta,omitempty"`
	// SHA256 of every entry but the manifest, by entry name.
	SHA256 map[string]string `json:"sha256"`
}

// Checkpoint is a manifest with its payload.
type Checkpoint struct {
	Manifest
	Blobs  map[string][]byte
	Floats map[string][]float64
}

// Encode returns the checkpoint as NPZ bytes.
func (c *Checkpoint) Encode() ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m := c.Manifest
	m.Format = FormatVersion
	m.SHA256 = map[string]string{}
	type entry struct {
		name string
		v    any
	}
	var entries []entry
	for _, k := range sortedKeys(c.Blobs) {
		entries = append(entries, entry{"blob/" + k + ".npy", c.Blobs[k]})
	}
	for _, k := range sortedKeys(c.Floats) {
		entries = append(entries, entry{"float/" + k + ".npy", c.Floats[k]})
	}
	write := func(name string, data []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	for _, e := range entries {
		var b bytes.Buffer
		if err := writeVec(&b, e.v); err != nil {
			return nil, fmt.Errorf("ckpt: could not encode %s: %w", e.name, err)
		}
		sum := sha256.Sum256(b.Bytes())
		m.SHA256[e.name] = hex.EncodeToString(sum[:])
		if err := write(e.name, b.Bytes()); err != nil {
			return nil, err
		}
	}
	js, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var mb bytes.Buffer
	if err := npyio.Write(&mb, js); err != nil {
		return nil, err
	}
	if err := write("manifest.npy", mb.Bytes()); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(mb.Bytes())
	if err := zw.SetComment(commentPrefix + hex.EncodeToString(sum[:])); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Decode parses and verifies NPZ bytes written by Encode.
func Decode(data []byte) (*Checkpoint, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a checkpoint archive: %w", err)
	}
	want, ok := strings.CutPrefix(zr.Comment, commentPrefix)
	if !ok {
		var v int
		if _, err := fmt.Sscanf(zr.Comment, "mcflow-ckpt v%d ", &v); err == nil && v > FormatVersion {
			return nil, fmt.Errorf("%w (format %d; this mcflow reads format %d): resume it with the mcflow that wrote it, or a newer one", ErrNewerFormat, v, FormatVersion)
		}
		return nil, fmt.Errorf("not an mcflow checkpoint of format %d (archive comment %q)", FormatVersion, zr.Comment)
	}
	raw := map[string][]byte{}
	var total uint64
	for _, f := range zr.File {
		if _, dup := raw[f.Name]; dup {
			return nil, fmt.Errorf("duplicate entry %s", f.Name)
		}
		// Entries are stored uncompressed, each once: together they cannot
		// be larger than the archive, so a corrupt header cannot make
		// Decode allocate more than the file's size.
		total += f.UncompressedSize64
		if f.Method != zip.Store || f.UncompressedSize64 > uint64(len(data)) || total > uint64(len(data)) {
			return nil, fmt.Errorf("entry %s: method %d, %d bytes (%d in all) in an archive of %d: not written by mcflow", f.Name, f.Method, f.UncompressedSize64, total, len(data))
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", f.Name, err)
		}
		b := make([]byte, f.UncompressedSize64)
		_, err = io.ReadFull(rc, b)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", f.Name, err)
		}
		raw[f.Name] = b
	}
	mb, ok := raw["manifest.npy"]
	if !ok {
		return nil, errors.New("no manifest")
	}
	if sum := sha256.Sum256(mb); hex.EncodeToString(sum[:]) != want {
		return nil, errors.New("manifest checksum mismatch")
	}
	var js []uint8
	if err := npyio.Read(bytes.NewReader(mb), &js); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	c := &Checkpoint{Blobs: map[string][]byte{}, Floats: map[string][]float64{}}
	if err := json.Unmarshal(js, &c.Manifest); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if c.Format > FormatVersion {
		return nil, fmt.Errorf("%w (format %d; this mcflow reads format %d): resume it with the mcflow that wrote it, or a newer one", ErrNewerFormat, c.Format, FormatVersion)
	}
	if c.Format != FormatVersion {
		return nil, fmt.Errorf("checkpoint format %d, this mcflow reads format %d", c.Format, FormatVersion)
	}
	if len(raw) != len(c.SHA256)+1 {
		return nil, fmt.Errorf("archive has %d entries, manifest lists %d", len(raw)-1, len(c.SHA256))
	}
	for name, sum := range c.SHA256 {
		b, ok := raw[name]
		if !ok {
			return nil, fmt.Errorf("entry %s missing", name)
		}
		if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != sum {
			return nil, fmt.Errorf("entry %s checksum mismatch", name)
		}
		switch {
		case strings.HasPrefix(name, "blob/") && strings.HasSuffix(name, ".npy"):
			var v []uint8
			if err := readVec(b, &v); err != nil {
				return nil, fmt.Errorf("entry %s: %w", name, err)
			}
			c.Blobs[strings.TrimSuffix(strings.TrimPrefix(name, "blob/"), ".npy")] = v
		case strings.HasPrefix(name, "float/") && strings.HasSuffix(name, ".npy"):
			var v []float64
			if err := readVec(b, &v); err != nil {
				return nil, fmt.Errorf("entry %s: %w", name, err)
			}
			c.Floats[strings.TrimSuffix(strings.TrimPrefix(name, "float/"), ".npy")] = v
		default:
			return nil, fmt.Errorf("unknown entry %s", name)
		}
	}
	return c, nil
}

// writeVec writes a 1-D []byte or []float64 as .npy (format 1.0, C
// order). The header and the raw little-endian data are written directly:
// npyio discovers every element by reflection (1.4 s for the 4 MB of a
// 64-chain L = 256 checkpoint), and writes an empty slice with the shape
// of a scalar, (), which no reader can read back.
func writeVec(b *bytes.Buffer, v any) error {
	var descr string
	var n int
	switch x := v.(type) {
	case []byte:
		descr, n = "|u1", len(x)
	case []float64:
		descr, n = "<f8", len(x)
	default:
		return npyio.Write(b, v)
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", descr, n)
	pad := 64 - (10+len(h)+1)%64
	if pad == 64 {
		pad = 0
	}
	h += strings.Repeat(" ", pad) + "\n"
	b.WriteString("\x93NUMPY\x01\x00")
	b.WriteByte(byte(len(h)))
	b.WriteByte(byte(len(h) >> 8))
	b.WriteString(h)
	switch x := v.(type) {
	case []byte:
		b.Write(x)
	case []float64:
		buf := make([]byte, 8*len(x))
		for i, f := range x {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(f))
		}
		b.Write(buf)
	}
	return nil
}

// readVec reads a 1-D .npy entry of []byte or []float64 written by
// writeVec (the header is parsed by npyio, the data copied directly).
func readVec[T byte | float64](b []byte, v *[]T) error {
	r, err := npyio.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	d := r.Header.Descr
	typ := strings.Trim(d.Type, "'")
	n := 1
	for _, x := range d.Shape {
		n *= x
	}
	if len(d.Shape) != 1 || d.Fortran {
		return fmt.Errorf("want a 1-D array, got %v", d.Shape)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return errors.New("not an .npy entry")
	}
	off := 10 + int(binary.LittleEndian.Uint16(b[8:10]))
	if b[6] >= 2 {
		if len(b) < 12 {
			return errors.New("truncated .npy header")
		}
		off = 12 + int(binary.LittleEndian.Uint32(b[8:12]))
	}
	var zero T
	switch any(zero).(type) {
	case byte:
		if typ != "|u1" && typ != "<u1" && typ != "u1" {
			return fmt.Errorf("entry of type %s, want bytes", typ)
		}
		if len(b)-off != n {
			return fmt.Errorf("entry holds %d bytes, its header says %d", len(b)-off, n)
		}
		out := make([]byte, n)
		copy(out, b[off:])
		*v = any(out).([]T)
	case float64:
		if typ != "<f8" {
			return fmt.Errorf("entry of type %s, want little-endian float64", typ)
		}
		if len(b)-off != 8*n {
			return fmt.Errorf("entry holds %d bytes, its header says %d float64", len(b)-off, n)
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[off+8*i:]))
		}
		*v = any(out).([]T)
	}
	return nil
}

// PrevPath returns the path of the previous checkpoint kept beside path:
// OUT/ckpt/0003.npz -> OUT/ckpt/0003.prev.npz.
func PrevPath(path string) string {
	return strings.TrimSuffix(path, ".npz") + ".prev.npz"
}

// Write replaces the checkpoint at path atomically, keeping the old one as
// PrevPath(path). On any error the files already there are untouched or
// complete.
func Write(path string, c *Checkpoint) error {
	data, err := c.Encode()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("could not write checkpoint: %w", err)
	}
	crash.Point("ckpt-partial", func() { f.Write(data[:len(data)/2]) })
	if err := crash.Fault("ckpt-write"); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("could not write checkpoint %s (disk full?): %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("could not write checkpoint %s (disk full?): %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("could not sync checkpoint %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	crash.Point("ckpt-synced", nil)
	prev := PrevPath(path)
	if _, err := os.Stat(path); err == nil {
		os.Remove(prev)
		if err := os.Link(path, prev); err != nil {
			// No hard links (some network file systems): rename instead.
			if err := os.Rename(path, prev); err != nil {
				return fmt.Errorf("could not keep previous checkpoint: %w", err)
			}
		}
	}
	crash.Point("ckpt-linked", nil)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("could not install checkpoint: %w", err)
	}
	crash.Point("ckpt-renamed", nil)
	return npy.SyncDir(filepath.Dir(path))
}

// ErrNewerFormat: the checkpoint was written by a newer mcflow. It is
// never read, and Load does not fall back past it to an older one.
var ErrNewerFormat = errors.New("checkpoint written by a newer mcflow")

// ErrNone is returned by Load when no checkpoint exists.
var ErrNone = errors.New("ckpt: no checkpoint")

// Load reads and verifies the checkpoint at path, falling back to
// PrevPath(path). warn is non-empty when the fallback was used. With
// neither file present it returns ErrNone; with both bad, an error naming
// both problems.
func Load(path string) (c *Checkpoint, warn string, err error) {
	cur, errCur := loadFile(path)
	if errCur == nil {
		return cur, "", nil
	}
	if errors.Is(errCur, ErrNewerFormat) {
		return nil, "", fmt.Errorf("%s: %w", path, errCur)
	}
	prev, errPrev := loadFile(PrevPath(path))
	switch {
	case errors.Is(errCur, os.ErrNotExist) && errors.Is(errPrev, os.ErrNotExist):
		return nil, "", ErrNone
	case errPrev == nil:
		return prev, fmt.Sprintf("checkpoint %s is unusable (%v); resuming from the previous one, %s", path, errCur, PrevPath(path)), nil
	}
	return nil, "", fmt.Errorf("no usable checkpoint: %s: %v; %s: %v (move both away to start the task afresh)", path, errCur, PrevPath(path), errPrev)
}

func loadFile(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return c, nil
}
