# query/: SQLite virtual tables, import, the loadable extension.
QUERY_SRCS +=

$(OUTPUT)/bpftape_sqlite.so: $(filter-out %/main.o,$(QUERY_OBJS)) $(LIBTAPE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -o $@ $^ $(FORMAT_LIBS)
