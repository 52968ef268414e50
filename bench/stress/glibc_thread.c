// Like glibc's benchtests/bench-malloc-thread: each thread keeps a working
// set of blocks with sizes drawn from a decreasing distribution (most
// small, a few up to 32 KiB) and replaces random ones in a loop.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { THREADS = 2, WORKING_SET = 1024, ITERS = 45000000 };

static size_t pick_size(unsigned x) {
    unsigned r = x % 1000;
    if (r < 750) return 8 + x % 120;
    if (r < 950) return 128 + x % 896;
    if (r < 995) return 1024 + x % 7168;
    return 8192 + x % 24576;
}

static void *run(void *p) {
    unsigned x = (unsigned)(long)p * 2654435761u + 1;
    char *ws[WORKING_SET] = {0};
    for (int i = 0; i < ITERS; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        int k = x % WORKING_SET;
        free(ws[k]);
        size_t sz = pick_size(x >> 10);
        ws[k] = malloc(sz);
        ws[k][0] = 1;
        ws[k][sz - 1] = 2;
    }
    for (int k = 0; k < WORKING_SET; k++) free(ws[k]);
    return NULL;
}

int main(void) {
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, run, (void *)t);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    puts("done");
    return 0;
}
