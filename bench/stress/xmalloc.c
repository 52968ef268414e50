// xmalloc-like: producer threads allocate blocks and hand them through a
// bounded queue to consumer threads that free them: every free is remote.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { PAIRS = 2, PER = 16000000, QCAP = 4096 };

struct queue {
    void *items[QCAP];
    int head, tail, count, done;
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
};
static struct queue q[PAIRS];

static void *producer(void *p) {
    struct queue *qu = p;
    void *batch[64];
    for (int i = 0; i < PER; i += 64) {
        for (int j = 0; j < 64; j++) {
            size_t sz = 16 + ((i + j) * 37) % 240;
            batch[j] = malloc(sz);
            *(char *)batch[j] = 1;
        }
        pthread_mutex_lock(&qu->m);
        while (qu->count > QCAP - 64) pthread_cond_wait(&qu->not_full, &qu->m);
        for (int j = 0; j < 64; j++) { qu->items[qu->tail] = batch[j]; qu->tail = (qu->tail + 1) % QCAP; }
        qu->count += 64;
        pthread_cond_signal(&qu->not_empty);
        pthread_mutex_unlock(&qu->m);
    }
    pthread_mutex_lock(&qu->m);
    qu->done = 1;
    pthread_cond_signal(&qu->not_empty);
    pthread_mutex_unlock(&qu->m);
    return NULL;
}

static void *consumer(void *p) {
    struct queue *qu = p;
    void *batch[QCAP];
    long freed = 0;
    for (;;) {
        pthread_mutex_lock(&qu->m);
        while (qu->count == 0 && !qu->done) pthread_cond_wait(&qu->not_empty, &qu->m);
        int n = qu->count;
        if (n == 0 && qu->done) { pthread_mutex_unlock(&qu->m); break; }
        for (int j = 0; j < n; j++) { batch[j] = qu->items[qu->head]; qu->head = (qu->head + 1) % QCAP; }
        qu->count = 0;
        pthread_cond_signal(&qu->not_full);
        pthread_mutex_unlock(&qu->m);
        for (int j = 0; j < n; j++) free(batch[j]);
        freed += n;
    }
    return (void *)freed;
}

int main(void) {
    pthread_t pr[PAIRS], co[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        pthread_mutex_init(&q[i].m, NULL);
        pthread_cond_init(&q[i].not_empty, NULL);
        pthread_cond_init(&q[i].not_full, NULL);
        pthread_create(&pr[i], NULL, producer, &q[i]);
        pthread_create(&co[i], NULL, consumer, &q[i]);
    }
    long total = 0;
    for (int i = 0; i < PAIRS; i++) {
        void *r;
        pthread_join(pr[i], NULL);
        pthread_join(co[i], &r);
        total += (long)r;
    }
    printf("%ld\n", total);
    return 0;
}
