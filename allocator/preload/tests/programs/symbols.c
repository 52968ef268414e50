// Calls every exported allocation symbol through the dynamic linker and
// checks sizes, alignment, contents and errno. Prints "ok" on success.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); return 1; } } while (0)

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static int aligned(void *p, size_t a) { return ((uintptr_t)p % a) == 0; }

int main(void) {
    size_t (*harvest)(size_t) = (size_t (*)(size_t))dlsym(RTLD_DEFAULT, "memento_harvest");
    CHECK(harvest != NULL);  // we are the preloaded allocator

    for (size_t s = 0; s < 70000; s = s * 3 / 2 + 1) {
        unsigned char *p = malloc(s);
        CHECK(p && aligned(p, s > 8 ? 16 : 8) && malloc_usable_size(p) >= s);
        memset(p, 0x5a, s);
        p = realloc(p, s * 2 + 1);
        for (size_t i = 0; i < s; i++) CHECK(p[i] == 0x5a);
        free(p);
    }
    unsigned char *z = calloc(1000, 3);
    for (int i = 0; i < 3000; i++) CHECK(z[i] == 0);
    free(z);
    errno = 0;
    CHECK(calloc(SIZE_MAX / 2, 4) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc(SIZE_MAX - 10) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(reallocarray(NULL, SIZE_MAX / 2, 4) == NULL && errno == ENOMEM);
    void *ra = reallocarray(NULL, 10, 10);
    CHECK(ra && malloc_usable_size(ra) >= 100);
    free(ra);
    CHECK(realloc(malloc(10), 0) == NULL);

    for (size_t a = 1; a <= (1u << 22); a *= 2) {
        void *p = NULL;
        if (a >= sizeof(void *)) {
            CHECK(posix_memalign(&p, a, 100) == 0 && aligned(p, a));
            free(p);
        }
        p = aligned_alloc(a, 3 * a);
        CHECK(p && aligned(p, a));
        memset(p, 1, 3 * a);
        free(p);
        p = memalign(a, 10);
        CHECK(p && aligned(p, a));
        free(p);
    }
    void *p = NULL;
    CHECK(posix_memalign(&p, 24, 10) == EINVAL);
    CHECK(posix_memalign(&p, 4, 10) == EINVAL);
    p = memalign(48, 10);  // rounded up to 64, as glibc
    CHECK(p && aligned(p, 64));
    free(p);
    long page = sysconf(_SC_PAGESIZE);
    p = valloc(10);
    CHECK(p && aligned(p, page));
    free(p);
    p = pvalloc(1);
    CHECK(p && aligned(p, page) && malloc_usable_size(p) >= (size_t)page);
    free(p);

    p = __libc_malloc(10); CHECK(p); __libc_free(p);
    p = __libc_calloc(2, 8); CHECK(p && ((long *)p)[1] == 0);
    p = __libc_realloc(p, 100); CHECK(p); __libc_free(p);
    p = __libc_memalign(256, 8); CHECK(p && aligned(p, 256)); free(p);

    // Pointers we did not allocate are ignored.
    char stack[32];
    free(stack + 16);
    CHECK(malloc_usable_size(stack) == 0);

    // Harvest gives back what was freed.
    void *big[256];
    for (int i = 0; i < 256; i++) { big[i] = malloc(60000); memset(big[i], 1, 60000); }
    for (int i = 0; i < 256; i++) free(big[i]);
    CHECK(harvest((size_t)-1) > 0);
    CHECK(malloc_trim(0) == 0 || malloc_trim(0) == 1);
    puts("ok");
    return 0;
}
