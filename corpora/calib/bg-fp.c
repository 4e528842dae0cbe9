/* bg-fp: double-precision floating point.
 *
 * Stresses the FP units: the five-body Jovian planet simulation of the
 * Computer Language Benchmarks Game ("n-body", symplectic Euler steps), whose
 * inner step is adds, multiplies, one square root and one division per pair
 * of bodies. The data is 5 bodies, so it lives in L1; the run time is FP
 * latency and throughput. It is the benchgate workload for changes that
 * touch numeric code, and the one most sensitive to compiler flags
 * (vectorisation, -ffast-math), which is why the Makefile builds it plain.
 *
 * One unit is one time step (dt = 0.01) of all 10 pairs; the instruction
 * count per unit is constant, which is what makes -x exactly faithful. The
 * checksum is the bit pattern of the final energy, so it is reproducible on
 * one machine and compiler but may differ in its last bits elsewhere. */
#include "common.h"

#include <math.h>
#include <string.h>

#define FP_NBODIES 5
#define FP_PI 3.141592653589793
#define FP_SOLAR_MASS (4 * FP_PI * FP_PI)
#define FP_DAYS_PER_YEAR 365.24

typedef struct fp_body {
	double x, y, z, vx, vy, vz, mass;
} fp_body;

static const fp_body fp_initial[FP_NBODIES] = {
	{ 0, 0, 0, 0, 0, 0, FP_SOLAR_MASS },  /* sun */
	{ 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
	  1.66007664274403694e-03 * FP_DAYS_PER_YEAR, 7.69901118419740425e-03 * FP_DAYS_PER_YEAR,
	  -6.90460016972063023e-05 * FP_DAYS_PER_YEAR, 9.54791938424326609e-04 * FP_SOLAR_MASS },
	{ 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
	  -2.76742510726862411e-03 * FP_DAYS_PER_YEAR, 4.99852801234917238e-03 * FP_DAYS_PER_YEAR,
	  2.30417297573763929e-05 * FP_DAYS_PER_YEAR, 2.85885980666130812e-04 * FP_SOLAR_MASS },
	{ 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
	  2.96460137564761618e-03 * FP_DAYS_PER_YEAR, 2.37847173959480950e-03 * FP_DAYS_PER_YEAR,
	  -2.96589568540237556e-05 * FP_DAYS_PER_YEAR, 4.36624404335156298e-05 * FP_SOLAR_MASS },
	{ 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
	  2.68067772490389322e-03 * FP_DAYS_PER_YEAR, 1.62824170038242295e-03 * FP_DAYS_PER_YEAR,
	  -9.51592254519715870e-05 * FP_DAYS_PER_YEAR, 5.15138902046611451e-05 * FP_SOLAR_MASS },
};

/* Gives the system zero total momentum by adjusting the sun's velocity. */
static void fp_momentum_offset(fp_body *b)
{
	double px = 0, py = 0, pz = 0;

	for (int i = 0; i < FP_NBODIES; i++) {
		px += b[i].vx * b[i].mass;
		py += b[i].vy * b[i].mass;
		pz += b[i].vz * b[i].mass;
	}
	b[0].vx = -px / FP_SOLAR_MASS;
	b[0].vy = -py / FP_SOLAR_MASS;
	b[0].vz = -pz / FP_SOLAR_MASS;
}

static double fp_energy(const fp_body *b)
{
	double e = 0;

	for (int i = 0; i < FP_NBODIES; i++) {
		e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
		for (int j = i + 1; j < FP_NBODIES; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
		}
	}
	return e;
}

static void fp_advance(fp_body *b, double dt)
{
	for (int i = 0; i < FP_NBODIES; i++) {
		for (int j = i + 1; j < FP_NBODIES; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			double d2 = dx * dx + dy * dy + dz * dz;
			double mag = dt / (d2 * sqrt(d2));

			b[i].vx -= dx * b[j].mass * mag;
			b[i].vy -= dy * b[j].mass * mag;
			b[i].vz -= dz * b[j].mass * mag;
			b[j].vx += dx * b[i].mass * mag;
			b[j].vy += dy * b[i].mass * mag;
			b[j].vz += dz * b[i].mass * mag;
		}
	}
	for (int i = 0; i < FP_NBODIES; i++) {
		b[i].x += dt * b[i].vx;
		b[i].y += dt * b[i].vy;
		b[i].z += dt * b[i].vz;
	}
}

static int fp_run(cal_ctx *ctx, uint64_t units, uint64_t *out_checksum)
{
	fp_body b[FP_NBODIES];
	double e;

	(void)ctx;  /* this workload cannot fail */
	memcpy(b, fp_initial, sizeof(b));
	fp_momentum_offset(b);
	for (uint64_t i = 0; i < units; i++)
		fp_advance(b, 0.01);
	e = fp_energy(b);
	memcpy(out_checksum, &e, sizeof(*out_checksum));
	return 0;
}

int main(int argc, char **argv)
{
	static const cal_workload w = {
		.name = "bg-fp",
		.stresses = "double-precision floating point (5-body simulation)",
		.unit = "one time step of the 5-body system",
		.base_units = 180000,
		.run = fp_run,
	};
	return cal_main(&w, argc, argv);
}
