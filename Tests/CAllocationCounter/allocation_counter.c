// Counts the allocations of each thread of the test process, for tests that prove a hot path
// allocates nothing. The executable's own malloc takes precedence over libc's for every library
// it loads (the Swift runtime included); each call is counted on its thread and handed to glibc's
// allocator (__libc_malloc and friends), so memory is allocated and freed exactly as without it.
#include <stddef.h>

#include "allocation_counter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

static __thread unsigned long allocations;

void *malloc(size_t size) {
    allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    allocations++;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    allocations++;
    return __libc_realloc(pointer, size);
}

unsigned long kiln_thread_allocations(void) { return allocations; }
