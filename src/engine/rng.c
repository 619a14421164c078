/* SPDX-License-Identifier: MIT
 *
 * rng.c: explicit random streams.  xoshiro256** seeded through splitmix64, and a stateless
 * 64-bit hash for counter-based streams (a dropout mask is a pure function of seed, step, node
 * and element, so it does not depend on how threads split the work).
 */
#include "engine-private.h"

#include <math.h>

uint64_t
dls_hash64 (uint64_t x)
{
  /* splitmix64's finaliser */
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void
dls_rng_init (DlsRng *rng, uint64_t seed)
{
  uint64_t x = seed;

  for (int i = 0; i < 4; i++)
    {
      x += 0x9e3779b97f4a7c15ull;
      rng->s[i] = dls_hash64 (x);
    }
}

static inline uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

uint64_t
dls_rng_next (DlsRng *rng)
{
  uint64_t *s = rng->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
dls_rng_uniform (DlsRng *rng)
{
  return (dls_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
dls_rng_normal (DlsRng *rng)
{
  /* Box–Muller; one value per call keeps the stream simple to reproduce. */
  double u1 = 1.0 - dls_rng_uniform (rng);
  double u2 = dls_rng_uniform (rng);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

uint32_t
dls_rng_below (DlsRng *rng, uint32_t n)
{
  /* Lemire's multiply-shift with rejection: unbiased. */
  uint64_t m = (uint64_t) (uint32_t) (dls_rng_next (rng) >> 32) * n;
  uint32_t l = (uint32_t) m;

  if (n == 0)
    return 0;
  if (l < n)
    {
      uint32_t t = -n % n;
      while (l < t)
        {
          m = (uint64_t) (uint32_t) (dls_rng_next (rng) >> 32) * n;
          l = (uint32_t) m;
        }
    }
  return m >> 32;
}
