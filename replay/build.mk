# replay/: the bpftape command and its offline verbs.
REPLAY_SRCS += replay/main.c
