package runner

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mcflow/mcflow/io/ckpt"
	"github.com/mcflow/mcflow/job"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
)

// BenchmarkCheckpoint writes the checkpoint of a task of 64 chains of
// L = 256 (as a run does: marshal every chain, encode, write with fsync
// and rename), for the plain engine (64 chains) and the multispin engine
// (one unit of 64 replicas). Reports ms per checkpoint and its size.
func BenchmarkCheckpoint(b *testing.B) {
	p := ising.Params{L: 256, Beta: 0.4406868, J: 1}
	for _, engine := range []string{"plain", "multispin"} {
		b.Run(engine, func(b *testing.B) {
			var chains []mc.Chain
			if engine == "plain" {
				for c := range 64 {
					chains = append(chains, ising.NewMetropolis(p, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(c))))
				}
			} else {
				chains = append(chains, ising.NewMultispin(p, true, mc.NewStream(1, "", mc.Moves, uint64(0), uint64(0))))
			}
			path := filepath.Join(b.TempDir(), "0000.npz")
			var size int
			for b.Loop() {
				c := &ckpt.Checkpoint{Manifest: ckpt.Manifest{Version: job.Version, Task: 0, Chains: len(chains)}, Blobs: map[string][]byte{}}
				size = 0
				for i, ch := range chains {
					blob, err := ch.MarshalBinary()
					if err != nil {
						b.Fatal(err)
					}
					c.Blobs[fmt.Sprintf("chain/%04d", i)] = blob
					size += len(blob)
				}
				if err := ckpt.Write(path, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/checkpoint")
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
