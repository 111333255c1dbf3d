// The floor jobdir is measured against: the least a runner can do for a dropped trigger.
// It waits with inotify for a file renamed into DIR, reads and parses JOB (a YAML file)
// with libyaml, optionally writes one 1 KiB record durably (temp, fsync, rename, fsync of
// the directory: the durable floor), then posix_spawns `/bin/date +%s%N` with its output
// in OUT/<name>. Built by the benchmark harness:
//   cc -O2 -o floor-runner floor-runner.c -lyaml
//   floor-runner DIR JOB OUT [RECORD_DIR]
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

extern char **environ;

static int parse(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return -1;
    yaml_parser_t parser;
    yaml_document_t document;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, file);
    int ok = yaml_parser_load(&parser, &document);
    if (ok) yaml_document_delete(&document);
    yaml_parser_delete(&parser);
    fclose(file);
    return ok ? 0 : -1;
}

static void record(const char *directory, const char *name) {
    char temp[4096], final[4096], body[1024];
    memset(body, 'x', sizeof body);
    snprintf(temp, sizeof temp, "%s/.%s.tmp", directory, name);
    snprintf(final, sizeof final, "%s/%s.json", directory, name);
    int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (write(fd, body, sizeof body) < 0) perror("write");
    fsync(fd);
    close(fd);
    rename(temp, final);
    int dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fsync(dir);
    close(dir);
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    int in = inotify_init1(IN_CLOEXEC);
    inotify_add_watch(in, argv[1], IN_MOVED_TO);
    char buffer[8192] __attribute__((aligned(8)));
    for (;;) {
        ssize_t n = read(in, buffer, sizeof buffer);
        if (n <= 0) return 1;
        for (char *p = buffer; p < buffer + n;) {
            struct inotify_event *event = (struct inotify_event *)p;
            p += sizeof *event + event->len;
            if (!event->len) continue;
            if (strcmp(event->name, "stop") == 0) return 0;
            if (parse(argv[2]) != 0) continue;
            if (argc > 4) record(argv[4], event->name);
            char out[4096];
            snprintf(out, sizeof out, "%s/%s", argv[3], event->name);
            posix_spawn_file_actions_t actions;
            posix_spawn_file_actions_init(&actions);
            posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            char *child[] = {"/bin/date", "+%s%N", NULL};
            pid_t pid;
            if (posix_spawn(&pid, "/bin/date", &actions, NULL, child, environ) == 0) waitpid(pid, NULL, 0);
            posix_spawn_file_actions_destroy(&actions);
        }
    }
}
