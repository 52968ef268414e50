// larson-like: a server simulation. Each thread owns a slot array; it
// repeatedly frees a random slot and allocates a new random-sized block
// there. Every round the arrays pass to new threads, so blocks are freed
// by threads other than their allocator, and threads are recreated.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THREADS = 4, SLOTS = 4000, ROUNDS = 120, OPS = 60000, MINSZ = 8, MAXSZ = 512 };
static char *slots[THREADS][SLOTS];

struct arg { int id; unsigned seed; };

static void *run(void *p) {
    struct arg *a = p;
    unsigned x = a->seed;
    char **s = slots[a->id];
    for (int i = 0; i < OPS; i++) {
        x = x * 1103515245u + 12345u;
        int k = (x >> 8) % SLOTS;
        size_t sz = MINSZ + (x >> 16) % (MAXSZ - MINSZ);
        free(s[k]);
        s[k] = malloc(sz);
        s[k][0] = (char)sz;
    }
    return NULL;
}

int main(void) {
    for (int t = 0; t < THREADS; t++)
        for (int k = 0; k < SLOTS; k++) slots[t][k] = malloc(MINSZ + k % 64);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_t th[THREADS];
        struct arg args[THREADS];
        for (int t = 0; t < THREADS; t++) {
            // thread t of this round takes the array of thread t-1 of the last
            args[t].id = (t + r) % THREADS;
            args[t].seed = (unsigned)(r * 7919 + t);
            pthread_create(&th[t], NULL, run, &args[t]);
        }
        for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    }
    long sum = 0;
    for (int t = 0; t < THREADS; t++)
        for (int k = 0; k < SLOTS; k++) { sum += slots[t][k][0]; free(slots[t][k]); }
    printf("%ld\n", sum);
    return 0;
}
