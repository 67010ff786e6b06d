package multispin

import "golang.org/x/sys/cpu"

func kernels() ([nKernels]decideFunc, [nKernels]bool) {
	return [nKernels]decideFunc{Portable: decidePortable, AVX2: decideAVX2, AVX512: decideAVX512},
		[nKernels]bool{Portable: true, AVX2: cpu.X86.HasAVX2, AVX512: cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ}
}

// avx512Groups and avx2Groups (kernels_amd64.s) run Decide's loop over
// groups of Lanes sites: avx512Groups on all eight lanes in one register,
// avx2Groups on four lanes (called for lanes 0–3 and 4–7). stride is in
// bytes; tab is Levels.tab; state the first lane's first state word (the
// others at Lanes·8-byte steps).
//
//go:noescape
func avx512Groups(planes *uint64, stride, groups, ng int, tab, state *uint64)

//go:noescape
func avx2Groups(planes *uint64, stride, groups, ng int, tab, state *uint64)

func decideAVX512(lv *Levels, planes []uint64, stride, n int, st *Streams) {
	avx512Groups(&planes[0], 8*stride, n/Lanes, len(lv.thr), &lv.tab[0], &st.S[0][0])
}

func decideAVX2(lv *Levels, planes []uint64, stride, n int, st *Streams) {
	for j := 0; j < Lanes; j += 4 {
		avx2Groups(&planes[j], 8*stride, n/Lanes, len(lv.thr), &lv.tab[0], &st.S[0][j])
	}
}
