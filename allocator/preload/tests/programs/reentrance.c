// Allocation from the awkward places: a constructor that runs before main
// (and maybe before the allocator has seen any other call), pthread key
// destructors that allocate after the allocator's own thread-exit
// destructor may have run, threads created and exiting in a loop, and an
// atexit handler. Prints "ok" on success.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *early;
static pthread_key_t key;
static volatile long destructor_allocs;

__attribute__((constructor(101))) static void before_main(void) {
    early = malloc(100);
    strcpy(early, "allocated in a constructor");
}

static void key_destructor(void *v) {
    // Runs at thread exit, in any order relative to the allocator's own.
    free(v);
    char *p = malloc(64);
    memset(p, 1, 64);
    void *q = realloc(p, 4000);
    free(q);
    __atomic_add_fetch(&destructor_allocs, 1, __ATOMIC_RELAXED);
    if (destructor_allocs % 2 == 0) pthread_setspecific(key, malloc(8));  // once more
}

static void *thread_main(void *arg) {
    pthread_setspecific(key, malloc(32));
    void *keep[100];
    for (int i = 0; i < 100; i++) keep[i] = malloc((size_t)(i * 37 % 3000) + 1);
    for (int i = 0; i < 100; i += 2) free(keep[i]);
    return keep[1 + 2 * ((long)arg % 49)];  // outlives the thread
}

static void at_exit(void) {
    free(early);
    void *p = malloc(1000);
    free(p);
}

int main(void) {
    if (strcmp(early, "allocated in a constructor") != 0) return 1;
    atexit(at_exit);
    if (pthread_key_create(&key, key_destructor) != 0) return 2;
    for (int round = 0; round < 50; round++) {
        pthread_t t[4];
        for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, thread_main, (void *)(round * 4 + i));
        for (int i = 0; i < 4; i++) {
            void *r;
            pthread_join(t[i], &r);
            free(r);
        }
    }
    if (destructor_allocs < 200) { fprintf(stderr, "destructors ran %ld times\n", destructor_allocs); return 3; }
    puts("ok");
    return 0;
}
