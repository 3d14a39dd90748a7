# examples/: programs of the C API that a user copies.  Built as a program
# outside the tree would be: the public headers and libtape alone.
EXAMPLES := examples/opens_per_comm.c examples/follow_opens.c examples/proc_of_event.c
EXAMPLE_BINS := $(patsubst examples/%.c,$(OUTPUT)/examples/%,$(EXAMPLES))

# The public headers where an installed program finds them: <bpftape/tape.h>.
$(OUTPUT)/include/bpftape/%.h: format/include/bpftape/%.h
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

$(OUTPUT)/examples/%: examples/%.c $(OUTPUT)/include/bpftape/tape.h \
		$(OUTPUT)/include/bpftape/tape_proctab.h $(LIBTAPE)
	$(call msg,EXAMPLE,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -I$(OUTPUT)/include $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
		$(LIBTAPE) $(FORMAT_LIBS)

all: $(EXAMPLE_BINS)
# run by tests/test_examples.sh (the tapes) and tests/test_examples_live (recording)
SCRIPT_TESTS += tests/test_examples.sh
unit-tests: $(EXAMPLE_BINS)
root-tests: $(EXAMPLE_BINS)
ROOT_TESTS += tests/test_examples_live.c
$(OUTPUT)/tests/test_examples_live: $(EXAMPLE_BINS) $(OUTPUT)/tests/work_files
.SECONDARY: $(OUTPUT)/include/bpftape/tape.h $(OUTPUT)/include/bpftape/tape_proctab.h
