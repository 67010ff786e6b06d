/*
 * ising_ref.c: mcflow's C reference for the 2D Ising Metropolis sweep.
 *
 * The peer a physicist would write in C for speed: one L x L lattice of
 * int8 spins, checkerboard order (all even sites, then all odd ones),
 * neighbour offsets precomputed per row and column, the acceptance
 * probabilities exp(-beta dE) tabulated as 64-bit integer thresholds, and
 * xoshiro256+ (Blackman and Vigna) drawing one 64-bit number per attempted
 * flip. mcflow's `make bench` divides its own flips/ns by this program's,
 * measured in the same run (scripts/bench.sh).
 *
 *   usage: ising_ref L beta sweeps [seed]
 *   prints: flips_per_ns <rate of the timed sweeps> e_per_site <mean E/N>
 *   build:  gcc -O3 -march=native -o build/ising_ref bench/ising_ref.c
 *
 * The first fifth of the sweeps is thermalisation; E/N is measured after
 * every later sweep, outside the timed region (at beta_c = 0.4406868 and
 * L = 256 it is close to the infinite-lattice -sqrt(2) = -1.4142).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>

typedef struct { uint64_t s[4]; } rng_t;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rng_next(rng_t *r) { /* xoshiro256+ */
  uint64_t *s = r->s;
  const uint64_t out = s[0] + s[3], t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return out;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return 1e9 * (double)t.tv_sec + (double)t.tv_nsec;
}

/* one checkerboard sweep; thr[k] accepts the flip of a spin s with
 * neighbour sum h (s*h = 2k - 4) when a uniform 64-bit number is <= it */
static void sweep(int8_t *sp, int L, const int *up, const int *down, const int *left, const int *right,
                  const uint64_t thr[5], rng_t *r) {
  for (int parity = 0; parity < 2; parity++) {
    for (int y = 0; y < L; y++) {
      const int8_t *above = sp + up[y] * L, *below = sp + down[y] * L;
      int8_t *row = sp + y * L;
      for (int x = (y + parity) & 1; x < L; x += 2) {
        int s = row[x];
        int h = above[x] + below[x] + row[left[x]] + row[right[x]];
        if (rng_next(r) <= thr[(s * h + 4) >> 1]) row[x] = (int8_t)-s;
      }
    }
  }
}

static double energy_per_site(const int8_t *sp, int L, const int *down, const int *right) {
  long e = 0;
  for (int y = 0; y < L; y++)
    for (int x = 0; x < L; x++) e -= sp[y * L + x] * (sp[y * L + right[x]] + sp[down[y] * L + x]);
  return (double)e / ((double)L * L);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s L beta sweeps [seed]\n", argv[0]);
    return 2;
  }
  const int L = atoi(argv[1]);
  const double beta = atof(argv[2]);
  const long sweeps = atol(argv[3]);
  const uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  if (L < 2 || L % 2 != 0 || sweeps < 1 || !(beta >= 0)) {
    fprintf(stderr, "ising_ref: want an even L >= 2, beta >= 0 and sweeps >= 1\n");
    return 2;
  }
  int8_t *sp = malloc((size_t)L * L);
  int *nb = malloc(4 * sizeof(int) * (size_t)L);
  if (!sp || !nb) return 1;
  int *up = nb, *down = nb + L, *left = nb + 2 * L, *right = nb + 3 * L;
  for (int i = 0; i < L; i++) {
    up[i] = left[i] = (i + L - 1) % L;
    down[i] = right[i] = (i + 1) % L;
  }
  rng_t r;
  rng_seed(&r, seed);
  for (long i = 0; i < (long)L * L; i++) sp[i] = (rng_next(&r) >> 63) ? 1 : -1;
  uint64_t thr[5];
  for (int k = 0; k < 5; k++) {
    double p = exp(-2.0 * beta * (2 * k - 4)); /* dE = 2 s h */
    thr[k] = p >= 1 ? UINT64_MAX : (uint64_t)(p * 18446744073709551615.0);
  }
  double timed = 0, esum = 0;
  long nmeas = 0;
  for (long n = 0; n < sweeps; n++) {
    double t0 = now_ns();
    sweep(sp, L, up, down, left, right, thr, &r);
    timed += now_ns() - t0;
    if (n >= sweeps / 5) {
      esum += energy_per_site(sp, L, down, right);
      nmeas++;
    }
  }
  printf("flips_per_ns %.4f e_per_site %.6f\n", (double)sweeps * L * L / timed, nmeas ? esum / nmeas : NAN);
  free(sp);
  free(nb);
  return 0;
}
