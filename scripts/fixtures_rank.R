# fixtures_rank.R: the R half of the reference values for eval/ev_rank.c.
# Called by scripts/fixtures_rank.py (which writes the samples and merges the
# answers into tests/fixtures/rank_reference.json); not meant to be run alone:
#
#     Rscript scripts/fixtures_rank.R CASES_IN VALUES_OUT
#
# Needs Debian's r-base-core (R 4.2.2 here); base R only, no extra packages.
#
# Input, one block per two-sample case (doubles as C99 hex floats, so they
# cross between Python and R bit for bit):
#     case NAME
#     x V V ...
#     y V V ...
#     end
# Output: "NAME key value" lines, doubles again in hex (%a).
#
# For each case it records what R's own routines say: wilcox.test (statistic,
# whether the default rule chose the exact test, p-values with that rule,
# exact = TRUE, exact = FALSE), t.test(var.equal = FALSE) for Welch.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript fixtures_rank.R CASES_IN VALUES_OUT")
lines <- readLines(args[1])
out <- file(args[2], "w")

EXACT_R_MAX <- 60        # largest sample R's pwilcox is asked about here

put <- function(name, key, value) {
  if (is.logical(value)) value <- if (value) "true" else "false"
  else if (is.numeric(value)) value <- sprintf("%a", as.double(value))
  writeLines(paste(name, key, value), out)
}

has_ties <- function(v) anyDuplicated(v) > 0

two_sample <- function(name, x, y) {
  m <- length(x); n <- length(y)
  # --- R's wilcox.test, default rule
  r <- suppressWarnings(wilcox.test(y, x))
  put(name, "r_exact", grepl("exact", r$method))
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

nums <- function(line, tag) {
  f <- strsplit(line, " ", fixed = TRUE)[[1]]
  if (f[1] != tag) stop("expected '", tag, "' line, got: ", substr(line, 1, 40))
  as.numeric(f[-1])
}

i <- 1
while (i <= length(lines)) {
  h <- strsplit(lines[i], " ", fixed = TRUE)[[1]]
  if (h[1] != "case") stop("expected 'case' at line ", i)
  two_sample(h[2], nums(lines[i + 1], "x"), nums(lines[i + 2], "y"))
  i <- i + 4
}
writeLines(paste("R_version", "-", gsub(" ", "_", R.version.string)), out)
close(out)
