#ifndef KILN_ALLOCATION_COUNTER_H
#define KILN_ALLOCATION_COUNTER_H

/// malloc, calloc and realloc calls made so far by the calling thread, in this test process.
///
/// The test executable defines malloc, calloc and realloc itself (allocation_counter.c): each
/// counts the call in a thread-local counter and forwards to glibc's own allocator, so what a
/// test counts is its own thread's allocations, whatever the tests running beside it allocate.
unsigned long kiln_thread_allocations(void);

#endif
