#!/bin/sh
# gen_inputs.sh OUTDIR_TRAIN OUTDIR_HOLDOUT [SCALE]: writes the demo's inputs
# (SCALE, default 1, multiplies every size: the tests use small inputs).
#   OUTDIR_TRAIN/corpus/small.txt  ~0.3 MB  training, Zipf (s=1.0) over 30000 words, short lines
#   OUTDIR_TRAIN/corpus/large.txt  ~1 MB    training, same vocabulary and lines
#   OUTDIR_HOLDOUT/mixed.txt       ~0.6 MB  held out: another vocabulary size and
#                                           exponent (60000 words, s=0.8), capitals,
#                                           apostrophes and punctuation, very long lines
# Deterministic: the random numbers come from a Park-Miller generator written
# in awk (exact in double arithmetic), so mawk, gawk and busybox awk all
# produce the same bytes -- srand()/rand() differ between awks.
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: gen_inputs.sh OUTDIR_TRAIN OUTDIR_HOLDOUT [SCALE]" >&2
	exit 2
fi
train=$1; holdout=$2; scale=${3:-1}
mkdir -p "$train/corpus" "$holdout"

# gen SEED VOCAB EXPONENT BYTES MINWORDS MAXWORDS FANCY
gen() {
	awk -v seed="$1" -v V="$2" -v s="$3" -v bytes="$(awk -v b="$4" -v k="$scale" 'BEGIN { printf "%d", b * k }')" -v minw="$5" -v maxw="$6" -v fancy="$7" '
	function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
	function word(i,   w, d) {	# bijective base-24 over syllables: distinct words
		w = ""; i = i + 1
		while (i > 0) { d = (i - 1) % 24; w = w syl[d + 1]; i = int((i - 1) / 24) }
		return w
	}
	BEGIN {
		n = split("ka re to mi sa lu ne po di fa ri go the an or en be ly in ta se ho wu ch", syl, " ")
		tot = 0
		for (r = 1; r <= V; r++) { tot += 1 / (r ^ s); cum[r] = tot }
		out = 0
		while (out < bytes) {
			nw = minw + int(rnd() * (maxw - minw + 1)); line = ""
			for (k = 0; k < nw; k++) {
				u = rnd() * tot; lo = 1; hi = V
				while (lo < hi) { mid = int((lo + hi) / 2); if (cum[mid] < u) lo = mid + 1; else hi = mid }
				w = word(lo - 1)
				if (fancy) {
					x = rnd()
					if (x < 0.05) w = toupper(substr(w, 1, 1)) substr(w, 2)
					else if (x < 0.07) w = w "'"'"'s"
					else if (x < 0.10) w = w ","
					else if (x < 0.11) w = "\"" w "\""
				} else if (k == 0) w = toupper(substr(w, 1, 1)) substr(w, 2)
				else if (rnd() < 0.01) w = w "'"'"'t"
				line = line (k ? " " : "") w
			}
			line = line "."
			print line; out += length(line) + 1
		}
	}'
}
gen 42 30000 1.0 300000 6 14 0 > "$train/corpus/small.txt"
gen 4242 30000 1.0 1000000 6 14 0 > "$train/corpus/large.txt"
gen 777 60000 0.8 600000 300 3000 1 > "$holdout/mixed.txt"
