/* smp_shuffle: the random order of a round's runs (Abedi & Brecht 2017:
 * randomized interleaving spreads the machine's drift over both arms). */
#ifndef SMP_SHUFFLE_H
#define SMP_SHUFFLE_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

/* Fills order[0..n) with a uniformly random permutation of 0..n-1 (Fisher-
 * Yates via gsl_ran_shuffle), drawn from rng. Can't fail. */
void smp_shuffle(size_t *order, size_t n, gsl_rng *rng);

#endif
