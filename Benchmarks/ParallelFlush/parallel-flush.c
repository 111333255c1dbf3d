// How fast N small files are made durable when their fdatasync calls are issued from T
// threads side by side (FlushPool's premise): writes N temp files of 1 KiB, fdatasyncs
// them from T threads, then renames them and fsyncs the directory.
//   cc -O2 -pthread parallel-flush.c -o parallel-flush && ./parallel-flush N T   (in the directory to test)
// Benchmarks/parallel-flush.sh runs it for T = 1, 2, 4, 8, 16 on /var/tmp.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int files, threads;
static int *descriptors;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/// Thread `k` flushes files k, k + T, k + 2T, ...
static void *flush_share(void *argument) {
    long k = (long)argument;
    for (int i = (int)k; i < files; i += threads) fdatasync(descriptors[i]);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: parallel-flush FILES THREADS\n"); return 2; }
    files = atoi(argv[1]);
    threads = atoi(argv[2]);
    if (files < 1 || threads < 1 || threads > 64) { fprintf(stderr, "FILES >= 1, 1 <= THREADS <= 64\n"); return 2; }
    descriptors = calloc((size_t)files, sizeof *descriptors);
    char block[1024], name[64], final[64];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < files; i++) {
        snprintf(name, sizeof name, "f%d.tmp", i);
        descriptors[i] = open(name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
        if (descriptors[i] < 0 || write(descriptors[i], block, sizeof block) != (ssize_t)sizeof block) { perror(name); return 1; }
    }
    double start = seconds();
    pthread_t workers[64];
    for (long k = 0; k < threads; k++) pthread_create(&workers[k], NULL, flush_share, (void *)k);
    for (int k = 0; k < threads; k++) pthread_join(workers[k], NULL);
    double flushed = seconds();
    for (int i = 0; i < files; i++) {
        snprintf(name, sizeof name, "f%d.tmp", i);
        snprintf(final, sizeof final, "f%d", i);
        rename(name, final);
        close(descriptors[i]);
    }
    int directory = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fsync(directory);
    close(directory);
    double done = seconds();
    printf("%d files, %2d threads: fdatasync %7.1f ms (%6.0f/s), renames + directory fsync %5.1f ms\n",
           files, threads, (flushed - start) * 1e3, files / (flushed - start), (done - flushed) * 1e3);
    return 0;
}
