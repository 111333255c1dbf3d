// Linux interfaces that Swift's Glibc module does not expose.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <pthread.h>
// Declared by <pthread.h> only under _GNU_SOURCE.
int pthread_setname_np(pthread_t thread, const char *name);
#include <spawn.h>
// Declared by <spawn.h> and <unistd.h> only under _GNU_SOURCE (glibc ≥ 2.34 and 2.29).
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
int pipe2(int pipefd[2], int flags);
// Declared by <stdio.h> only under _GNU_SOURCE (glibc >= 2.28).
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
#include <malloc.h>
