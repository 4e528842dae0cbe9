// fixtures_metric.mjs: writes tests/fixtures/metric_pi_reference.json, what
// pi-autoresearch's METRIC parser makes of each test line; tests/test_metric.c
// checks that benchgate reads every line the same way.
//
// Run it once by hand with Debian's node (apt-get install nodejs), from the
// repository root:
//
//     node scripts/fixtures_metric.mjs
//
// `make test` does not need node: the JSON is committed.
//
// The reference is the specification pi-autoresearch's source states
// (extensions/pi-autoresearch/index.ts, parseMetricLines, v1.6.2): lines
// matching /^METRIC\s+([\w.µ]+)=(\S+)\s*$/ in multiline mode over the
// command's output, the value through JavaScript's Number() and kept only
// when finite, names __proto__, constructor and prototype skipped, a later
// line of a name replacing an earlier one. It is evaluated here by
// JavaScript itself, so Number()'s grammar is the engine's, not ours.
import { writeFileSync } from "node:fs";

const denied = new Set(["__proto__", "constructor", "prototype"]);

function piParse(output) {
	const found = new Map();
	const re = /^METRIC\s+([\w.µ]+)=(\S+)\s*$/gm;
	let m;
	while ((m = re.exec(output)) !== null) {
		if (denied.has(m[1]))
			continue;
		const v = Number(m[2]);
		if (Number.isFinite(v))
			found.set(m[1], v);
	}
	return found;
}

const lines = [
	"METRIC total_ms=15.5",
	"  METRIC leading=1",          // leading blanks: not a METRIC line
	"\tMETRIC tab_first=1",
	"METRIC\ttab=2",
	"METRIC   many_blanks=3",
	"METRIC total_µs=15200",       // MICRO SIGN
	"METRIC total_\u03bcs=15200",  // GREEK SMALL LETTER MU
	"METRIC hex=0x1F",
	"METRIC bin=0b101",
	"METRIC oct=0o17",
	"METRIC neghex=-0x10",
	"METRIC tiny=1e-400",
	"METRIC huge=1e400",
	"METRIC inf=Infinity",
	"METRIC nan=NaN",
	"METRIC plus=+5",
	"METRIC dot=.5",
	"METRIC trail=5.",
	"METRIC exp=2E+3",
	"METRIC zeros=00012",
	"METRIC under=1_000",
	"METRIC a" + "n".repeat(70) + "=4",  // a name over 63 bytes
	"METRIC __proto__=1",
	"METRIC constructor=2",
	"METRIC prototype=3",
	"METRIC spaced = 5",
	"METRIC two=1 2",
	"METRIC trailing_blanks=7   ",
	"METRIC crlf=8\r",
	"METRIC eq=1=2",
	"METRICS plural=1",
	"METRIC_x=1",
	"metric lower=1",
	"METRIC dash-name=1",
	"METRIC dotted.name_2=9.25",
	"METRIC hexfloat=0x1p3",
	"METRIC comma=1,5",
	"METRIC empty=",
	"METRIC neg=-2.5e-3",
];

const cases = lines.map((line) => {
	const got = piParse(line + "\n");
	const entries = [...got.entries()];
	return entries.length === 0
		? { line, parsed: false }
		: { line, parsed: true, name: entries[0][0], value: entries[0][1] };
});
writeFileSync("tests/fixtures/metric_pi_reference.json",
	JSON.stringify({ generator: "scripts/fixtures_metric.mjs", node: process.version, cases }, null, 1) + "\n");
console.log(`${cases.length} cases, ${cases.filter((c) => c.parsed).length} parsed`);
