/* A small real program for the sample trace: builds a word-frequency table
 * over generated text with a chained hash table of malloc'd nodes, sorts
 * the entries, and frees everything. Deterministic (fixed seed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    char *word;
    unsigned count;
    struct node *next;
};

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static int by_count(const void *a, const void *b) {
    const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

int main(int argc, char **argv) {
    int words = argc > 1 ? atoi(argv[1]) : 4000;
    unsigned buckets = 1024;
    struct node **table = calloc(buckets, sizeof *table);
    unsigned distinct = 0;
    char word[16];
    for (int i = 0; i < words; i++) {
        /* Zipf-like: short words from a small alphabet repeat often. */
        int len = 1 + (int)(next_random() % 3) + (int)(next_random() % 3);
        for (int j = 0; j < len; j++) word[j] = (char)('a' + next_random() % 8);
        word[len] = 0;
        unsigned b = hash(word) & (buckets - 1);
        struct node *n = table[b];
        while (n && strcmp(n->word, word) != 0) n = n->next;
        if (!n) {
            n = malloc(sizeof *n);
            n->word = strdup(word);
            n->count = 0;
            n->next = table[b];
            table[b] = n;
            distinct++;
        }
        n->count++;
    }
    struct node **all = malloc(distinct * sizeof *all);
    unsigned k = 0;
    for (unsigned b = 0; b < buckets; b++)
        for (struct node *n = table[b]; n; n = n->next) all[k++] = n;
    qsort(all, distinct, sizeof *all, by_count);
    printf("%u distinct words; top: %s %u\n", distinct, all[0]->word, all[0]->count);
    for (unsigned i = 0; i < distinct; i++) {
        free(all[i]->word);
        free(all[i]);
    }
    free(all);
    free(table);
    return 0;
}
