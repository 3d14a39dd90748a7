# cli/: the bpftape command's front end.  main() and its verb table
# (cli/verbs.h: each verb's cmd_* lives in its module), and what every
# verb's command line shares (cli/cli.h: usage errors, the progress line,
# the one parser of durations, sizes and numbers).
CLI_SRCS += cli/main.c cli/cli.c
