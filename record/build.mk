# record/ and bpf/: the recorder.  Not part of `make tools`.
RECORD_SRCS +=
BPF_SRCS +=
