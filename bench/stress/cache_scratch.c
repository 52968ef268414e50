// cache-scratch (Hoard's benchmark): each thread gets one small object
// allocated by the main thread, frees it, then repeatedly allocates a small
// object and writes it many times. An allocator that hands out blocks
// sharing a cache line across threads (passive false sharing) is slow.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { THREADS = 4, ITER = 4000, REPS = 24000, SIZE = 8 };
static char *initial[THREADS];

static void *run(void *p) {
    long id = (long)p;
    free(initial[id]);
    long sum = 0;
    for (int i = 0; i < ITER; i++) {
        volatile char *a = malloc(SIZE);
        for (int k = 0; k < SIZE; k++) a[k] = 0;
        for (int r = 0; r < REPS; r++)
            for (int k = 0; k < SIZE; k++) { a[k] = (char)(a[k] + 1); }
        sum += a[0];
        free((void *)a);
    }
    return (void *)sum;
}

int main(void) {
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++) initial[t] = malloc(SIZE);
    for (long t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, run, (void *)t);
    long total = 0;
    for (int t = 0; t < THREADS; t++) { void *r; pthread_join(th[t], &r); total += (long)r; }
    printf("%ld\n", total);
    return 0;
}
