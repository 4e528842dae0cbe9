# fixtures_rank.R: the R half of the reference values for eval/ev_rank.c.
# Called by scripts/fixtures_rank.py (which writes the samples and merges the
# answers into tests/fixtures/rank_reference.json); not meant to be run alone:
#
#     Rscript scripts/fixtures_rank.R CASES_IN VALUES_OUT
#
# Needs Debian's r-base-core (R 4.2.2 here); base R only, no extra packages.
#
# Input, one block per case (doubles as C99 hex floats, so they cross
# between Python and R bit for bit):
#     case NAME two|paired LEVEL
#     x V V ...        (two-sample: x, then y)   |   d V V ...   (paired)
#     y V V ...
#     end
# Output: "NAME key value" lines, doubles again in hex (%a).
#
# For each case it records
#  * what R's own routines say: wilcox.test (statistic, p-values with the
#    default exact/normal rule, exact = TRUE, exact = FALSE; the Hodges-Lehmann
#    estimate and conf.int), t.test(var.equal = FALSE) for Welch;
#  * "bf_*": ev_rank's Hodges-Lehmann rule computed by brute force in R:
#    every pairwise difference / Walsh average sorted with sort(), k from
#    qwilcox / qsignrank (exact) or the nearest-integer normal rule, the
#    coverage from pwilcox / psignrank / pnorm. This is the reference where
#    ev_rank deliberately differs from wilcox.test (see ev_rank.h) and a
#    cross-check of the derivation everywhere else.
#
# wilcox.test's normal-approximation interval and estimate come from uniroot;
# tol.root = 1e-12 (default 1e-4) makes them exact to ~1e-12, so they can be
# compared with the C code at 1e-6 relative.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript fixtures_rank.R CASES_IN VALUES_OUT")
lines <- readLines(args[1])
out <- file(args[2], "w")

TOL_ROOT <- 1e-12
AUTO_EXACT_BELOW <- 50   # ev_rank.h EV_RANK_AUTO_EXACT_BELOW
EXACT_R_MAX <- 60        # largest sample R's pwilcox is asked about here

put <- function(name, key, value) {
  if (is.logical(value)) value <- if (value) "true" else "false"
  else if (is.numeric(value)) value <- sprintf("%a", as.double(value))
  writeLines(paste(name, key, value), out)
}

# sum(t^3 - t) over groups of equal values; rle on sorted values compares
# exactly (table() would format the numbers to 15 digits first).
tie_term <- function(v) { t <- rle(sort(v))$lengths; sum(t^3 - t) }
has_ties <- function(v) anyDuplicated(v) > 0

# k and its coverage for N ordered values: exact from the counting
# distribution's quantile function, or the normal nearest-integer rule.
k_exact <- function(alpha, qfun, pfun) {
  qu <- qfun(alpha / 2)
  if (qu == 0) qu <- 1
  list(k = qu, achieved = 1 - 2 * pfun(qu - 1))
}
k_normal <- function(alpha, N, sigma) {
  k <- max(1, floor(N / 2 - qnorm(alpha / 2, lower.tail = FALSE) * sigma + 0.5))
  list(k = k, achieved = 1 - 2 * pnorm((k - 0.5 - N / 2) / sigma))
}

put_bf <- function(name, D, exact, kk) {
  N <- length(D)
  put(name, "bf_n_pairs", N)
  put(name, "bf_exact", exact)
  put(name, "bf_k", kk$k)
  put(name, "bf_achieved", kk$achieved)
  put(name, "bf_estimate", median(D))
  put(name, "bf_lo", D[kk$k])
  put(name, "bf_hi", D[N + 1 - kk$k])
}

put_r_hl <- function(name, r) {
  put(name, "r_method", gsub(" ", "_", r$method))
  put(name, "r_exact", grepl("exact", r$method))
  put(name, "r_estimate", unname(r$estimate))
  put(name, "r_lo", r$conf.int[1])
  put(name, "r_hi", r$conf.int[2])
}

