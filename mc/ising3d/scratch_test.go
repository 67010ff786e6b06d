package ising3d

import (
	"testing"

	"github.com/mcflow/mcflow/kind/kindtest"
	"github.com/mcflow/mcflow/mc"
	"github.com/mcflow/mcflow/mc/ising"
)

func TestScratchBinder(t *testing.T) {
	const betaC = 0.221654626
	L := 16
	p := Params{L: L, Beta: betaC, J: 1}
	for _, seed := range []uint64{1, 2} {
		obs := kindtest.Sample(t, func(r *mc.PCG) mc.Chain { c, _ := NewWolff(p, true, r); return c }, append(names, "cluster"), kindtest.Options{Chains: 8, Thermalize: 2000, Draws: 20000, MeasureEvery: 10, Seed: seed})
		u4 := ising.DerivedSites(L*L*L, betaC, obs)["U4"]
		t.Logf("wolff L = %d: U4 = %.4f ± %.4f (blocks %d)", L, u4.Value, u4.Stderr, u4.Blocks)
	}
	obs := replicas(kindtest.Sample(t, func(r *mc.PCG) mc.Chain { return NewMultispin(p, true, r) }, multispinNames(), kindtest.Options{Chains: 2, Thermalize: 2000, Draws: 10000, MeasureEvery: 2, Seed: 3}))
	u4 := ising.DerivedSites(L*L*L, betaC, obs)["U4"]
	t.Logf("multispin L = %d: U4 = %.4f ± %.4f", L, u4.Value, u4.Stderr)
}
