// Threads allocate, hand blocks to each other, exit and are recreated,
// while the main thread forks in the middle of it all; each child keeps
// allocating and verifying. Prints "ok" on success.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS 4096
static void *volatile shared[SLOTS];
static volatile int stop;

static void fill(unsigned char *p, size_t n, unsigned seed) { for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7); }
static int check(unsigned char *p, size_t n, unsigned seed) { for (size_t i = 0; i < n; i++) if (p[i] != (unsigned char)(seed + i * 7)) return 0; return 1; }

static void *worker(void *arg) {
    unsigned x = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    for (int i = 0; i < 20000 && !stop; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        size_t s = 16 + x % 600;
        unsigned char *p = malloc(s);
        p[0] = (unsigned char)s; p[1] = (unsigned char)(s >> 8);
        fill(p + 2, s - 2, (unsigned)s);
        // Swap with a shared slot: the old block is freed here, maybe
        // allocated by another (maybe dead) thread.
        unsigned char *old = __atomic_exchange_n((void **)&shared[x % SLOTS], p, __ATOMIC_ACQ_REL);
        if (old) {
            size_t os = old[0] | (size_t)old[1] << 8;
            if (!check(old + 2, os - 2, (unsigned)os)) { fprintf(stderr, "corrupt block\n"); abort(); }
            free(old);
        }
    }
    return NULL;
}

static int child_work(void) {
    void *v[1000];
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < 1000; i++) { v[i] = malloc(i + 1); fill(v[i], i + 1, i); }
        for (int i = 0; i < 1000; i++) { if (!check(v[i], i + 1, i)) return 1; free(v[i]); }
    }
    pthread_t t;
    if (pthread_create(&t, NULL, worker, (void *)99) != 0) return 1;
    pthread_join(t, NULL);
    return 0;
}

int main(void) {
    for (int round = 0; round < 6; round++) {
        pthread_t t[3];
        for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(round * 3 + i));
        for (int f = 0; f < 2; f++) {
            usleep(2000);
            pid_t pid = fork();
            if (pid == 0) _exit(child_work());
            int st;
            waitpid(pid, &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "child failed: %d\n", st); return 1; }
        }
        for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    }
    for (int i = 0; i < SLOTS; i++) free(shared[i]);
    puts("ok");
    return 0;
}
