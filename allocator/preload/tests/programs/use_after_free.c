/* The canary of `scripts/sanitize.sh preload`: a read of a freed block
 * through memcpy, which ASan's interceptor must report when the preload
 * library poisons free blocks. The size is not a constant, so the
 * compiler cannot inline the copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    (void)argv;
    size_t n = 40 + (size_t)argc;
    char *p = malloc(64);
    char buf[64];
    free(p);
    memcpy(buf, p, n);
    printf("%d\n", buf[40]);
    return 0;
}
