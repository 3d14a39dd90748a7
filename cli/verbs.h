/* SPDX-License-Identifier: MIT */
/*
 * The bpftape verbs.  Each takes the arguments after the verb name
 * (argv[0] is the verb) and returns the process exit status.  Verbs print
 * their own errors to stderr, prefixed with "bpftape <verb>: ".
 */
#ifndef BPFTAPE_VERBS_H
#define BPFTAPE_VERBS_H

int cmd_record(int argc, char **argv);
int cmd_list_events(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_symbolize(int argc, char **argv);

#endif
