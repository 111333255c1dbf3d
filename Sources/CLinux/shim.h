// Linux interfaces that Swift's Glibc module does not expose.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
// Declared by <unistd.h> only under _GNU_SOURCE.
int syncfs(int fd);
