# query/: SQLite virtual tables, import, the loadable extension.
QUERY_SRCS += query/qset.c query/qtab.c query/qscan.c query/vtab.c query/query.c \
	query/import.c query/chimport.c

# The extension reaches SQLite only through the routines sqlite3 hands it
# (sqlite3ext.h), so its objects are built a second time with
# -DBPFTAPE_SQLITE_EXTENSION; only the entry point is exported.
QUERY_EXT_SRCS := query/qset.c query/qtab.c query/qscan.c query/vtab.c query/ext.c
QUERY_EXT_OBJS := $(patsubst %.c,$(OUTPUT)/obj/ext/%.o,$(QUERY_EXT_SRCS))

$(OUTPUT)/obj/ext/%.o: %.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -DBPFTAPE_SQLITE_EXTENSION -fvisibility=hidden -MMD -MP -c $< -o $@

$(OUTPUT)/bpftape_sqlite.so: $(QUERY_EXT_OBJS) $(LIBTAPE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,--exclude-libs,ALL -Wl,-z,defs -o $@ \
		$(QUERY_EXT_OBJS) $(LIBTAPE) $(FORMAT_LIBS) -lm -lc

UNIT_TESTS += tests/test_query.c
BENCHES += tests/bench/bench_query.c

# test_query loads the extension from the build directory.
$(OUTPUT)/tests/test_query: $(OUTPUT)/bpftape_sqlite.so

# ---- the fleet: import --clickhouse into a cluster of two real servers
# (tests/test_fleet.sh, docs/FLEET.md) ----
SCRIPT_TESTS += tests/test_fleet.sh
# it writes its hosts' tapes with test_query --write-golden
unit-tests: $(OUTPUT)/tests/test_query
# the load rate into a real server beside clickhouse-client's own
BENCH_SCRIPTS += tests/bench/bench_clickhouse.sh
bench: $(OUTPUT)/tests/test_query

# ---- hardening: the SQL tables over a fuzzed tape (issue 6) ----
FUZZERS += tests/fuzz/fuzz_sql.c
