/* Proves the allocation counter counts: three mallocs inside begin/end must
   read 3 (run with libdirectpipe-alloc-counter.so preloaded). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void dp_alloc_counter_begin(void);
uint64_t dp_alloc_counter_end(void);

int main(void) {
    dp_alloc_counter_begin();
    /* volatile: the compiler may not remove a malloc/free pair it can see through. */
    void *volatile a = malloc(16);
    void *volatile b = calloc(2, 8);
    void *volatile c = realloc(NULL, 32);
    uint64_t counted = dp_alloc_counter_end();
    free(a);
    free(b);
    free(c);
    printf("%llu\n", (unsigned long long)counted);
    return 0;
}
