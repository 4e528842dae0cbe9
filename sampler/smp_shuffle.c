/* smp_shuffle: a uniformly random permutation (see smp_shuffle.h). */
#include "smp_shuffle.h"

#include <gsl/gsl_randist.h>

void smp_shuffle(size_t *order, size_t n, gsl_rng *rng)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (n > 1)
		gsl_ran_shuffle(rng, order, n, sizeof(*order));
}
