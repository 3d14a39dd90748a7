#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Write bpftape(1) to standard output: the written sections of TEMPLATE
# around a COMMANDS section made from the binary's own help, one
# subsection per verb that `bpftape --help` lists (its synopsis,
# description, options and examples).  The help is the one description of
# the options that is kept up to date; turning it into the page at build
# time keeps the page from drifting from it.
#
#   dist/gen-man.sh BPFTAPE TEMPLATE > bpftape.1
#
# TEMPLATE is roff with @VERSION@, @DATE@ and a line @COMMANDS@.
set -eu -o pipefail
bin=$1
template=$2

version=$("$bin" --version | awk '{ print $2; exit }')
# the page's date is the last change of what it is made from, so that a
# rebuild writes the same bytes
date=$(git log -1 --format=%cs -- "$template" replay query record 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u -r "$template" +%Y-%m-%d)
verbs=$("$bin" --help | sed -n '/^Verbs:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}')
if [ -z "$verbs" ]; then
	echo "gen-man.sh: '$bin --help' lists no verbs" >&2
	exit 1
fi

# One verb's --help in roff.  The help's layout is regular: "Usage:" and
# its continuation lines, paragraphs at column 0, headings ending in ':',
# option lines "  -x, --long ARG   what" whose description continues
# further right, and an "Examples:" block.
help_to_roff() {
	awk -v verb="$1" '
	function esc(s) {
		gsub(/\\/, "\\e", s)
		gsub(/-/, "\\-", s)
		return s
	}
	# a line of text: never starts with a control character
	function text(s) {
		s = esc(s)
		if (s ~ /^[.'\'']/)
			s = "\\&" s
		print s
	}
	# "-o, --output FILE": options bold, metavariables italic
	function term(s,    n, i, w, out, sep) {
		n = split(s, w, / /)
		out = ""
		for (i = 1; i <= n; i++) {
			if (w[i] ~ /^-/)
				w[i] = "\\fB" esc(w[i]) "\\fR"
			else if (w[i] ~ /^[A-Z[]/)
				w[i] = "\\fI" esc(w[i]) "\\fR"
			else
				w[i] = esc(w[i])
			out = out (i > 1 ? " " : "") w[i]
		}
		return out
	}
	BEGIN { mode = "usage"; desc_col = 0 }
	mode == "usage" {
		if ($0 == "") {
			print ".fi"
			mode = "text"
			pp = 1
			next
		}
		if ($0 ~ /^Usage: /) {
			sub(/^Usage: /, "")
			print ".nf"
		} else {
			sub(/^       /, "")
		}
		text($0)
		next
	}
	mode == "examples" && /^  / {
		sub(/^  /, "")
		text($0)
		next
	}
	mode == "examples" {
		print ".fi"
		print ".RE"
		mode = "text"
	}
	# a blank line ends a paragraph or a list: the next text starts a new one
	$0 == "" {
		mode = "text"
		pp = 1
		next
	}
	/^Examples:$/ {
		pp = 0
		print ".PP"
		print "\\fBExamples:\\fR"
		print ".RS 4"
		print ".nf"
		mode = "examples"
		next
	}
	/^[A-Z][^ ].*:$/ {
		pp = 0
		print ".PP"
		print "\\fB" esc($0) "\\fR"
		next
	}
	# an option: a term, then two or more spaces, then what it does
	/^ +-/ {
		line = $0
		match(line, /^ +/)
		ind = RLENGTH
		rest = substr(line, ind + 1)
		if (match(rest, /  +/)) {
			t = substr(rest, 1, RSTART - 1)
			d = substr(rest, RSTART + RLENGTH)
			desc_col = ind + RSTART + RLENGTH - 1
		} else {
			t = rest
			d = ""
			desc_col = 0
		}
		deep = 0
		pp = 0
		print ".TP"
		print term(t)
		if (d != "")
			text(d)
		mode = "option"
		next
	}
	mode == "option" && /^ +[^ ]/ {
		# deeper lines are a table inside the description: one a line
		# (a row whose text wraps goes on further right)
		match($0, /^ +/)
		if (desc_col == 0)
			desc_col = RLENGTH
		else if (RLENGTH > desc_col && (!deep || RLENGTH <= deep))
			print ".br"
		else if (RLENGTH <= desc_col && deep)
			print ".br"
		if (RLENGTH <= desc_col)
			deep = 0
		else if (!deep)
			deep = RLENGTH
		sub(/^ +/, "")
		text($0)
		next
	}
	{
		if (pp)
			print ".PP"
		pp = 0
		sub(/^ +/, "")
		text($0)
	}
	END {
		if (mode == "examples") {
			print ".fi"
			print ".RE"
		}
	}'
}

commands() {
	local v

	for v in $verbs; do
		printf '.SS "%s"\n' "$v"
		"$bin" "$v" --help | help_to_roff "$v"
	done
}

while IFS= read -r line; do
	case $line in
	@COMMANDS@) commands ;;
	*)
		line=${line//@VERSION@/$version}
		printf '%s\n' "${line//@DATE@/$date}"
		;;
	esac
done <"$template"