two_sample <- function(name, x, y, level) {
  m <- length(x); n <- length(y); alpha <- 1 - level
  # --- ev_rank's rule, brute force
  D <- sort(outer(y, x, "-"))
  exact <- m < AUTO_EXACT_BELOW && n < AUTO_EXACT_BELOW && !has_ties(x) && !has_ties(y)
  if (exact) {
    kk <- k_exact(alpha, function(p) qwilcox(p, n, m), function(q) pwilcox(q, n, m))
  } else {
    s <- m + n
    sigma <- sqrt(m * n / 12 * ((s + 1) - (tie_term(x) + tie_term(y)) / (s * (s - 1))))
    kk <- k_normal(alpha, m * n, sigma)
  }
  put_bf(name, D, exact, kk)
  # --- R's wilcox.test, default rule, with the interval
  r <- suppressWarnings(wilcox.test(y, x, conf.int = TRUE, conf.level = level,
                                    tol.root = TOL_ROOT))
  put_r_hl(name, r)
  put(name, "r_W", unname(r$statistic))
  put(name, "r_p_auto", r$p.value)
  put(name, "r_p_asymptotic",
      wilcox.test(y, x, exact = FALSE, correct = TRUE)$p.value)
  if (!has_ties(c(x, y)) && max(m, n) <= EXACT_R_MAX)
    put(name, "r_p_exact", wilcox.test(y, x, exact = TRUE)$p.value)
  # --- Welch
  if (m >= 2 && n >= 2 && (var(x) > 0 || var(y) > 0)) {
    w <- t.test(y, x, var.equal = FALSE)
    put(name, "r_welch_t", unname(w$statistic))
    put(name, "r_welch_df", unname(w$parameter))
    put(name, "r_welch_p", w$p.value)
  }
}

paired <- function(name, d, level) {
  n <- length(d); alpha <- 1 - level
  # --- ev_rank's rule, brute force: every d, zeros included
  W <- outer(d, d, "+")
  A <- sort(W[!lower.tri(W)]) / 2
  exact <- n < AUTO_EXACT_BELOW && !has_ties(d)
  if (exact) {
    kk <- k_exact(alpha, function(p) qsignrank(p, n), function(q) psignrank(q, n))
  } else {
    sigma <- sqrt(n * (n + 1) * (2 * n + 1) / 24 - tie_term(d) / 48)
    kk <- k_normal(alpha, n * (n + 1) / 2, sigma)
  }
  put_bf(name, A, exact, kk)
  # --- R's wilcox.test
  r <- suppressWarnings(wilcox.test(d, conf.int = TRUE, conf.level = level,
                                    tol.root = TOL_ROOT))
  put_r_hl(name, r)
  put(name, "r_V", unname(r$statistic))
  put(name, "r_p_auto", r$p.value)
  put(name, "r_p_asymptotic", wilcox.test(d, exact = FALSE, correct = TRUE)$p.value)
  nz <- d[d != 0]
  if (length(nz) == n && !has_ties(abs(nz)) && n <= EXACT_R_MAX)
    put(name, "r_p_exact", wilcox.test(d, exact = TRUE)$p.value)
}

nums <- function(line, tag) {
  f <- strsplit(line, " ", fixed = TRUE)[[1]]
  if (f[1] != tag) stop("expected '", tag, "' line, got: ", substr(line, 1, 40))
  as.numeric(f[-1])
}

i <- 1
while (i <= length(lines)) {
  h <- strsplit(lines[i], " ", fixed = TRUE)[[1]]
  if (h[1] != "case") stop("expected 'case' at line ", i)
  name <- h[2]; kind <- h[3]; level <- as.numeric(h[4])
  if (kind == "two") {
    two_sample(name, nums(lines[i + 1], "x"), nums(lines[i + 2], "y"), level)
    i <- i + 4
  } else {
    paired(name, nums(lines[i + 1], "d"), level)
    i <- i + 3
  }
}
writeLines(paste("R_version", "-", gsub(" ", "_", R.version.string)), out)
close(out)
