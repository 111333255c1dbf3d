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
