# SPDX-License-Identifier: MIT
# bash completion for bpftape: verbs, each verb's options, their values
# (event names, formats, files) and tape files.
#
# Verbs, options and values are read from the bpftape being completed
# (`bpftape --help`, `bpftape VERB --help`, `bpftape list-events`), so the
# completion knows what that binary knows.  It needs bash only, not the
# bash-completion package's helpers.

# The verbs `bpftape --help` lists.
_bpftape_verbs()
{
	"$1" --help 2>/dev/null | sed -n '/^Verbs:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}'
}

# Every option of verb $2 ("--pace[=SPEED]" as --pace).
_bpftape_options()
{
	"$1" "$2" --help 2>/dev/null |
		sed -n 's/^ \{1,8\}\(-[-a-zA-Z].*\)/\1/p' |
		sed 's/  .*//; s/\[=[^]]*\]//g' | tr ', ' '\n' | grep -E '^--?[a-zA-Z]' | sort -u
}

# What option $3 of verb $2 takes: its metavariable ("FILE", "LIST", ...),
# or the alternatives its usage spells ("table csv json"), or nothing when
# it takes no value.
_bpftape_optarg()
{
	local help terms name alts

	help=$("$1" "$2" --help 2>/dev/null) || return
	# "  -f, --format FMT   what": the option's names and metavariable
	terms=$(sed -n 's/^ \{1,8\}\(-[^ ].*\)/\1/p' <<<"$help" | sed 's/  .*//; s/, *-/\t-/g' |
		awk -v o="$3" -F'\t' '{
			for (i = 1; i <= NF; i++) {
				split($i, w, " ")
				if (w[1] == o) {
					for (j = 1; j <= NF; j++) {
						split($j, v, " ")
						printf "%s ", v[1]
					}
					split($NF, v, " ")
					print v[2]
					exit
				}
			}
		}')
	[ -n "$terms" ] || return
	for name in ${terms% *}; do
		alts=$(sed -n '/^Usage:/,/^$/p' <<<"$help" |
			grep -oE -- "(^|[[ ])$name [a-z]+(\|[a-z]+)+" | head -1)
		if [ -n "$alts" ]; then
			alts=${alts#*"$name "}
			echo "${alts//|/ }"
			return
		fi
	done
	# the metavariable, when the option takes a value
	[[ ${terms##* } == [A-Z]* ]] && echo "${terms##* }"
}

# Event names and groups `record -e` and `--type` accept, and the generic
# probe prefixes; under "tracepoint:" the kernel's tracepoints.
_bpftape_events()
{
	local cur=$2

	case $cur in
	tracepoint:*)
		"$1" list-events 'tracepoint:*' 2>/dev/null | sed -n 's/^  \(tracepoint:[^ ]*\).*/\1/p'
		return
		;;
	esac
	"$1" list-events 2>/dev/null | sed -n '/^Built-in/,/^$/{s/^  \([a-z]*\) *\([a-z_]*\) .*/\1\n\2/p}' | sort -u
	echo all lost tracepoint: uprobe: uretprobe: usdt: kprobe: kretprobe:
}

_bpftape()
{
	local bin line cur prev verb i arg values item pre
	local -a words

	COMPREPLY=()
	# Words from the line itself: COMP_WORDS splits at ':' and '=', which
	# event names (tracepoint:sched:sched_switch) and --pace=2 contain.
	line=${COMP_LINE:0:COMP_POINT}
	read -r -a words <<<"$line"
	if [[ $line == *[[:space:]] ]] || [ ${#words[@]} -eq 0 ]; then
		words+=("")
	fi
	cur=${words[${#words[@]} - 1]}
	prev=""
	[ ${#words[@]} -ge 2 ] && prev=${words[${#words[@]} - 2]}
	bin=${words[0]}
	bin=${bin/#\~/$HOME}
	command -v "$bin" >/dev/null 2>&1 || bin=bpftape

	verb=""
	for ((i = 1; i < ${#words[@]} - 1; i++)); do
		case ${words[i]} in
		-*) ;;
		*)
			verb=${words[i]}
			break
			;;
		esac
	done

	if [ -z "$verb" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_bpftape_verbs "$bin") help" -- "$cur")
		fi
		return
	fi
	if [ "$verb" = help ]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_bpftape_verbs "$bin")" -- "$cur")
		return
	fi

	# after record's "--": a command, then its own arguments
	for ((i = 2; i < ${#words[@]} - 1; i++)); do
		if [ "${words[i]}" = -- ]; then
			if [ $i -eq $((${#words[@]} - 2)) ]; then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur")
			else
				compopt -o default 2>/dev/null
			fi
			return
		fi
	done

	arg=""
	[[ $prev == -* ]] && arg=$(_bpftape_optarg "$bin" "$verb" "$prev")
	case $arg in
	"") ;;
	FILE | OUT | OUT.* | PATH)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	LIST | EVENTS | "T[,T]")
		# a comma-separated list: complete its last item
		item=${cur##*,}
		pre=${cur%"$item"}
		values=$(_bpftape_events "$bin" "$item")
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$values" -- "$item")
		# "tracepoint:" goes on with the subsystem, not a space
		[[ ${COMPREPLY[0]-} == *: ]] && compopt -o nospace 2>/dev/null
		;;
	USER)
		mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		return
		;;
	*[a-z]*)
		mapfile -t COMPREPLY < <(compgen -W "$arg" -- "$cur")
		return
		;;
	*)
		return # a number, a size, an expression: nothing to offer
		;;
	esac

	if [ -z "$arg" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_bpftape_options "$bin" "$verb")" -- "$cur")
			return
		fi
		if [ "$verb" = list-events ]; then
			mapfile -t COMPREPLY < <(_bpftape_events "$bin" "$cur" | grep -v ':$' | grep -- "^$cur")
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return
		fi
	fi

	# bash replaces only the part of the word after its last ':' or '='
	pre=${cur%"${cur##*[:=]}"}
	if [ -n "$pre" ] && [[ $COMP_WORDBREAKS == *[:=]* ]]; then
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]#"$pre"}
		done
	fi
}

complete -F _bpftape bpftape
