/* Aligned allocation and the plain tensor type. */
#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

void *gs_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    size_t rounded = (bytes + GS_ALIGN - 1) / GS_ALIGN * GS_ALIGN;
    if (rounded < bytes)
        return NULL;
    return aligned_alloc(GS_ALIGN, rounded);
}

void *gs_calloc(size_t bytes)
{
    void *p = gs_alloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void gs_free(void *p) { free(p); }

/* Each thread's scratch buffers form a list through the gs_scratch_t objects themselves, headed
 * by a thread-specific value whose destructor frees them all when the thread exits (its
 * thread-local storage is still there while destructors run). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void free_thread_scratch(void *head)
{
    for (gs_scratch_t *s = head; s; s = s->next) {
        gs_free(s->data);
        s->data = NULL;
        s->floats = 0;
    }
}

static void make_scratch_key(void) { pthread_key_create(&scratch_key, free_thread_scratch); }

static void register_scratch(gs_scratch_t *s)
{
    pthread_once(&scratch_once, make_scratch_key);
    s->next = pthread_getspecific(scratch_key);
    s->registered = pthread_setspecific(scratch_key, s) == 0;
}

float *gs_scratch_get(gs_scratch_t *s, size_t floats)
{
    if (floats > s->floats) {
        if (!s->registered)
            register_scratch(s);
        gs_free(s->data);
        s->data = gs_alloc(floats * sizeof(float));
        s->floats = s->data ? floats : 0;
    }
    return s->data;
}

int gs_tensor_init(gs_tensor_t *t, int ndim, const long *dims)
{
    memset(t, 0, sizeof *t);
    if (ndim < 1 || ndim > 4 || !dims)
        return gs_error(GS_EINVAL, "tensor: ndim=%d, expected 1..4", ndim);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] <= 0)
            return gs_error(GS_EINVAL, "tensor: dims[%d]=%ld, expected > 0", i, dims[i]);
        t->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t->data = gs_calloc(n * sizeof(float));
    if (!t->data)
        return gs_error(GS_ENOMEM, "tensor: cannot allocate %zu floats", n);
    t->ndim = ndim;
    t->numel = n;
    return GS_OK;
}

void gs_tensor_free(gs_tensor_t *t)
{
    gs_free(t->data);
    memset(t, 0, sizeof *t);
}
